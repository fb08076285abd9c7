"""Rule framework: plain functions with their metadata in a decorator, findings with stable ids."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import networkx as nx

from scanner.config import ScanSettings, Severity
from scanner.coverage import Coverage
from scanner.graph import Edge
from scanner.idents import infer_scope
from scanner.index import RecordIndex
from scanner.model import Facet, Gap, Identity
from scanner.registry import AgentRecord, Registry
from scanner.signals import Verdict


class Status(StrEnum):
    """A finding either failed, or could not be decided because of a gap."""

    FAIL = "fail"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """One verdict of one rule about one subject, with its evidence."""

    id: str
    rule: str
    severity: Severity
    status: Status
    title: str
    evidence: tuple[str, ...]
    remediation: str
    identity_uid: str | None = None
    registry_id: str | None = None
    provider: str | None = None
    scope: str | None = None
    path: tuple[Edge, ...] = ()


def finding_id(rule_id: str, *immutable_parts: str) -> str:
    """Stable across runs: built from the rule and immutable ids, never from display names."""
    digest = hashlib.sha256("\x1f".join((rule_id, *immutable_parts)).encode("utf-8")).hexdigest()
    return digest[:32]


@dataclass
class RuleContext:
    """Everything a rule may read: records, graph, coverage, verdicts and the registry."""

    index: RecordIndex
    graph: nx.MultiDiGraph
    coverage: Coverage
    verdicts: Mapping[str, Verdict]
    registry: Registry
    matches: Mapping[str, AgentRecord]  # identity uid -> its registry record
    settings: ScanSettings
    now: datetime
    evaluated: Counter[str] = field(default_factory=Counter)
    conflicts: Sequence[Any] = ()  # file vs native registry disagreements (scanner.native.Conflict)

    def is_agent(self, uid: str) -> bool:
        """An identity counts as an agent when classified as one or registered as one."""
        verdict = self.verdicts.get(uid)
        return uid in self.matches or bool(verdict and verdict.is_agent)

    def agents(self) -> Iterator[Identity]:
        """Every identity that counts as an agent."""
        for uid, ident in self.index.identities.items():
            if self.is_agent(uid):
                yield ident

    def record_identities(self, record: AgentRecord) -> tuple[list[Identity], list[str]]:
        """A record's identities that were found, and the identifiers that were not."""
        found: dict[str, Identity] = {}
        missing: list[str] = []
        for identifier in record.identities:
            uid = self.index.resolve(identifier)
            if uid is None:
                missing.append(identifier)
            else:
                found.setdefault(uid, self.index.identities[uid])
        return list(found.values()), missing


@dataclass(frozen=True, kw_only=True)
class Rule:
    """A rule's metadata and its function."""

    id: str
    title: str
    severity: Severity
    remediation: str
    description: str
    check: Callable[[RuleContext, Rule], Iterable[Finding]]

    def finding(
        self,
        *,
        key: Iterable[str],
        status: Status = Status.FAIL,
        evidence: Iterable[str],
        title: str | None = None,
        identity: Identity | None = None,
        registry_id: str | None = None,
        severity: Severity | None = None,
        path: tuple[Edge, ...] = (),
        gap: Gap | None = None,
        about: str | None = None,
    ) -> Finding:
        """Build a finding whose id depends only on this rule and the immutable `key` parts.

        `about` is an identifier (e.g. a registry identity) that places the finding when no identity was found.
        """
        inferred = infer_scope(about) if about and identity is None and gap is None else None
        return Finding(
            id=finding_id(self.id, *key),
            rule=self.id,
            severity=severity or self.severity,
            status=status,
            title=title or self.title,
            evidence=tuple(evidence),
            remediation=self.remediation,
            identity_uid=identity.uid if identity else None,
            registry_id=registry_id,
            provider=identity.provider if identity else (gap.provider if gap else (inferred or (None, None))[0]),
            scope=identity.scope if identity else (gap.scope if gap else (inferred or (None, None))[1]),
            path=path,
        )


RULES: dict[str, Rule] = {}


def rule(
    *, id: str, title: str, severity: Severity, remediation: str, description: str
) -> Callable[[Callable[[RuleContext, Rule], Iterable[Finding]]], Callable[[RuleContext, Rule], Iterable[Finding]]]:
    """Register a rule; the first registration of an id wins, so built-ins beat plugins."""

    def register(
        check: Callable[[RuleContext, Rule], Iterable[Finding]],
    ) -> Callable[[RuleContext, Rule], Iterable[Finding]]:
        RULES.setdefault(
            id,
            Rule(id=id, title=title, severity=severity, remediation=remediation, description=description, check=check),
        )
        return check

    return register


def gap_note(gaps: Iterable[Gap]) -> str:
    """One line naming the gaps that made a verdict unknown."""
    parts = sorted({f"{g.resource} ({g.reason.value})" for g in gaps})
    return "could not be decided: " + ", ".join(parts)


def run_rules(ctx: RuleContext, rules: Iterable[Rule]) -> list[Finding]:
    """Run every rule, most severe findings first, with a deterministic order."""
    findings: list[Finding] = []
    for r in rules:
        findings.extend(r.check(ctx, r))
    findings.sort(key=lambda f: (-f.severity, f.status != Status.FAIL, f.rule, f.identity_uid or "", f.id))
    return findings


def judge_absence(ctx: RuleContext, identifier: str) -> tuple[str, list[Gap]]:
    """Whether a missing identifier is truly absent ('absent'), hidden by a gap ('unknown'), or out of scope."""
    if identifier in ctx.index.absent:
        return "absent", []
    looked = [g for g in ctx.index.gaps if g.target == identifier and Facet.DIRECTORY in g.facets]
    if looked:
        return "unknown", looked
    inferred = infer_scope(identifier)
    if inferred is None:
        return "unscanned", []
    provider, scope = inferred
    scopes = [cov for (p, s), cov in ctx.coverage.scopes.items() if p == provider and scope in (None, s)]
    if not scopes:
        return "unscanned", []
    gaps = [gap for cov in scopes for gap in ctx.coverage.blind(cov.scope, Facet.IDENTITIES)]
    return ("unknown", gaps) if gaps else ("absent", [])


def days_between(later: datetime, earlier: datetime) -> int:
    """Whole days from `earlier` to `later`."""
    return (later - earlier).days
