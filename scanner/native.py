"""Native registries as registry sources: Entra Agent ID's agent identities count as registered agents."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scanner.model import Identity, Record
from scanner.registry import AgentRecord, AgentStatus, Registry

ENTRA_AGENT_ID = "entra-agent-id"
NATIVE_SOURCES = (ENTRA_AGENT_ID,)
AGENT_KINDS = frozenset({"agent_identity"})


@dataclass(frozen=True)
class Conflict:
    """The file registry and a native registry disagree about one identity."""

    file_record: AgentRecord
    native_record: AgentRecord
    identity_uid: str


def _sponsor(identity: Identity, people: dict[str, Identity]) -> str:
    """The first sponsor (then owner) who is a person, by sign-in name."""
    for ref in (*identity.sponsors, *identity.owners):
        person = people.get(ref)
        if person is not None and person.human:
            return next((n for n in person.native_ids if "@" in n), person.name)
    return ""


def entra_agent_records(records: Iterable[Record]) -> list[AgentRecord]:
    """One record per Entra agent identity: its sponsor is the owner, its account state the status."""
    identities = [r for r in records if isinstance(r, Identity)]
    people = {n: i for i in identities if i.provider == "entra" and i.kind == "user" for n in (i.uid, *i.native_ids)}
    out = []
    for ident in identities:
        if ident.provider != "entra" or ident.kind not in AGENT_KINDS:
            continue
        out.append(
            AgentRecord(
                id=f"{ENTRA_AGENT_ID}.{ident.native_ids[0]}",
                owner=_sponsor(ident, people),
                purpose=f"Entra Agent ID: {ident.name}",
                status=AgentStatus.ACTIVE if ident.enabled else AgentStatus.SUSPENDED,
                identities=(ident.native_ids[0],),
                provenance=ENTRA_AGENT_ID,
            )
        )
    return out


def merge(registry: Registry, native: Sequence[AgentRecord], uids: dict[str, str]) -> tuple[Registry, list[Conflict]]:
    """Add native records the file does not cover; where the file covers one, compare their states."""
    added: list[AgentRecord] = []
    conflicts: list[Conflict] = []
    for record in native:
        file_record = registry.match(record.identities)
        if file_record is None:
            added.append(record)
        elif file_record.status is AgentStatus.RETIRED and record.status is AgentStatus.ACTIVE:
            conflicts.append(Conflict(file_record, record, uids.get(record.identities[0], record.identities[0])))
    sources = (*registry.sources, *([ENTRA_AGENT_ID] if native else []))
    return Registry(records=(*registry.records, *added), sources=sources), conflicts
