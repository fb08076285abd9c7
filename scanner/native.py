"""Native registries as registry sources: Entra Agent ID's agent identities and agent registry instances register."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from scanner.model import AgentInstance, Attestation, Identity, Record
from scanner.registry import AgentRecord, AgentStatus, Registry
from scanner.registry_model import NativeFacts

ENTRA_AGENT_ID = "entra-agent-id"
NativeSource = Callable[[Sequence[Record]], list[AgentRecord]]
# Registry sources read from the scan's own records, by the name `[scan] registries` uses. Entra Agent ID is the
# first; the AWS and GCP agent registries plug in the same way: a connector emits their records, a function here
# turns them into AgentRecords with provenance.
NATIVE_SOURCES: dict[str, NativeSource] = {}
AGENT_KINDS = frozenset({"agent_identity"})
BLUEPRINT_TYPES = frozenset(
    {"#microsoft.graph.agentIdentityBlueprint", "#microsoft.graph.agentIdentityBlueprintPrincipal"}
)


@dataclass(frozen=True)
class Conflict:
    """The file registry and a native registry disagree about one identity."""

    file_record: AgentRecord
    native_record: AgentRecord
    identity_uid: str


def attestation_of(identity: Identity) -> Attestation | None:
    """The attestation a connector read for this identity; None when it was not (or could not be) read."""
    found = identity.attributes.get("lifecycle")
    return found if isinstance(found, Attestation) else None


class _Tenant:
    """People and blueprint names of the scanned Entra tenants, to describe native records in readable terms."""

    def __init__(self, identities: Sequence[Identity]) -> None:
        entra = [i for i in identities if i.provider == "entra"]
        self.people = {n: i for i in entra if i.kind == "user" for n in (i.uid, *i.native_ids)}
        self.blueprints: dict[str, str] = {}
        for ident in entra:
            app_id = str(ident.attributes.get("app_id") or "")
            if ident.attributes.get("odata_type") in BLUEPRINT_TYPES and app_id:
                self.blueprints.setdefault(app_id, ident.name)

    def sign_in_name(self, ref: str) -> str | None:
        """A person's sign-in name, or None when `ref` names no person the scan saw."""
        person = self.people.get(ref)
        if person is None or not person.human:
            return None
        return next((n for n in person.native_ids if "@" in n), person.name)

    def owners(self, refs: Iterable[str]) -> tuple[str, ...]:
        """Each reference as a sign-in name where known, else as given (so a rule can still judge it)."""
        return tuple(self.sign_in_name(ref) or ref for ref in refs)

    def accountable(self, identity: Identity) -> str:
        """The first sponsor (then owner) who is a person, by sign-in name."""
        return next(filter(None, map(self.sign_in_name, (*identity.sponsors, *identity.owners))), "")


def _store(instance: AgentInstance | None, form: str) -> str:
    return form.format(instance.originating_store) if instance and instance.originating_store else ""


def _identity_record(ident: Identity, instance: AgentInstance | None, tenant: _Tenant) -> AgentRecord:
    """An agent identity, enriched by the registry instance that names it."""
    owners = tenant.owners(instance.owners) if instance else ()
    blueprint = str(ident.attributes.get("agent_blueprint_id") or "")
    facts = NativeFacts(
        blueprint_id=blueprint,
        blueprint_name=str(ident.attributes.get("agent_blueprint_name") or "") or tenant.blueprints.get(blueprint, ""),
        attestation=attestation_of(ident),
        instance_id=instance.instance_id if instance else "",
        originating_store=instance.originating_store if instance else "",
        managed_by=instance.managed_by if instance else "",
        owners=owners,
    )
    return AgentRecord(
        id=f"{ENTRA_AGENT_ID}.{ident.native_ids[0]}",
        owner=tenant.accountable(ident) or next(iter(owners), ""),
        purpose=f"Entra Agent ID: {ident.name}{_store(instance, '; agent registry: from {}')}",
        status=AgentStatus.ACTIVE if ident.enabled else AgentStatus.SUSPENDED,
        identities=(ident.native_ids[0],),
        provenance=ENTRA_AGENT_ID,
        native=facts,
    )


def _instance_record(instance: AgentInstance, identities: tuple[str, ...], tenant: _Tenant) -> AgentRecord:
    """An agent only the registry knows: registered, with the identities it names (if any)."""
    owners = tenant.owners(instance.owners)
    facts = NativeFacts(
        blueprint_id=instance.blueprint_id,
        blueprint_name=tenant.blueprints.get(instance.blueprint_id, ""),
        instance_id=instance.instance_id,
        originating_store=instance.originating_store,
        managed_by=instance.managed_by,
        owners=owners,
    )
    return AgentRecord(
        id=f"{ENTRA_AGENT_ID}.instance.{instance.instance_id}",
        owner=next(iter(owners), ""),
        purpose=f"Entra agent registry: {instance.name}{_store(instance, ' (from {})')}",
        status=AgentStatus.ACTIVE,
        identities=identities,
        provenance=ENTRA_AGENT_ID,
        native=facts,
    )


def entra_agent_records(records: Iterable[Record]) -> list[AgentRecord]:
    """A record per agent identity (sponsor as owner, state as status), then per instance naming none of them."""
    records = list(records)
    identities = [r for r in records if isinstance(r, Identity)]
    instances = [r for r in records if isinstance(r, AgentInstance)]
    tenant = _Tenant(identities)
    by_agent = {i.agent_identity_id: i for i in instances if i.agent_identity_id}
    out: list[AgentRecord] = []
    claimed: set[str] = set()
    used: set[str] = set()
    for ident in identities:
        if ident.provider != "entra" or ident.kind not in AGENT_KINDS:
            continue
        instance = next((by_agent[n] for n in ident.native_ids if n in by_agent), None)
        out.append(_identity_record(ident, instance, tenant))
        claimed.update(ident.native_ids)
        if instance is not None:
            used.add(instance.uid)
    for instance in instances:
        if instance.uid in used:
            continue
        used.add(instance.uid)
        named = tuple(dict.fromkeys(n for n in (instance.agent_identity_id, instance.agent_user_id) if n))
        identities_left = tuple(n for n in named if n not in claimed)
        claimed.update(identities_left)
        record = _instance_record(instance, identities_left, tenant)
        if all(r.id != record.id for r in out):
            out.append(record)
    return out


NATIVE_SOURCES[ENTRA_AGENT_ID] = entra_agent_records


def merge_native(
    registry: Registry, records: Sequence[Record], names: Sequence[str]
) -> tuple[Registry, list[Conflict]]:
    """The registry with every configured native source's records merged in, and where they disagree with it."""
    uids = {n: r.uid for r in records if isinstance(r, Identity) for n in r.native_ids}
    conflicts: list[Conflict] = []
    for name in names:
        registry, found = merge(registry, NATIVE_SOURCES[name](records), uids, name)
        conflicts += found
    return registry, conflicts


def merge(
    registry: Registry, native: Sequence[AgentRecord], uids: dict[str, str], source: str = ENTRA_AGENT_ID
) -> tuple[Registry, list[Conflict]]:
    """Add native records the file does not cover; where the file covers one, compare their states."""
    added: list[AgentRecord] = []
    conflicts: list[Conflict] = []
    for record in native:
        file_record = registry.match(record.identities)
        if file_record is None:
            added.append(record)
        elif file_record.status is AgentStatus.RETIRED and record.status is AgentStatus.ACTIVE:
            conflicts.append(Conflict(file_record, record, uids.get(record.identities[0], record.identities[0])))
    sources = (*registry.sources, *([source] if native else []))
    return Registry(records=(*registry.records, *added), sources=sources), conflicts


def attestation_dict(attestation: Attestation | None) -> dict[str, Any] | None:
    """An attestation in report form; None when it could not be read."""
    if attestation is None:
        return None
    when = attestation.last_attested_at
    return {
        "last_attested_at": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None,
        "compliance_issues": list(attestation.compliance_issues),
        "governing_policy": attestation.governing_policy or None,
    }


def native_dict(facts: NativeFacts | None) -> Mapping[str, Any]:
    """A registry record's native facts in report form ({} for a file record)."""
    if facts is None:
        return {}
    return {
        "native": {
            "blueprint_id": facts.blueprint_id or None,
            "blueprint_name": facts.blueprint_name or None,
            "attestation": attestation_dict(facts.attestation),
            "instance_id": facts.instance_id or None,
            "originating_store": facts.originating_store or None,
            "managed_by": facts.managed_by or None,
            "owners": list(facts.owners),
        }
    }
