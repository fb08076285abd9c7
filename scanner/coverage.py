"""Coverage: what each scope's collection could and could not see, so absence is never a pass."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from scanner.model import Facet, Gap, ScopeReport


class ScopeStatus(StrEnum):
    """How completely a scope was read."""

    COMPLETE = "complete"
    PARTIAL = "partial"
    FAILED = "failed"


@dataclass
class ScopeCoverage:
    """One scope of one connector: its gaps and API calls."""

    provider: str
    connector: str
    scope: str
    label: str = ""
    api_calls: int = 0
    gaps: list[Gap] = field(default_factory=list)

    @property
    def status(self) -> ScopeStatus:
        """Failed when the whole scope was unreadable, partial with any gap."""
        if any(Facet.SCOPE in g.facets and g.subject_uid is None for g in self.gaps):
            return ScopeStatus.FAILED
        return ScopeStatus.PARTIAL if self.gaps else ScopeStatus.COMPLETE


class Coverage:
    """Answers 'could we see this?' for rules before they report an absence."""

    def __init__(self, reports: Iterable[ScopeReport], gaps: Iterable[Gap]) -> None:
        self.scopes: dict[tuple[str, str], ScopeCoverage] = {}
        self._by_scope: dict[str, list[Gap]] = defaultdict(list)
        for report in reports:
            cov = self._get(report.provider, report.scope, report.connector)
            cov.api_calls += report.api_calls
            cov.label = cov.label or report.label
        for gap in gaps:
            self._get(gap.provider, gap.scope, gap.provider).gaps.append(gap)
            self._by_scope[gap.scope].append(gap)

    def _get(self, provider: str, scope: str, connector: str) -> ScopeCoverage:
        key = (provider, scope)
        if key not in self.scopes:
            self.scopes[key] = ScopeCoverage(provider=provider, connector=connector, scope=scope)
        return self.scopes[key]

    @property
    def complete(self) -> bool:
        """True only when every scope was read without a gap."""
        return all(c.status is ScopeStatus.COMPLETE for c in self.scopes.values())

    def scanned(self, provider: str, scope: str) -> bool:
        """Whether this scan visited the scope at all."""
        return (provider, scope) in self.scopes

    def blind(self, scope: str, facet: Facet, subject_uid: str | None = None) -> list[Gap]:
        """Gaps that hide `facet` in `scope` (for one subject, or for the scope as a whole)."""
        hits = []
        for gap in self._by_scope.get(scope, ()):
            if not ({facet, Facet.SCOPE} & gap.facets):
                continue
            if gap.subject_uid is None or subject_uid is None or gap.subject_uid == subject_uid:
                hits.append(gap)
        return hits

    def all_gaps(self) -> list[Gap]:
        """Every gap, in scope order."""
        return [g for c in self.scopes.values() for g in c.gaps]
