"""Entra Agent ID as a registry source: registered with provenance, owners from sponsors, disagreements flagged."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from builders import days_ago, gap, record, run, scanned

from scanner.config import ScanSettings, load_settings
from scanner.errors import ConfigError
from scanner.model import Absent, AgentInstance, Attestation, Facet, Gap, Identity
from scanner.rules import finding_id

TENANT = "6f1b2c3d-8a9e-4b7c-9d2e-0a1b2c3d4e5f"


def agent(
    object_id: str,
    name: str,
    *,
    enabled: bool = True,
    sponsors: tuple[str, ...] = (),
    attestation: Attestation | None = None,
    blueprint: str = "",
    created_at: datetime | None = None,
) -> Identity:
    lifecycle = {"lifecycle": attestation} if attestation else {}
    return Identity(
        uid=f"entra:service_principal:{object_id}", provider="entra", kind="agent_identity", scope=TENANT,
        name=name, native_ids=(object_id, f"app-{object_id}"), enabled=enabled, sponsors=sponsors,
        created_at=created_at,
        attributes={"odata_type": "#microsoft.graph.agentIdentity", "agent_blueprint_id": blueprint, **lifecycle},
    )  # fmt: skip


def person(object_id: str, upn: str, *, enabled: bool = True) -> Identity:
    return Identity(
        uid=f"entra:user:{object_id}", provider="entra", kind="user", scope=TENANT, name=upn,
        native_ids=(object_id, upn), enabled=enabled, human=True,
    )  # fmt: skip


NATIVE = ScanSettings(registries=("entra-agent-id",))


def test_native_records_register_agents_with_their_sponsor_as_owner() -> None:
    records = [
        *scanned(TENANT, provider="entra"),
        person("u-1", "jane@contoso.example"),
        person("u-2", "gone@contoso.example", enabled=False),
        agent("a-1", "HR Onboarding", sponsors=("u-1",)),
        agent("a-2", "Expense helper", sponsors=("u-2",)),
        agent("a-3", "Orphan agent"),
    ]
    result = run(records, settings=NATIVE)
    assert result.rule("unregistered-agent") == []  # each agent identity is in the native registry
    registered = {uid: r for uid, r in result.matches.items()}
    assert {r.provenance for r in registered.values()} == {"entra-agent-id"}
    assert registered["entra:service_principal:a-1"].owner == "jane@contoso.example"
    owners = {f.registry_id: f.evidence[0] for f in result.rule("agent-without-owner")}
    assert owners == {
        "entra-agent-id.a-2": "owner gone@contoso.example is disabled in entra scope " + TENANT,
        "entra-agent-id.a-3": "no owner",
    }


def test_without_the_source_the_same_agents_are_shadow_agents() -> None:
    records = [*scanned(TENANT, provider="entra"), agent("a-1", "HR Onboarding")]
    assert [f.identity_uid for f in run(records).rule("unregistered-agent")] == ["entra:service_principal:a-1"]


def test_file_retired_but_entra_active_is_a_disagreement() -> None:
    records = [*scanned(TENANT, provider="entra"), agent("a-1", "Claims agent"), agent("a-9", "Paused", enabled=False)]
    file_records = [
        record("claims", "a-1", status="retired"),
        record("paused", "a-9", status="retired"),
    ]
    result = run(records, file_records, settings=NATIVE)
    (finding,) = result.rule("registry-disagreement")  # the disabled one agrees with "retired"
    assert finding.registry_id == "claims" and finding.identity_uid == "entra:service_principal:a-1"
    assert "entra-agent-id" in finding.evidence[1] and "active" in finding.evidence[1]
    assert all(r.provenance == "file" for r in result.matches.values())  # the file stays authoritative


def attested(days: int | None, *issues: str, policy: str = "") -> Attestation:
    return Attestation(last_attested_at=None if days is None else days_ago(days), compliance_issues=issues,
                       governing_policy=policy)  # fmt: skip


def lifecycle_gap() -> Gap:
    return gap(
        Facet.ATTESTATION,
        scope=TENANT,
        provider="entra",
        resource="GET /servicePrincipals/microsoft.graph.agentIdentity",
    )


@pytest.mark.parametrize(
    ("state", "extra", "status", "evidence"),
    [
        pytest.param(attested(10), [], None, None, id="recent"),
        pytest.param(attested(90), [], None, None, id="on-the-limit"),
        pytest.param(
            attested(200, "SponsorCountBelowMinimum: too few sponsors", policy="pol-1"),
            [],
            "fail",
            [
                "agent identity Claims agent (a-1) was last attested on 2025-11-13, 200 days ago (limit 90 days)",
                "compliance issue: SponsorCountBelowMinimum: too few sponsors",
                "governing lifecycle policy: pol-1",
            ],
            id="stale",
        ),
        pytest.param(
            attested(None),
            [],
            "fail",
            ["agent identity Claims agent (a-1) has never been attested, created 45 days ago (limit 90 days)"],
            id="never",
        ),
        pytest.param(
            None,
            [lifecycle_gap()],
            "unknown",
            [
                "last attestation of agent identity Claims agent (a-1) could not be read",
                "could not be decided: GET /servicePrincipals/microsoft.graph.agentIdentity (denied)",
            ],
            id="denied",
        ),
        pytest.param(
            None,
            [],
            "unknown",
            [
                "last attestation of agent identity Claims agent (a-1) could not be read",
                "Graph returned no lifecycle state for it",
            ],
            id="not-returned",
        ),
    ],
)
def test_stale_agent_attestation(
    state: Attestation | None, extra: list[Gap], status: str | None, evidence: list[str] | None
) -> None:
    claims = agent("a-1", "Claims agent", attestation=state, created_at=days_ago(45))
    result = run([*scanned(TENANT, provider="entra"), claims, *extra], settings=NATIVE)
    found = result.rule("stale-agent-attestation")
    assert result.evaluated["stale-agent-attestation"] == 1
    if status is None:
        assert found == []
        return
    (finding,) = found
    assert (finding.status.value, finding.severity.label, list(finding.evidence)) == (status, "medium", evidence)
    assert finding.registry_id == "entra-agent-id.a-1" and finding.identity_uid == claims.uid
    assert finding.id == finding_id("stale-agent-attestation", claims.uid)  # stable: rule and immutable uid


def test_attestation_is_judged_for_registered_enabled_agents_only() -> None:
    stale = attested(400)
    records = [
        *scanned(TENANT, provider="entra"),
        agent("a-1", "Filed", attestation=stale),
        agent("a-2", "Paused", attestation=stale, enabled=False),
        agent("a-3", "Retired in the file", attestation=stale),
        agent("a-4", "Shadow", attestation=stale),
    ]
    file_records = [record("filed", "a-1"), record("gone", "a-3", status="retired")]
    flagged = {f.registry_id for f in run(records, file_records).rule("stale-agent-attestation")}
    assert flagged == {"filed"}  # the file registers a-1; a-4 is a shadow agent, another rule's finding
    native = {f.registry_id for f in run(records, file_records, settings=NATIVE).rule("stale-agent-attestation")}
    assert native == {"filed", "entra-agent-id.a-4"}  # a-2 is disabled, a-3 retired


def test_attestation_limit_is_a_setting() -> None:
    records = [*scanned(TENANT, provider="entra"), agent("a-1", "Claims", attestation=attested(200))]
    longer = ScanSettings(registries=("entra-agent-id",), attestation_max_age_days=365)
    assert run(records, settings=longer).rule("stale-agent-attestation") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[scan]\nattestation_max_age_days = 0\n", ":2: scan.attestation_max_age_days: must be a positive integer"),
        ("[scan]\n\nattestation_max_age_days = '90'\n", ":3: scan.attestation_max_age_days: expected int, got str"),
        ("[scan]\nattestation_max_age_days = true\n", ":2: scan.attestation_max_age_days: expected int, got bool"),
    ],
)
def test_attestation_limit_is_validated(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "shadowsweep.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value).startswith(str(path)) and expected in str(caught.value), str(caught.value)
    path.write_text("[scan]\nattestation_max_age_days = 30\n")
    assert load_settings(path).scan.attestation_max_age_days == 30 and ScanSettings().attestation_max_age_days == 90


def instance(instance_id: str, **fields: Any) -> AgentInstance:
    return AgentInstance(uid=f"entra:agent_instance:{instance_id}", provider="entra", scope=TENANT,
                         instance_id=instance_id, name=f"instance {instance_id}", **fields)  # fmt: skip


def test_instances_enrich_agents_and_register_agents_only_they_know() -> None:
    blueprint = Identity(
        uid="entra:service_principal:bp-sp", provider="entra", kind="agent_blueprint_principal", scope=TENANT,
        name="Claims Blueprint", native_ids=("bp-sp", "bp-app"),
        attributes={"odata_type": "#microsoft.graph.agentIdentityBlueprintPrincipal", "app_id": "bp-app"},
    )  # fmt: skip
    agent_user = Identity(
        uid="entra:agent_user:au-1", provider="entra", kind="agent_user", scope=TENANT, name="Procurement agent",
        native_ids=("au-1", "procurement@contoso.example"), attributes={"odata_type": "#microsoft.graph.agentUser"},
    )  # fmt: skip
    records = [
        *scanned(TENANT, provider="entra"),
        person("u-1", "jane@contoso.example"),
        person("u-2", "omar@contoso.example"),
        blueprint,
        agent_user,
        agent("a-1", "Claims agent", sponsors=("u-1",), blueprint="bp-app", attestation=attested(3)),
        agent("a-2", "Unsponsored agent"),
        instance("i-1", agent_identity_id="a-1", owners=("u-2",), originating_store="Copilot Studio", managed_by="m"),
        instance("i-2", agent_identity_id="a-2", owners=("u-2", "u-7")),
        instance("i-3", agent_user_id="au-1", owners=("u-1",), blueprint_id="bp-app", originating_store="Teams"),
        instance("i-4", owners=("u-9",)),
        Absent(provider="entra", scope=TENANT, identifier="u-9", detail="no such directory object"),
    ]
    result = run(records, settings=NATIVE)
    matched = {uid: r for uid, r in result.matches.items()}
    claims = matched["entra:service_principal:a-1"]
    assert (claims.id, claims.owner) == ("entra-agent-id.a-1", "jane@contoso.example")  # the sponsor stays owner
    assert claims.purpose == "Entra Agent ID: Claims agent; agent registry: from Copilot Studio"
    assert claims.native is not None
    assert (claims.native.instance_id, claims.native.owners, claims.native.managed_by) == (
        "i-1",
        ("omar@contoso.example",),
        "m",
    )
    assert (claims.native.blueprint_id, claims.native.blueprint_name) == ("bp-app", "Claims Blueprint")
    assert claims.native.attestation == attested(3)
    assert matched["entra:service_principal:a-2"].owner == "omar@contoso.example"  # no sponsor: the instance's owner
    procurement = matched["entra:agent_user:au-1"]
    assert (procurement.id, procurement.status.value, procurement.identities) == (
        "entra-agent-id.instance.i-3",
        "active",
        ("au-1",),
    )
    assert procurement.purpose == "Entra agent registry: instance i-3 (from Teams)"
    assert procurement.native is not None and procurement.native.blueprint_name == "Claims Blueprint"
    shadow = [f.identity_uid for f in result.rule("unregistered-agent")]
    assert shadow == [blueprint.uid]  # agent identities and the instance's agent user are registered
    assert result.rule("orphaned-registry-entry") == []
    (no_owner,) = result.rule("agent-without-owner")
    assert no_owner.registry_id == "entra-agent-id.instance.i-4"
    assert no_owner.evidence == ("owner u-9 was not found in the directory that was scanned",)


def test_instances_are_ignored_without_the_native_source() -> None:
    records = [*scanned(TENANT, provider="entra"), instance("i-1", owners=("u-9",))]
    assert run(records).rule("agent-without-owner") == []


def test_another_native_registry_plugs_in_by_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The AWS and GCP agent registries will be sources like Entra's: a name in [scan] registries and a reader."""
    from scanner import native
    from scanner.registry import AgentRecord, AgentStatus

    def catalogue(records: Any) -> list[AgentRecord]:
        return [
            AgentRecord(id=f"vendor.{r.native_ids[0]}", owner="ops@contoso.example", purpose="vendor catalogue",
                        status=AgentStatus.ACTIVE,
                        identities=(r.native_ids[0],), provenance="vendor-catalogue")
            for r in records if isinstance(r, Identity) and r.kind == "agent_identity"
        ]  # fmt: skip

    monkeypatch.setitem(native.NATIVE_SOURCES, "vendor-catalogue", catalogue)
    config = tmp_path / "shadowsweep.toml"
    config.write_text('[scan]\nregistries = ["vendor-catalogue"]\n')
    settings = load_settings(config).scan
    records = [*scanned(TENANT, provider="entra"), agent("a-1", "HR Onboarding")]
    result = run(records, settings=settings)
    assert result.rule("unregistered-agent") == []
    assert result.matches["entra:service_principal:a-1"].provenance == "vendor-catalogue"
    config.write_text('[scan]\nregistries = ["nowhere"]\n')
    with pytest.raises(ConfigError, match="nowhere.*file:PATH.*entra-agent-id"):
        load_settings(config)
