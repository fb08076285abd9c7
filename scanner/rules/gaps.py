"""The collection-gap rule: every part of the estate that could not be read is itself a finding."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.config import Severity
from scanner.model import Facet, Gap, GapReason
from scanner.rules import Finding, Rule, RuleContext, Status, rule


def _severity(gap: Gap) -> Severity:
    if Facet.SCOPE in gap.facets and gap.subject_uid is None:
        return Severity.HIGH
    if gap.reason is GapReason.UNSUPPORTED:
        return Severity.INFO
    return Severity.MEDIUM


@rule(
    id="collection-gap",
    title="Part of the estate could not be read",
    severity=Severity.MEDIUM,
    remediation="Grant the read-only permission named in the evidence (see the README's least-privilege policy), "
    "or retry later if the API was throttled; until then, findings in this scope may be incomplete.",
    description="A denied, throttled, unsupported or failed API call: unknown is never a pass.",
)
def collection_gap(ctx: RuleContext, self: Rule) -> Iterator[Finding]:
    for gap in ctx.coverage.all_gaps():
        ctx.evaluated[self.id] += 1
        where = f"{gap.provider} {gap.scope}" + (f" ({gap.region})" if gap.region else "")
        evidence = [f"{gap.resource}: {gap.reason.value}" + (f": {gap.detail}" if gap.detail else "")]
        evidence.append("affects: " + ", ".join(sorted(f.value for f in gap.facets)))
        ident = ctx.index.identities.get(gap.subject_uid) if gap.subject_uid else None
        yield self.finding(
            key=(gap.provider, gap.scope, gap.resource, gap.region, gap.subject_uid or "", gap.target),
            status=Status.UNKNOWN,
            title=f"Could not read {gap.resource} in {where}",
            evidence=evidence,
            identity=ident,
            severity=_severity(gap),
            gap=gap,
        )
