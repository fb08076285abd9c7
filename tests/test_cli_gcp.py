"""The Google Cloud connector end to end through the CLI, against the local GCP emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from connectors.gcp.demo_org import demo_org
from connectors.gcp.emulator import GcpEmulator
from reports.schema_loader import load_report_schema

pytestmark = pytest.mark.slow
TOKEN_ENV = "SHADOWSWEEP_TEST_GCP_TOKEN"
APIS = ("resourcemanager", "iam", "apikeys", "cloudasset", "policyanalyzer")


@pytest.fixture(scope="module")
def estate() -> Iterator[tuple[GcpEmulator, str]]:
    org, registry = demo_org(datetime.now(UTC))
    with GcpEmulator(org) as emulator:
        yield emulator, registry


@pytest.fixture
def emu(estate: tuple[GcpEmulator, str]) -> Iterator[GcpEmulator]:
    emulator, _ = estate
    emulator.clear_faults()
    emulator.reset_log()
    yield emulator
    emulator.clear_faults()


def scan(tmp_path: Path, emulator: GcpEmulator, registry: str, *, deadline: float = 60) -> dict[str, Any]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "agents.yaml").write_text(
        "version: 1\nagents:\n" + registry if registry else "version: 1\nagents: []\n"
    )
    endpoints = ", ".join(f'{api} = "{emulator.url}"' for api in APIS)
    (tmp_path / "shadowsweep.toml").write_text(
        f'[scan]\nregistry = "agents.yaml"\nout = "out"\n\n[connectors.gcp]\n'
        f'organization = "{emulator.org.organization.name}"\ntoken_env = "{TOKEN_ENV}"\n'
        f"retry_deadline = {deadline}\nendpoints = {{ {endpoints} }}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "scan", "-c", str(tmp_path / "shadowsweep.toml")],
        capture_output=True, text=True, timeout=300, env={**os.environ, TOKEN_ENV: "gcp-test-token"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads((tmp_path / "out" / "report.json").read_text())
    jsonschema.validate(report, load_report_schema())
    return report


def failed(report: dict[str, Any], status: str = "fail") -> set[tuple[str, str]]:
    names = {i["uid"]: i["name"] for i in report["identities"]}
    return {(f["rule"], names.get(f["identity_uid"] or "", f["registry_id"] or "")) for f in report["findings"]
            if f["status"] == status}  # fmt: skip


def calls(report: dict[str, Any]) -> dict[str, int]:
    return {c["scope"]: c["api_calls"] for c in report["scan"]["coverage"]}


PLANTED = {
    ("unregistered-agent", "llm-pipeline@data-pipelines.iam.gserviceaccount.com"),  # LLM pipeline SA
    ("long-lived-agent-credential", "llm-pipeline@data-pipelines.iam.gserviceaccount.com"),  # its 5-year key
    ("unregistered-agent", "website-chat"),  # a Gemini API key
    ("unconstrained-federation", "deployer@sandbox-research.iam.gserviceaccount.com"),  # WIF trusting any repo
    ("retired-agent-active", "legacy-summarizer@data-pipelines.iam.gserviceaccount.com"),
}


def test_organization_scan_with_cloud_asset_inventory(estate: tuple[GcpEmulator, str], emu: GcpEmulator,
                                                      tmp_path: Path) -> None:  # fmt: skip
    report = scan(tmp_path, emu, estate[1])
    assert report["scan"]["complete"] is True
    found = failed(report)
    assert found >= PLANTED
    assert any(rule == "unregistered-agent" and name.startswith("reasoningEngines/") for rule, name in found)
    names = {i["name"]: i for i in report["identities"]}
    assert names["support-agent@ml-platform-prod.iam.gserviceaccount.com"]["registry_id"] == "gcp-support-agent"
    assert not names["travel-agent-booking@marketing-web.iam.gserviceaccount.com"]["agent"]["is_agent"]
    counts = calls(report)
    assert counts[emu.org.organization.name] == emu.request_count("cloudasset") == 2  # two paged searches
    assert all(counts[p] == 1 for p in emu.org.projects)  # only key activity is read per project


def test_without_cloud_asset_inventory_the_same_findings_from_per_project_reads(
    estate: tuple[GcpEmulator, str], emu: GcpEmulator, tmp_path: Path
) -> None:
    with_cai = scan(tmp_path / "cai", emu, estate[1])
    emu.disable_api("cloudasset.googleapis.com")
    emu.reset_log()
    without = scan(tmp_path / "rest", emu, estate[1])
    assert without["scan"]["complete"] is True  # falling back is not a gap
    assert {f["id"] for f in without["findings"]} == {f["id"] for f in with_cai["findings"]}
    assert {i["uid"] for i in without["identities"]} == {i["uid"] for i in with_cai["identities"]}
    counts = calls(without)
    assert all(counts[p] > 1 for p in emu.org.projects)
    per_project = {p: sum(1 for r in emu.requests() if r.project in (p, emu.org.projects[p].number))
                   for p in emu.org.projects}  # fmt: skip
    assert all(counts[p] == per_project[p] for p in emu.org.projects)  # reported calls match the server's


def test_a_disabled_api_in_one_project_is_a_gap_there_only(
    estate: tuple[GcpEmulator, str], emu: GcpEmulator, tmp_path: Path
) -> None:
    emu.disable_api("cloudasset.googleapis.com")
    emu.disable_api("apikeys.googleapis.com", "marketing-web")
    report = scan(tmp_path, emu, estate[1])
    coverage = {c["scope"]: c for c in report["scan"]["coverage"]}
    (gap,) = coverage["marketing-web"]["gaps"]
    assert (gap["resource"], gap["reason"]) == ("apikeys:keys.list", "unsupported")
    assert all(c["status"] == "complete" for s, c in coverage.items() if s != "marketing-web")
    assert ("unregistered-agent", "llm-pipeline@data-pipelines.iam.gserviceaccount.com") in failed(report)


def test_a_denied_folder_and_quota_errors(estate: tuple[GcpEmulator, str], emu: GcpEmulator, tmp_path: Path) -> None:
    corp = next(f for f in emu.org.folders.values() if f.display_name == "corp")
    emu.disable_api("cloudasset.googleapis.com")
    emu.deny(f"/v3/projects?parent={corp.name}")  # cannot list the projects under corp
    emu.deny(f"/v3/{corp.name}:getIamPolicy")
    emu.inject("/v1/projects/data-pipelines/serviceAccounts", 429, count=2)  # retried by google-api-core
    emu.inject("/v2/projects/ml-platform-prod/locations/global/keys", 429, count=1000)  # never recovers
    report = scan(tmp_path, emu, estate[1], deadline=3)
    coverage = {c["scope"]: c for c in report["scan"]["coverage"]}
    assert coverage[corp.name]["status"] != "complete" and {g["reason"] for g in coverage[corp.name]["gaps"]} == {
        "denied"
    }
    assert "marketing-web" not in coverage and "sandbox-research" not in coverage  # not visible: not scanned
    assert coverage["data-pipelines"]["status"] == "complete"  # two 429s, then success
    (throttled,) = coverage["ml-platform-prod"]["gaps"]
    assert (throttled["resource"], throttled["reason"]) == ("apikeys:keys.list", "throttled")
    assert report["scan"]["complete"] is False


def test_paging_through_a_project_of_150_service_accounts(tmp_path: Path) -> None:
    from connectors.gcp.emulator_org import Org

    org = Org()
    project = org.add_project("big-project")
    for n in range(150):
        org.add_service_account(project, f"worker-{n:03d}")
    with GcpEmulator(org) as emulator:
        emulator.disable_api("cloudasset.googleapis.com")
        report = scan(tmp_path, emulator, "")
        pages = [r for r in emulator.requests() if r.path == "/v1/projects/big-project/serviceAccounts"]
    assert len(pages) == 2 and "pageToken" in pages[1].query  # 100 a page, the API maximum
    workers = [i for i in report["identities"] if i["name"].startswith("worker-")]
    assert len(workers) == 150 and len({i["uid"] for i in workers}) == 150


def test_access_token_never_reaches_logs_or_reports(estate: tuple[GcpEmulator, str], emu: GcpEmulator,
                                                    tmp_path: Path) -> None:  # fmt: skip
    canary = "ya29.CANARY-gcp-access-token-0123456789abcdefghijklmnopqrstuvwxyz"
    scan(tmp_path, emu, estate[1])  # writes the config
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "--debug", "scan", "-c", str(tmp_path / "shadowsweep.toml")],
        capture_output=True, text=True, timeout=300, env={**os.environ, TOKEN_ENV: canary},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert " DEBUG " in done.stderr
    texts = [done.stdout, done.stderr, *(p.read_text() for p in (tmp_path / "out").iterdir())]
    assert not any(canary in text or canary[:30] in text for text in texts)
