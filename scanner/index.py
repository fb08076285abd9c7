"""An in-memory index of one scan's records: the side table behind the graph's uid nodes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from scanner.facts import IdentityContext
from scanner.model import Absent, Credential, Federation, Gap, Grant, Identity, Record, ScopeReport, Workload


@dataclass
class RecordIndex:
    """Records by uid, identities by native id, and each identity's credentials, grants and workloads."""

    identities: dict[str, Identity] = field(default_factory=dict)
    credentials: dict[str, Credential] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    workloads: dict[str, Workload] = field(default_factory=dict)
    federations: dict[str, Federation] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    scope_reports: list[ScopeReport] = field(default_factory=list)
    by_native_id: dict[str, str] = field(default_factory=dict)
    contexts: dict[str, IdentityContext] = field(default_factory=dict)
    by_scope: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    absent: dict[str, Absent] = field(default_factory=dict)

    def add(self, record: Record) -> None:
        """File one record; a later record with the same uid replaces the earlier one."""
        match record:
            case Identity():
                self.identities[record.uid] = record
                self.by_scope[record.scope].append(record.uid)
                for native in (record.uid, *record.native_ids):
                    self.by_native_id.setdefault(native, record.uid)
            case Credential():
                self.credentials[record.uid] = record
            case Grant():
                self.grants[record.uid] = record
            case Workload():
                self.workloads[record.uid] = record
            case Federation():
                self.federations[record.uid] = record
            case Gap():
                self.gaps.append(record)
            case Absent():
                self.absent[record.identifier] = record
            case ScopeReport():
                self.scope_reports.append(record)

    def finish(self) -> None:
        """Attach credentials, grants and workloads to their identities."""
        self.contexts = {uid: IdentityContext(identity=ident) for uid, ident in self.identities.items()}
        for cred in self.credentials.values():
            owner = self.resolve(cred.identity_uid)
            if owner is not None:
                self.contexts[owner].credentials.append(cred)
        for grant in self.grants.values():
            subject = self.resolve(grant.subject_uid)
            if subject is not None:
                self.contexts[subject].grants.append(grant)
        for wl in self.workloads.values():
            runs_as = self.resolve(wl.runs_as_uid)
            if runs_as is not None:
                self.contexts[runs_as].workloads.append(wl)

    def resolve(self, identifier: str) -> str | None:
        """The uid of the identity an exact uid or native id names."""
        return self.by_native_id.get(identifier)


def build_index(records: Iterable[Record]) -> RecordIndex:
    """Index a stream of records."""
    index = RecordIndex()
    for record in records:
        index.add(record)
    index.finish()
    return index
