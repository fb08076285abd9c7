"""Agent registry records and their exact-match index; a cloud tag never registers an agent (it could set it itself)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from scanner.model import Attestation


class AgentStatus(StrEnum):
    """Lifecycle state of a registered agent."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    RETIRED = "retired"


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceRef:
    """Where a record was defined, so findings can point reviewers at the line to edit."""

    file: str
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class NativeFacts:
    """What a native registry says about an agent beyond the file's fields, shown to reviewers in the report."""

    blueprint_id: str = ""  # Entra: the agent identity blueprint's appId
    blueprint_name: str = ""  # empty when the blueprint application was not read
    attestation: Attestation | None = None  # None: its lifecycle could not be read
    instance_id: str = ""  # the agent registry instance that enriched it
    originating_store: str = ""
    managed_by: str = ""
    owners: tuple[str, ...] = ()  # every owner the native registry names, resolved to sign-in names where known


@dataclass(frozen=True, kw_only=True, slots=True)
class AgentRecord:
    """One registered agent: who owns it, why it exists, and which cloud identities are it."""

    id: str
    owner: str
    purpose: str
    status: AgentStatus
    identities: tuple[str, ...]
    environment: str | None = None
    data_boundary: str | None = None
    expires: date | None = None
    retired_on: date | None = None
    allowed_permissions: tuple[str, ...] | None = None  # None: not declared, drift not evaluated; (): declared empty
    source: SourceRef | None = None  # where the record starts
    provenance: str = "file"  # "file", or a native registry such as "entra-agent-id"
    native: NativeFacts | None = None  # set on records a native registry produced

    def is_expired(self, today: date) -> bool:
        """True once the time-box has passed: the expiry day itself is still valid."""
        return self.expires is not None and today > self.expires


class Registry:
    """Agent records indexed for exact lookup: a string either equals a registered identity or it does not."""

    __slots__ = ("_by_id", "_by_identity", "records", "sources")

    def __init__(self, records: Iterable[AgentRecord] = (), sources: Iterable[str] = ()) -> None:
        self.records: tuple[AgentRecord, ...] = tuple(records)
        self.sources: tuple[str, ...] = tuple(sources)
        self._by_id: dict[str, AgentRecord] = {}
        self._by_identity: dict[str, AgentRecord] = {}
        for record in self.records:
            # The loader reports these with file and line; here they can only be a caller's bug.
            if record.id in self._by_id:
                raise ValueError(f"duplicate agent id {record.id!r}")
            self._by_id[record.id] = record
            for identity in record.identities:
                if identity in self._by_identity:
                    raise ValueError(
                        f"identity {identity!r} belongs to both {self._by_identity[identity].id!r} and {record.id!r}"
                    )
                self._by_identity[identity] = record

    @classmethod
    def empty(cls) -> Registry:
        """A registry with no records: every agent found is unregistered."""
        return cls()

    def match(self, identifiers: Iterable[str]) -> AgentRecord | None:
        """The record owning any of these identifiers (a uid or native ids), by exact equality; the first hit wins."""
        if isinstance(identifiers, str):
            raise TypeError("match() takes an iterable of identifiers, not a single string")
        for identifier in identifiers:
            record = self._by_identity.get(identifier)
            if record is not None:
                return record
        return None

    def get(self, agent_id: str) -> AgentRecord | None:
        """The record with this id, if any."""
        return self._by_id.get(agent_id)

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        return f"Registry({len(self.records)} records from {len(self.sources)} sources)"
