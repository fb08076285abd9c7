"""The Entra connector end to end through the CLI, against the local Graph emulator."""

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

from connectors.entra.demo_tenant import demo_tenant
from connectors.entra.emulator import GraphEmulator
from connectors.entra.emulator_model import AGENT_IDENTITY_TYPE
from reports.schema_loader import load_report_schema

pytestmark = pytest.mark.slow

TOKEN_ENV = "SHADOWSWEEP_TEST_GRAPH_TOKEN"
TOKEN_CANARY = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJjYW5hcnkiOiJzaGFkb3dzd2VlcCJ9.CANARYSIGNATURE"


@pytest.fixture(scope="module")
def graph() -> Iterator[tuple[GraphEmulator, str]]:
    """The Contoso demo tenant, grown past one page of service principals and one $batch of agents."""
    tenant, registry = demo_tenant(datetime.now(UTC))
    for n in range(1_050):
        tenant.add_service_principal(f"line-of-business-app-{n:04d}", app_owner_organization_id=tenant.tenant_id)
    for n in range(23):
        tenant.add_service_principal(
            f"Agent {n:02d}", odata_type=AGENT_IDENTITY_TYPE, service_principal_type="ServiceIdentity"
        )
    with GraphEmulator(tenant) as emulator:
        yield emulator, registry


@pytest.fixture
def emu(graph: tuple[GraphEmulator, str]) -> Iterator[GraphEmulator]:
    emulator, _ = graph
    emulator.clear_faults()
    emulator.reset_log()
    yield emulator
    emulator.clear_faults()


def scan(tmp_path: Path, emulator: GraphEmulator, registry: str, *extra: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "agents.yaml").write_text("version: 1\nagents:\n" + registry)
    (tmp_path / "shadowsweep.toml").write_text(
        f'[scan]\nregistry = "agents.yaml"\nout = "out"\n\n[connectors.entra]\n'
        f'graph_endpoint = "{emulator.url}"\ntoken_env = "{TOKEN_ENV}"\n'
    )
    env = {**os.environ, TOKEN_ENV: TOKEN_CANARY}
    command = [sys.executable, "-m", "scanner", *extra, "scan", "-c", str(tmp_path / "shadowsweep.toml")]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)


def report_of(tmp_path: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((tmp_path / "out" / "report.json").read_text())
    jsonschema.validate(report, load_report_schema())
    return report


def findings(report: dict[str, Any], status: str = "fail") -> set[tuple[str, str]]:
    names = {i["uid"]: i["name"] for i in report["identities"]}
    return {
        (f["rule"], names.get(f["identity_uid"] or "", "") or f["registry_id"] or "")
        for f in report["findings"]
        if f["status"] == status
    }


def test_tenant_scan_finds_every_planted_case(
    graph: tuple[GraphEmulator, str], emu: GraphEmulator, tmp_path: Path
) -> None:
    done = scan(tmp_path, emu, graph[1])
    assert done.returncode == 0, done.stderr
    report = report_of(tmp_path)
    assert report["scan"]["complete"] is True
    found = findings(report)
    for case in [
        ("unregistered-agent", "ChatGPT"),  # a user's consent to an AI vendor app
        ("unregistered-agent", "Otter.ai Meeting Notes"),  # admin consent to a note-taker
        ("unregistered-agent", "Sales Copilot Agent"),  # Copilot-like app calling Azure OpenAI
        ("long-lived-agent-credential", "Sales Copilot Agent"),  # its two-year client secret
        ("agent-privilege-path", "Sales Copilot Agent"),  # it owns a Global Administrator
        ("agent-without-owner", "HR Onboarding Agent"),  # its sponsor has left
        ("retired-agent-active", "Claims Triage Bot"),  # retired, secret still valid
    ]:
        assert case in found, case
    identities = {i["name"]: i for i in report["identities"]}
    assert len([n for n in identities if n.startswith("line-of-business-app-")]) == 1_050
    assert not identities["line-of-business-app-0001"]["agent"]["is_agent"]
    assert identities["agent-deployer"]["registry_id"] == "entra-agent-deployer"
    retired = next(
        f for f in report["findings"] if f["rule"] == "retired-agent-active" and "Claims" in str(f["evidence"])
    )
    assert any(line.startswith("secret ") and "is active" in line for line in retired["evidence"])
    path = next(f for f in report["findings"] if f["rule"] == "agent-privilege-path")
    assert path["path"][0]["relation"] == "OWNS" and "Global Administrator" in path["evidence"][-1]


def test_paging_batching_and_request_count(
    graph: tuple[GraphEmulator, str], emu: GraphEmulator, tmp_path: Path
) -> None:
    assert scan(tmp_path, emu, graph[1]).returncode == 0
    log = emu.requests()
    sp_pages = [r for r in log if r.path == "/servicePrincipals" and "appRoles" in r.query]
    assert len(sp_pages) == 2 and "skiptoken" in sp_pages[1].query.lower()  # 1,070+ SPs at $top=999
    batches = [r for r in log if r.is_batch]
    assert len(batches) >= 3 and all(b.batch_size <= 20 for b in batches)  # 24 agents: owners + sponsors
    report = report_of(tmp_path)
    (coverage,) = report["scan"]["coverage"]
    assert coverage["api_calls"] == emu.request_count()  # the report counts what the server saw


def test_a_429_storm_is_retried_and_one_that_never_ends_is_a_gap(
    graph: tuple[GraphEmulator, str], emu: GraphEmulator, tmp_path: Path
) -> None:
    agent = next(sp for sp in emu.tenant.service_principals if sp.display_name == "Agent 00")
    emu.inject(f"/servicePrincipals/{agent.id}/owners", 429, count=2, retry_after=0.1)  # inside $batch, per item
    emu.inject("/servicePrincipals", 429, count=3, retry_after=0.2)
    emu.inject("/oauth2PermissionGrants", 429, count=100, retry_after=0.05)
    done = scan(tmp_path, emu, graph[1])
    assert done.returncode == 0, done.stderr
    report = report_of(tmp_path)
    (coverage,) = report["scan"]["coverage"]
    assert {(g["resource"], g["reason"]) for g in coverage["gaps"]} == {("GET /oauth2PermissionGrants", "throttled")}
    assert coverage["status"] == "partial"
    assert ("unregistered-agent", "HR Onboarding Agent Blueprint") in findings(report)  # the rest was read
    statuses = [r.status for r in emu.requests() if r.path == "/servicePrincipals"]
    assert statuses.count(429) == 3 and 200 in statuses
    owners = [r.status for r in emu.requests() if r.in_batch and r.path == f"/servicePrincipals/{agent.id}/owners"]
    assert owners == [429, 429, 200]  # the SDK never retries inside $batch; the connector does


@pytest.mark.parametrize(
    ("path", "permission"),
    [
        ("/reports/servicePrincipalSignInActivities", "AuditLog.Read.All"),
        ("/oauth2PermissionGrants", "DelegatedPermissionGrant.Read.All"),
        ("/roleManagement", "RoleManagement.Read.Directory"),
    ],
)
def test_denied_endpoint_is_a_gap_naming_the_permission(
    graph: tuple[GraphEmulator, str], emu: GraphEmulator, tmp_path: Path, path: str, permission: str
) -> None:
    emu.deny(path)
    done = scan(tmp_path, emu, graph[1])
    assert done.returncode == 0, done.stderr
    report = report_of(tmp_path)
    (coverage,) = report["scan"]["coverage"]
    assert coverage["gaps"] and all(g["reason"] == "denied" and permission in g["detail"] for g in coverage["gaps"])
    assert all(g["resource"].startswith(f"GET {path}") for g in coverage["gaps"])
    unknown = findings(report, "unknown")
    if permission == "AuditLog.Read.All":
        assert ("stale-agent-credential", "Sales Copilot Agent") in unknown  # never a false "never used"
    if permission == "RoleManagement.Read.Directory":
        assert ("agent-privilege-path", "Sales Copilot Agent") not in findings(report)
        assert ("agent-privilege-path", "Sales Copilot Agent") in unknown


def test_bearer_token_never_reaches_logs_or_reports(
    graph: tuple[GraphEmulator, str], emu: GraphEmulator, tmp_path: Path
) -> None:
    done = scan(tmp_path, emu, graph[1], "--debug")
    assert done.returncode == 0, done.stderr
    assert " DEBUG " in done.stderr
    texts = [done.stdout, done.stderr, *(p.read_text() for p in (tmp_path / "out").iterdir())]
    assert not any(TOKEN_CANARY in text or TOKEN_CANARY[:40] in text for text in texts)


def test_registry_owners_are_looked_up_in_the_directory(
    graph: tuple[GraphEmulator, str], emu: GraphEmulator, tmp_path: Path
) -> None:
    """An owner who left is a finding; one in a domain this tenant does not own is not judged at all."""
    deployer = next(sp for sp in emu.tenant.service_principals if sp.display_name == "agent-deployer")
    chatgpt = next(sp for sp in emu.tenant.service_principals if sp.display_name == "ChatGPT")
    registry = (
        f"  - id: deployer\n    owner: gone.person@contoso.example\n    purpose: deploys\n    status: active\n"
        f"    identities: [{deployer.app_id}]\n"
        f"  - id: chat\n    owner: someone@partner.example\n    purpose: chat\n    status: active\n"
        f"    identities: [{chatgpt.id}]\n"
    )
    assert scan(tmp_path, emu, registry).returncode == 0
    report = report_of(tmp_path)
    owners = {f["registry_id"]: f for f in report["findings"] if f["rule"] == "agent-without-owner"}
    assert owners["deployer"]["status"] == "fail" and "not found" in owners["deployer"]["evidence"][0]
    assert "chat" not in owners
    lookups = [r for r in emu.requests() if r.in_batch and r.path == "/users"]
    assert len(lookups) == 1 and "gone.person" in lookups[0].query
