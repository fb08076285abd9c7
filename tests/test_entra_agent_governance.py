"""Entra Agent ID governance reads on recorded Graph JSON: lifecycle (attestation) and agent registry instances."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from builders import NOW

from connectors.entra.agent_fetch import INSTANCES_PATH, LIFECYCLE_PATH, agent_governance
from connectors.entra.client import GraphError
from connectors.entra.fetch import TenantFetch
from connectors.entra.normalize import Snapshot
from connectors.entra.normalize import records as normalized
from scanner.model import AgentInstance, Attestation, Facet, GapReason, Identity

TENANT = "6f1b2c3d-8a9e-4b7c-9d2e-0a1b2c3d4e5f"

FIXTURE = Path(__file__).parent / "fixtures" / "entra" / "agent_governance.json"
BLUEPRINT_APP = "d0108c41-d2d2-4e78-b073-92f57b752bd0"
ATTESTED, NEVER, MISSING = (
    "55bc54bb-f5ef-431b-9e8f-6ee6320191fe",
    "6e2d1f0a-3b4c-4d5e-8f6a-7b8c9d0e1f2a",
    "7f3e2a1b-4c5d-4e6f-9a0b-1c2d3e4f5a6b",
)


class Listings:
    """A GraphClient stand-in: each listing path answers recorded JSON, or raises the recorded error."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.paths: list[str] = []

    async def collect(self, path: str, params: dict[str, str] | None = None, version: str = "v1.0") -> list[Any]:
        self.paths.append(f"{version} {path} {params}")
        answer = self.answers[path]
        if isinstance(answer, GraphError):
            raise answer
        return list(answer["value"])


def agent_sps(*ids: str) -> list[dict[str, Any]]:
    blueprint = {"@odata.type": "#microsoft.graph.agentIdentityBlueprintPrincipal", "id": "bp-sp",
                 "appId": BLUEPRINT_APP, "displayName": "Security Copilot agents"}  # fmt: skip
    return [blueprint] + [
        {
            "@odata.type": "#microsoft.graph.agentIdentity",
            "id": i,
            "appId": f"app-{i}",
            "displayName": f"agent {i}",
            "servicePrincipalType": "ServiceIdentity",
            "agentIdentityBlueprintId": BLUEPRINT_APP,
        }  # fmt: skip
        for i in ids
    ]


def governance(answers: dict[str, Any], sps: list[dict[str, Any]]) -> tuple[Snapshot, TenantFetch, Listings]:
    client = Listings(answers)
    snap = Snapshot(tenant_id=TENANT, service_principals=sps)
    fetch = TenantFetch(client=client, tenant_id=TENANT)  # type: ignore[arg-type]
    asyncio.run(agent_governance(fetch, snap))
    return snap, fetch, client


def test_recorded_lifecycles_and_instances_normalize() -> None:
    data = json.loads(FIXTURE.read_text())
    answers = {LIFECYCLE_PATH: data["lifecycles"], INSTANCES_PATH: data["agentInstances"]}
    snap, fetch, client = governance(answers, agent_sps(ATTESTED, NEVER, MISSING))
    assert fetch.gaps == []
    assert sorted(client.paths) == [
        "beta /agentRegistry/agentInstances {'$select': 'id,displayName,agentIdentityId,agentIdentityBlueprintId,"
        "agentUserId,ownerIds,originatingStore,managedBy,createdBy,createdDateTime'}",
        "beta /servicePrincipals/microsoft.graph.agentIdentity "
        "{'$select': 'id', '$expand': 'lifecycle', '$top': '999'}",
    ]
    produced = list(normalized(snap, NOW))
    agents = {i.native_ids[0]: i for i in produced if isinstance(i, Identity)}
    assert agents[ATTESTED].attributes["lifecycle"] == Attestation(
        last_attested_at=datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=UTC),
        compliance_issues=(
            "SponsorCountBelowMinimum: The agent identity does not meet the minimum sponsor count requirement.",
        ),
        governing_policy="f360e310-e2c9-4bb3-a3ca-791d3c0b6548",
    )
    assert agents[NEVER].attributes["lifecycle"] == Attestation(last_attested_at=None)  # an explicit null
    assert "lifecycle" not in agents[MISSING].attributes  # no property at all: unknown, never "never attested"
    assert agents[ATTESTED].attributes["agent_blueprint_name"] == "Security Copilot agents"
    first, second = (r for r in produced if isinstance(r, AgentInstance))
    assert first == AgentInstance(
        uid="entra:agent_instance:Security Copilot Platform Agent: 00222", provider="entra", scope=TENANT,
        instance_id="Security Copilot Platform Agent: 00222", name="Conditional Access Agent",
        agent_identity_id=ATTESTED, blueprint_id=BLUEPRINT_APP,
        owners=("daf58b0e-44e1-433c-b6b0-ca70cae320b8", "b9108c41-d2d2-4e78-b073-92f57b752bd0"),
        originating_store="Microsoft Security Copilot", managed_by="719cc904-9700-4e08-9941-fd826cc84c60",
        created_by="d47bffae-411a-4de9-8548-05e79bc01f0d",
        created_at=datetime(2025, 1, 1, 0, 0, 0, 123456, tzinfo=UTC),
    )  # fmt: skip
    assert (second.agent_identity_id, second.agent_user_id, second.owners) == (
        "",
        "ee108c41-d2d2-4e78-b073-92f57b752bd0",
        (),
    )


def test_denied_lifecycle_and_a_missing_registry_are_gaps_never_empty_answers() -> None:
    denied = GraphError(403, "Authorization_RequestDenied", "Insufficient privileges.", LIFECYCLE_PATH)
    missing = GraphError(404, "ResourceNotFound", "Not found.", INSTANCES_PATH)
    snap, fetch, _ = governance({LIFECYCLE_PATH: denied, INSTANCES_PATH: missing}, agent_sps(ATTESTED))
    assert snap.lifecycles is None and snap.instances == []
    gaps = {g.resource: g for g in fetch.gaps}
    lifecycle = gaps["GET /servicePrincipals/microsoft.graph.agentIdentity"]
    assert (lifecycle.reason, lifecycle.facets) == (GapReason.DENIED, frozenset({Facet.ATTESTATION}))
    assert lifecycle.detail.endswith("; needs AgentIdentity.Read.All")
    registry = gaps["GET /agentRegistry/agentInstances"]
    assert (registry.reason, registry.facets) == (GapReason.UNSUPPORTED, frozenset({Facet.NATIVE_REGISTRY}))
    assert "the agent registry is not available in this tenant" in registry.detail
    (ident,) = (r for r in normalized(snap, NOW) if isinstance(r, Identity) and r.kind == "agent_identity")
    assert "lifecycle" not in ident.attributes


def test_no_agent_identities_no_lifecycle_request() -> None:
    data = json.loads(FIXTURE.read_text())
    _, fetch, client = governance({INSTANCES_PATH: {"value": []}, LIFECYCLE_PATH: data["lifecycles"]}, [])
    assert fetch.gaps == [] and [p.split()[1] for p in client.paths] == [INSTANCES_PATH]
