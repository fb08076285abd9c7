"""Entra Agent ID as a native registry, end to end: the real CLI against the Graph emulator over HTTP.

Attestation (beta lifecycle, inline by $expand), blueprints, and the beta agent registry's instances.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from connectors.entra.demo_agents import AGENT_POLICY_ID, VENDOR_FAQ_INSTANCE
from connectors.entra.demo_tenant import demo_tenant
from connectors.entra.emulator import GraphEmulator
from reports.schema_loader import load_report_schema
from scanner.rules import finding_id

pytestmark = pytest.mark.slow

TOKEN_ENV = "SHADOWSWEEP_TEST_GRAPH_TOKEN"
NOW = datetime.now(UTC).replace(microsecond=0)
BENEFITS_INSTANCE = "Copilot Studio Agent: hr-benefits-0007"
PAGED_INSTANCES = 101  # with the demo's three and the benefits one: two pages of Graph's default 100


@pytest.fixture(scope="module")
def graph() -> Iterator[tuple[GraphEmulator, str]]:
    """The Contoso demo tenant, plus an instance for the benefits agent and enough instances to page."""
    tenant, registry = demo_tenant(NOW)
    benefits = next(sp for sp in tenant.service_principals if sp.display_name == "HR Benefits Agent")
    omar = next(u for u in tenant.users if u.user_principal_name.startswith("omar.haddad"))
    tenant.add_agent_instance(
        "HR Benefits Agent",
        id=BENEFITS_INSTANCE,
        agent_identity_id=benefits.id,
        agent_identity_blueprint_id=benefits.agent_identity_blueprint_id,
        owner_ids=(omar.id,),
        originating_store="Copilot Studio",
        managed_by="9d8f559b-5984-46a4-902a-ad4271e83efa",
    )
    for n in range(PAGED_INSTANCES):
        tenant.add_agent_instance(f"Team bot {n:03d}", owner_ids=(omar.id,), originating_store="Teams")
    with GraphEmulator(tenant) as emulator:
        yield emulator, registry


@pytest.fixture
def emu(graph: tuple[GraphEmulator, str]) -> Iterator[GraphEmulator]:
    emulator, _ = graph
    emulator.clear_faults()
    emulator.reset_log()
    yield emulator
    emulator.clear_faults()


def scan(tmp_path: Path, emulator: GraphEmulator, registry: str, *, more: str = "", entra: str = "") -> dict[str, Any]:
    """`python -m scanner scan` with the file and Entra Agent ID as registry sources; the validated report."""
    (tmp_path / "agents.yaml").write_text("version: 1\nagents:\n" + registry)
    (tmp_path / "shadowsweep.toml").write_text(
        f'[scan]\nregistries = ["file:agents.yaml", "entra-agent-id"]\nout = "out"\n{more}\n'
        f'[connectors.entra]\ngraph_endpoint = "{emulator.url}"\ntoken_env = "{TOKEN_ENV}"\n{entra}'
    )
    env = {**os.environ, TOKEN_ENV: "test-token-never-logged"}
    command = [sys.executable, "-m", "scanner", "scan", "-c", str(tmp_path / "shadowsweep.toml")]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads((tmp_path / "out" / "report.json").read_text())
    jsonschema.validate(report, load_report_schema())
    return report


def sp(emulator: GraphEmulator, name: str) -> Any:
    return next(s for s in emulator.tenant.service_principals if s.display_name == name)


def by_rule(report: dict[str, Any], rule: str) -> dict[str, dict[str, Any]]:
    """A rule's findings by the name of their identity (or their registry id)."""
    names = {i["uid"]: i["name"] for i in report["identities"]}
    return {names.get(f["identity_uid"] or "", f["registry_id"]): f for f in report["findings"] if f["rule"] == rule}


def records(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in report["registry_records"]}


def test_native_records_register_with_provenance_blueprint_and_instance(
    graph: tuple[GraphEmulator, str], emu: GraphEmulator, tmp_path: Path
) -> None:
    report = scan(tmp_path, emu, graph[1])
    assert report["scan"]["complete"] is True
    assert report["scan"]["registry"]["sources"][-1] == "entra-agent-id"
    benefits, offboarding, hr = (
        sp(emu, n) for n in ("HR Benefits Agent", "HR Offboarding Agent", "HR Onboarding Agent")
    )
    identities = {i["name"]: i for i in report["identities"]}
    native = records(report)
    for agent in (benefits, offboarding):
        record = native[f"entra-agent-id.{agent.id}"]
        assert record["provenance"] == "entra-agent-id" and record["identities"] == [agent.id]
        assert identities[agent.display_name]["registry_id"] == record["id"]
        assert record["native"]["blueprint_id"] == hr.agent_identity_blueprint_id
        assert record["native"]["blueprint_name"] == "HR Onboarding Agent Blueprint"
    assert identities["HR Onboarding Agent"]["registry_id"] == "entra-hr-agent"  # the file stays authoritative
    shadow = by_rule(report, "unregistered-agent")
    assert not {"HR Benefits Agent", "HR Offboarding Agent", "Procurement Q&A Agent"} & set(shadow)
    assert "ChatGPT" in shadow  # consent to a vendor app is in no native registry
    # The instance enriches the benefits agent: store, owners (resolved to a sign-in name), its id.
    enriched = native[f"entra-agent-id.{benefits.id}"]
    assert enriched["owner"] == "jane.doe@contoso.example"  # the sponsor stays accountable
    assert enriched["purpose"] == "Entra Agent ID: HR Benefits Agent; agent registry: from Copilot Studio"
    assert enriched["native"]["instance_id"] == BENEFITS_INSTANCE
    assert enriched["native"]["owners"] == ["omar.haddad@contoso.example"]
    assert enriched["native"]["managed_by"] == "9d8f559b-5984-46a4-902a-ad4271e83efa"
    assert enriched["native"]["attestation"]["last_attested_at"] == (NOW - timedelta(days=12)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    enriched["native"]["attestation"]["last_attested_at"] = "12 days ago"  # the schema types the additions
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, load_report_schema())


def test_instances_without_agent_identity_are_records_and_owners_are_looked_up(
    graph: tuple[GraphEmulator, str], emu: GraphEmulator, tmp_path: Path
) -> None:
    report = scan(tmp_path, emu, graph[1])
    native = records(report)
    procurement = native["entra-agent-id.instance.Copilot Studio Agent: procurement-qa-0117"]
    agent_user = next(u for u in emu.tenant.users if u.user_principal_name.startswith("procurement-agent"))
    assert (procurement["status"], procurement["identities"]) == ("active", [agent_user.id])
    assert (
        procurement["owner"] == "li.wei@contoso.example"
        and procurement["native"]["originating_store"] == "Copilot Studio"
    )
    user = next(i for i in report["identities"] if i["kind"] == "agent_user")
    assert (user["name"], user["registry_id"]) == ("Procurement Q&A Agent", procurement["id"])
    vendor = native[f"entra-agent-id.instance.{VENDOR_FAQ_INSTANCE}"]
    assert vendor["identities"] == [] and vendor["provenance"] == "entra-agent-id"
    gone = by_rule(report, "agent-without-owner")[vendor["id"]]
    assert gone["status"] == "fail" and "was not found" in gone["evidence"][0]  # a 404, not a guess
    assert (
        len([r for r in native if r.startswith("entra-agent-id.instance.")]) == 2 + PAGED_INSTANCES
    )  # two of the 105 name an agent identity
    pages = [r for r in emu.requests() if r.path == "/agentRegistry/agentInstances"]
    assert [r.version for r in pages] == ["beta", "beta"] and "skiptoken" in pages[1].query.lower()
    lookups = [r for r in emu.requests() if r.in_batch and r.path.startswith("/users/")]
    assert sorted(r.status for r in lookups) == [200, 404]  # the agent user, and the departed owner
    (coverage,) = report["scan"]["coverage"]
    assert coverage["api_calls"] == emu.request_count()


def test_stale_and_never_attested_agents_fail_with_evidence(
    graph: tuple[GraphEmulator, str], emu: GraphEmulator, tmp_path: Path
) -> None:
    report = scan(tmp_path, emu, graph[1])
    stale = by_rule(report, "stale-agent-attestation")
    assert set(stale) == {"HR Onboarding Agent", "HR Offboarding Agent"}  # the benefits agent attested 12 days ago
    hr = stale["HR Onboarding Agent"]
    assert (hr["status"], hr["severity"], hr["registry_id"]) == ("fail", "medium", "entra-hr-agent")
    day = (NOW - timedelta(days=200)).date().isoformat()
    assert hr["evidence"][0].endswith(f"was last attested on {day}, 200 days ago (limit 90 days)")
    assert hr["evidence"][1] == (
        "compliance issue: SponsorCountBelowMinimum: The agent identity does not meet the minimum sponsor count "
        "requirement."
    )
    assert hr["evidence"][2] == f"governing lifecycle policy: {AGENT_POLICY_ID}"
    assert hr["id"] == finding_id(
        "stale-agent-attestation", f"entra:service_principal:{sp(emu, 'HR Onboarding Agent').id}"
    )
    never = stale["HR Offboarding Agent"]
    assert (
        never["status"] == "fail"
        and "has never been attested, created 45 days ago (limit 90 days)" in never["evidence"][0]
    )
    lifecycle = [r for r in emu.requests() if r.path == "/servicePrincipals/microsoft.graph.agentIdentity"]
    assert [(r.version, "expand=lifecycle" in r.query) for r in lifecycle] == [("beta", True)]  # one request for all


def test_a_longer_limit_passes_the_stale_one_but_never_the_unattested(
    graph: tuple[GraphEmulator, str], emu: GraphEmulator, tmp_path: Path
) -> None:
    report = scan(tmp_path, emu, graph[1], more="attestation_max_age_days = 365\n")
    assert report["scan"]["settings"]["attestation_max_age_days"] == 365
    assert set(by_rule(report, "stale-agent-attestation")) == {"HR Offboarding Agent"}


def test_file_retired_but_entra_active_is_a_disagreement(
    graph: tuple[GraphEmulator, str], emu: GraphEmulator, tmp_path: Path
) -> None:
    benefits = sp(emu, "HR Benefits Agent")
    retired = (
        f"  - id: benefits-bot\n    owner: jane.doe@contoso.example\n    purpose: benefits questions\n"
        f"    status: retired\n    retired_on: 2026-01-31\n    identities: [{benefits.id}]\n"
    )
    report = scan(tmp_path, emu, graph[1] + retired)
    (finding,) = by_rule(report, "registry-disagreement").values()
    assert (finding["status"], finding["registry_id"]) == ("fail", "benefits-bot")
    assert finding["identity_uid"] == f"entra:service_principal:{benefits.id}"
    assert finding["evidence"] == [
        "registry file: benefits-bot is retired since 2026-01-31",
        f"entra-agent-id: entra-agent-id.{benefits.id} is active",
    ]
    assert f"entra-agent-id.{benefits.id}" not in records(report)


def test_denied_lifecycle_is_a_gap_and_attestation_is_unknown(
    graph: tuple[GraphEmulator, str], emu: GraphEmulator, tmp_path: Path
) -> None:
    emu.deny("/servicePrincipals/microsoft.graph.agentIdentity")
    report = scan(tmp_path, emu, graph[1])
    (coverage,) = report["scan"]["coverage"]
    (gap,) = coverage["gaps"]
    assert (gap["resource"], gap["reason"], gap["facets"]) == (
        "GET /servicePrincipals/microsoft.graph.agentIdentity",
        "denied",
        ["attestation"],
    )
    assert "AgentIdentity.Read.All" in gap["detail"] and report["scan"]["complete"] is False
    stale = by_rule(report, "stale-agent-attestation")
    assert set(stale) == {"HR Onboarding Agent", "HR Offboarding Agent", "HR Benefits Agent"}
    assert {f["status"] for f in stale.values()} == {"unknown"}  # never a pass, never a guess
    assert all("(denied)" in f["evidence"][1] for f in stale.values())
    assert all(
        r["native"]["attestation"] is None for r in records(report).values() if r.get("native", {}).get("blueprint_id")
    )
    assert not any("attestation" in i for i in report["identities"])


def test_denied_agent_registry_is_a_gap_not_an_empty_registry(
    graph: tuple[GraphEmulator, str], emu: GraphEmulator, tmp_path: Path
) -> None:
    emu.deny("/agentRegistry")
    report = scan(tmp_path, emu, graph[1])
    (coverage,) = report["scan"]["coverage"]
    (gap,) = coverage["gaps"]
    assert (gap["resource"], gap["reason"], gap["facets"]) == (
        "GET /agentRegistry/agentInstances",
        "denied",
        ["native_registry"],
    )
    assert "AgentInstance.Read.All" in gap["detail"]
    (finding,) = by_rule(report, "collection-gap").values()
    assert (finding["status"], finding["severity"]) == ("unknown", "medium")
    native = records(report)
    assert not [r for r in native if r.startswith("entra-agent-id.instance.")]
    assert f"entra-agent-id.{sp(emu, 'HR Benefits Agent').id}" in native  # agent identities still register


def test_a_tenant_without_the_agent_registry_is_a_low_impact_gap(
    graph: tuple[GraphEmulator, str], emu: GraphEmulator, tmp_path: Path
) -> None:
    instances = emu.tenant.agent_instances
    emu.tenant.agent_instances = None
    try:
        report = scan(tmp_path, emu, graph[1])
    finally:
        emu.tenant.agent_instances = instances
    (coverage,) = report["scan"]["coverage"]
    (gap,) = coverage["gaps"]
    assert (gap["reason"], gap["facets"]) == ("unsupported", ["native_registry"])
    assert "not available in this tenant" in gap["detail"] and report["scan"]["complete"] is False
    (finding,) = by_rule(report, "collection-gap").values()
    assert (finding["status"], finding["severity"]) == ("unknown", "info")


def test_agent_registry_off_reads_nothing_and_records_no_gap(
    graph: tuple[GraphEmulator, str], emu: GraphEmulator, tmp_path: Path
) -> None:
    report = scan(tmp_path, emu, graph[1], entra="agent_registry = false\n")
    assert report["scan"]["complete"] is True
    assert not [r for r in emu.requests() if r.path.startswith("/agentRegistry")]
    assert not [r for r in records(report) if r.startswith("entra-agent-id.instance.")]


def _get(emulator: GraphEmulator, path: str) -> tuple[int, Any]:
    request = urllib.request.Request(emulator.url + path, headers={"Authorization": "Bearer t"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_emulator_serves_lifecycle_and_instances_as_graph_beta_does(emu: GraphEmulator) -> None:
    status, page = _get(emu, "/beta/servicePrincipals/microsoft.graph.agentIdentity?$select=id&$expand=lifecycle")
    assert status == 200
    states = {item["id"]: item["lifecycle"] for item in page["value"]}
    hr = states[sp(emu, "HR Onboarding Agent").id]
    assert hr["@odata.type"] == "#microsoft.graph.identityGovernance.agentIdentityLifecycle"
    assert hr["effectiveGoverningPolicy"] == {"id": AGENT_POLICY_ID}
    assert hr["complianceIssues"][0]["issueCode"] == "SponsorCountBelowMinimum"
    assert states[sp(emu, "HR Offboarding Agent").id]["lastAttestationDateTime"] is None
    single = _get(emu, f"/beta/servicePrincipals/{sp(emu, 'HR Benefits Agent').id}/lifecycle")[1]
    assert single["@odata.context"].endswith("/lifecycle/$entity") and single["lastAttestationDateTime"]
    assert _get(emu, "/v1.0/servicePrincipals/microsoft.graph.agentIdentity?$expand=lifecycle")[0] == 400
    assert _get(emu, f"/beta/servicePrincipals/{sp(emu, 'ChatGPT').id}/lifecycle")[0] == 404  # not an agent
    status, page = _get(emu, "/beta/agentRegistry/agentInstances?$top=2")
    assert status == 200 and len(page["value"]) == 2 and page["@odata.nextLink"].startswith(emu.url + "/beta/")
    assert set(page["value"][0]) >= {"agentIdentityId", "agentUserId", "ownerIds", "originatingStore", "managedBy"}
    assert _get(emu, "/v1.0/agentRegistry/agentInstances")[0] == 400  # beta only
    emu.inject("/agentRegistry", 403)
    assert _get(emu, "/beta/agentRegistry/agentInstances")[1]["error"]["code"] == "Authorization_RequestDenied"
