"""End to end through the CLI: a three-account emulated AWS organization, scanned in a subprocess."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from connectors.aws.demo_estate import DemoOrg, seed_demo_org
from connectors.aws.emulator import AwsEmulator
from reports.schema_loader import load_report_schema

pytestmark = pytest.mark.slow

LAMBDA_CANARIES = ("sk-demo-CANARY-0000000000000000", "sk-ant-demo-CANARY-000000")
SESSION_TOKEN_CANARY = "FwoGZXIvYXdzEXAMPLECANARYSESSIONTOKEN0123456789abcdef"


@pytest.fixture(scope="module")
def org_env() -> Iterator[tuple[AwsEmulator, DemoOrg]]:
    """The demo organization, seeded once for the module; tests only add and clear faults."""
    with AwsEmulator() as emulator:
        yield emulator, seed_demo_org(emulator)


@pytest.fixture
def org(org_env: tuple[AwsEmulator, DemoOrg]) -> Iterator[tuple[AwsEmulator, DemoOrg]]:
    emulator, demo = org_env
    emulator.clear_faults()
    yield emulator, demo
    emulator.clear_faults()


def write_inputs(tmp_path: Path, emulator: AwsEmulator, demo: DemoOrg, registry: str | None = None) -> Path:
    (tmp_path / "agents.yaml").write_text(registry if registry is not None else demo.registry_yaml)
    config = tmp_path / "shadowsweep.toml"
    config.write_text(
        f"""
[scan]
registry = "agents.yaml"
out = "out"

[connectors.aws]
organization_role = "OrganizationAccountAccessRole"
regions = ["us-east-1"]
endpoint_url = "{emulator.url}"
"""
    )
    return config


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "scanner", *args], capture_output=True, text=True, env=full_env, timeout=300, check=False
    )


def load_report(tmp_path: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((tmp_path / "out" / "report.json").read_text())
    jsonschema.validate(report, load_report_schema())
    return report


def names(report: dict[str, Any]) -> dict[str, str]:
    return {i["uid"]: i["name"] for i in report["identities"]}


def failed(report: dict[str, Any], status: str = "fail") -> set[tuple[str, str]]:
    by_uid = names(report)
    return {
        (f["rule"], by_uid.get(f["identity_uid"] or "", "") or f["registry_id"] or "")
        for f in report["findings"]
        if f["status"] == status
    }


def test_organization_scan_finds_every_planted_case(org: tuple[AwsEmulator, DemoOrg], tmp_path: Path) -> None:
    emulator, demo = org
    result = run_cli("scan", "-c", str(write_inputs(tmp_path, emulator, demo)), "--strict")
    assert result.returncode == 0, result.stderr
    report = load_report(tmp_path)
    assert report["scan"]["complete"] is True
    scopes = {c["scope"]: c for c in report["scan"]["coverage"]}
    assert set(scopes) == {demo.management, demo.ml_prod, demo.data_sandbox}
    assert all(c["status"] == "complete" and c["api_calls"] > 0 for c in scopes.values())
    assert failed(report) == {
        ("unregistered-agent", "AmazonBedrockExecutionRoleForAgents_SUPPORT7Q"),
        ("unregistered-agent", "support-summarizer-lambda"),
        ("unregistered-agent", "BedrockAPIKey-x7q2"),
        ("unregistered-agent", "notebook-llm-experiments"),
        ("retired-agent-active", "claims-agent-bot"),
        ("expired-agent-registration", "pricing-copilot"),
        ("agent-scope-drift", "research-assistant-agent"),
        ("agent-without-owner", "agentcore-ops-runtime"),
        ("agent-privilege-path", "agentcore-ops-runtime"),
        ("stale-agent-credential", "etl-enricher"),
        ("long-lived-agent-credential", "etl-enricher"),
        ("long-lived-agent-credential", "claims-agent-bot"),
        ("long-lived-agent-credential", "BedrockAPIKey-x7q2"),
        ("orphaned-registry-entry", "legacy-chatbot"),
    }
    agents = {i["name"] for i in report["identities"] if i["agent"]["is_agent"]}
    for decoy in ("TravelAgentBookingService", "agent-smith", "github-deploy", "alice", "bob", "data-admin"):
        assert decoy not in agents
    path = next(f for f in report["findings"] if f["rule"] == "agent-privilege-path")
    assert [hop["relation"] for hop in path["path"]] == ["CAN_ASSUME"]
    assert any("data-admin" in line and "administrator" in line for line in path["evidence"])
    for name in ("report.json", "report.html"):
        mode = stat.S_IMODE((tmp_path / "out" / name).stat().st_mode)
        assert mode == 0o600, oct(mode)
    assert "INCOMPLETE" not in result.stdout


def test_fail_on_threshold_sets_exit_code(org: tuple[AwsEmulator, DemoOrg], tmp_path: Path) -> None:
    emulator, demo = org
    config = str(write_inputs(tmp_path, emulator, demo))
    assert run_cli("scan", "-c", config, "--fail-on", "critical", "--quiet").returncode == 1
    clean = write_inputs(tmp_path, emulator, demo, registry="version: 1\nagents: []\n")
    quiet = run_cli("scan", "-c", str(clean), "--fail-on", "none", "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == ""


def test_member_account_denied_is_a_gap_not_a_pass(org: tuple[AwsEmulator, DemoOrg], tmp_path: Path) -> None:
    emulator, demo = org
    emulator.deny_assume_role(demo.data_sandbox)
    result = run_cli("scan", "-c", str(write_inputs(tmp_path, emulator, demo)), "--strict")
    assert result.returncode == 3, result.stderr
    report = load_report(tmp_path)
    scopes = {c["scope"]: c for c in report["scan"]["coverage"]}
    assert scopes[demo.data_sandbox]["status"] == "failed"
    assert scopes[demo.data_sandbox]["gaps"][0]["resource"] == "sts:AssumeRole"
    assert scopes[demo.management]["status"] == scopes[demo.ml_prod]["status"] == "complete"
    unknown = failed(report, "unknown")
    # The sandbox's registered agents cannot be judged: unknown, never orphaned and never a pass.
    assert ("orphaned-registry-entry", "agentcore-ops") in unknown
    assert ("orphaned-registry-entry", "etl-enricher") in unknown
    assert ("agent-without-owner", "agentcore-ops") in unknown
    assert not any(rule == "orphaned-registry-entry" and who != "legacy-chatbot" for rule, who in failed(report))
    assert ("collection-gap", "") in {(r, w) for r, w in unknown if r == "collection-gap"} or any(
        f["rule"] == "collection-gap" and f["severity"] == "high" for f in report["findings"]
    )
    # The other accounts were still scanned in full.
    assert ("retired-agent-active", "claims-agent-bot") in failed(report)


@pytest.mark.parametrize("also_deny_last_used", [True, False], ids=["no-usage-source", "per-key-fallback"])
def test_credential_report_denied(org: tuple[AwsEmulator, DemoOrg], tmp_path: Path, also_deny_last_used: bool) -> None:
    emulator, demo = org
    emulator.deny("iam:GetCredentialReport", account=demo.data_sandbox)
    if also_deny_last_used:
        emulator.deny("iam:GetAccessKeyLastUsed", account=demo.data_sandbox)
    result = run_cli("scan", "-c", str(write_inputs(tmp_path, emulator, demo)))
    assert result.returncode == 0, result.stderr
    report = load_report(tmp_path)
    sandbox = next(c for c in report["scan"]["coverage"] if c["scope"] == demo.data_sandbox)
    assert sandbox["status"] == "partial"
    assert "iam:GetCredentialReport" in {g["resource"] for g in sandbox["gaps"]}
    stale = [
        f for f in report["findings"] if f["rule"] == "stale-agent-credential" and f["registry_id"] == "etl-enricher"
    ]
    assert len(stale) == 1
    if also_deny_last_used:
        assert stale[0]["status"] == "unknown"
        assert not any("never used" in line for line in stale[0]["evidence"])
    else:
        assert stale[0]["status"] == "fail"
        assert any("last used 200 days ago" in line for line in stale[0]["evidence"])


def test_registry_error_exits_2_and_writes_nothing(org: tuple[AwsEmulator, DemoOrg], tmp_path: Path) -> None:
    emulator, demo = org
    bad = demo.registry_yaml.replace("status: retired", "status: retird", 1)
    config = write_inputs(tmp_path, emulator, demo, registry=bad)
    line = next(n for n, text in enumerate(bad.splitlines(), start=1) if "status: retird" in text)
    result = run_cli("scan", "-c", str(config))
    assert result.returncode == 2
    assert f"agents.yaml:{line}:" in result.stderr and ".status" in result.stderr
    assert not (tmp_path / "out").exists()
    assert emulator.total_calls() >= 0  # the emulator is still up; nothing below was scanned
    validate = run_cli("registry", "validate", str(tmp_path / "agents.yaml"))
    assert validate.returncode == 2 and f"agents.yaml:{line}:" in validate.stderr


def test_config_error_names_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "shadowsweep.toml"
    config.write_text('[scan]\nout = "out"\n\n[connectors.aws]\nregions = ["us-east-1"]\nregoins = ["eu-west-1"]\n')
    result = run_cli("scan", "-c", str(config))
    assert result.returncode == 2
    assert f"{config}:6: connectors.aws.regoins: unknown key (did you mean 'regions'?)" in result.stderr
    assert not (tmp_path / "out").exists()
    assert len(result.stderr.strip().splitlines()) == 1


def test_no_secret_reaches_any_output_even_at_debug(org: tuple[AwsEmulator, DemoOrg], tmp_path: Path) -> None:
    emulator, demo = org
    config = write_inputs(tmp_path, emulator, demo)
    result = run_cli(
        "--debug",
        "scan",
        "-c",
        str(config),
        env={"AWS_SESSION_TOKEN": SESSION_TOKEN_CANARY, "AWS_SECRET_ACCESS_KEY": "testing-secret"},
    )
    assert result.returncode == 0, result.stderr
    assert " DEBUG " in result.stderr  # debug logging really was on
    outputs = [result.stdout, result.stderr] + [p.read_text() for p in (tmp_path / "out").iterdir()]
    for canary in (*LAMBDA_CANARIES, SESSION_TOKEN_CANARY, "testing-secret"):
        assert not any(canary in text for text in outputs), canary
    report = load_report(tmp_path)
    lambda_role = next(i for i in report["identities"] if i["name"] == "support-summarizer-lambda")
    assert any("OPENAI_API_KEY" in e["detail"] for e in lambda_role["agent"]["evidence"])
