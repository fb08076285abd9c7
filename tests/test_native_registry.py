"""Entra Agent ID as a registry source: registered with provenance, owners from sponsors, disagreements flagged."""

from __future__ import annotations

from builders import record, run, scanned

from scanner.config import ScanSettings
from scanner.model import Identity

TENANT = "6f1b2c3d-8a9e-4b7c-9d2e-0a1b2c3d4e5f"


def agent(object_id: str, name: str, *, enabled: bool = True, sponsors: tuple[str, ...] = ()) -> Identity:
    return Identity(
        uid=f"entra:service_principal:{object_id}", provider="entra", kind="agent_identity", scope=TENANT,
        name=name, native_ids=(object_id, f"app-{object_id}"), enabled=enabled, sponsors=sponsors,
        attributes={"odata_type": "#microsoft.graph.agentIdentity"},
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
