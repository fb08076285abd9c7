"""Rules that reconcile registry records with what the scan found."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.config import Severity
from scanner.model import Facet, Gap
from scanner.permissions import covers, effective_actions
from scanner.registry import AgentRecord, AgentStatus
from scanner.rules import Finding, Rule, RuleContext, Status, gap_note, judge_absence, rule


def remaining_access(ctx: RuleContext, record: AgentRecord) -> tuple[list[str], list[Gap]]:
    """What access a record's identities still hold, and the gaps that could hide more."""
    found, missing = ctx.record_identities(record)
    live: list[str] = []
    gaps: list[Gap] = []
    for ident in found:
        if ident.enabled:
            live.append(f"{ident.kind} {ident.name} ({ident.uid}) still exists and is enabled")
        for cred in ctx.index.contexts[ident.uid].credentials:
            if cred.active:
                used = cred.last_used_at.date().isoformat() if cred.last_used_at else "never or unknown"
                live.append(f"{cred.kind} {cred.native_id or cred.uid} of {ident.name} is active (last used {used})")
        gaps += ctx.coverage.blind(ident.scope, Facet.CREDENTIALS, ident.uid)
    for identifier in missing:
        verdict, hidden = judge_absence(ctx, identifier)
        gaps += hidden
    return live, gaps


def _access_finding(ctx: RuleContext, self: Rule, record: AgentRecord, headline: str) -> Iterator[Finding]:
    ctx.evaluated[self.id] += 1
    live, gaps = remaining_access(ctx, record)
    found, _ = ctx.record_identities(record)
    subject = found[0] if found else None
    if live:
        yield self.finding(key=(record.id,), identity=subject, registry_id=record.id, evidence=[headline, *live])
    elif gaps:
        yield self.finding(
            key=(record.id,),
            status=Status.UNKNOWN,
            identity=subject,
            registry_id=record.id,
            evidence=[headline, gap_note(gaps)],
        )


@rule(
    id="retired-agent-active",
    title="Retired agent still holds live access",
    severity=Severity.CRITICAL,
    remediation="Offboard the agent: deactivate then delete its keys and secrets, remove its grants and trust, "
    "and disable or delete its identities.",
    description="A retired record whose identity or credentials are still enabled or usable.",
)
def retired_agent_active(ctx: RuleContext, self: Rule) -> Iterator[Finding]:
    for record in ctx.registry.records:
        if record.status is AgentStatus.RETIRED:
            yield from _access_finding(
                ctx, self, record, f"registry record {record.id} was retired on {record.retired_on}"
            )


@rule(
    id="expired-agent-registration",
    title="Agent's registration has expired but its access remains",
    severity=Severity.HIGH,
    remediation="Renew the registration with a new expiry after review, or offboard the agent.",
    description="A record whose `expires` date has passed while access remains.",
)
def expired_agent_registration(ctx: RuleContext, self: Rule) -> Iterator[Finding]:
    today = ctx.now.date()
    for record in ctx.registry.records:
        if record.status is not AgentStatus.RETIRED and record.is_expired(today):
            yield from _access_finding(ctx, self, record, f"registry record {record.id} expired on {record.expires}")


@rule(
    id="agent-without-owner",
    title="Agent has no accountable owner",
    severity=Severity.MEDIUM,
    remediation="Assign a current, enabled owner to the registry record.",
    description="A record with no owner, or whose owner is missing or disabled in the scanned directory.",
)
def agent_without_owner(ctx: RuleContext, self: Rule) -> Iterator[Finding]:
    for record in ctx.registry.records:
        if record.status is AgentStatus.RETIRED:
            continue
        found, _ = ctx.record_identities(record)
        subject = found[0] if found else None
        ctx.evaluated[self.id] += 1
        if not record.owner.strip():
            yield self.finding(key=(record.id,), identity=subject, registry_id=record.id, evidence=["no owner"])
            continue
        owner_uid = ctx.index.resolve(record.owner)
        if owner_uid is not None:
            owner = ctx.index.identities[owner_uid]
            if not owner.enabled:
                yield self.finding(
                    key=(record.id,),
                    identity=subject,
                    registry_id=record.id,
                    evidence=[f"owner {record.owner} is disabled in {owner.provider} scope {owner.scope}"],
                )
            continue
        verdict, gaps = judge_absence(ctx, record.owner)
        if verdict == "absent":
            evidence = [f"owner {record.owner} was not found in the directory that was scanned"]
            yield self.finding(key=(record.id,), identity=subject, registry_id=record.id, evidence=evidence)
        elif verdict == "unknown":
            evidence = [f"owner {record.owner} was not found", gap_note(gaps)]
            yield self.finding(
                key=(record.id,), status=Status.UNKNOWN, identity=subject, registry_id=record.id, evidence=evidence
            )


@rule(
    id="orphaned-registry-entry",
    title="Registry entry names an identity that no longer exists",
    severity=Severity.LOW,
    remediation="Retire the record, or correct its identities; a stale record hides what an agent really is.",
    description="A record whose identities were not found in the scopes that were scanned completely.",
)
def orphaned_registry_entry(ctx: RuleContext, self: Rule) -> Iterator[Finding]:
    for record in ctx.registry.records:
        if record.status is AgentStatus.RETIRED:
            continue
        _, missing = ctx.record_identities(record)
        for identifier in missing:
            verdict, gaps = judge_absence(ctx, identifier)
            if verdict == "unscanned":
                continue
            ctx.evaluated[self.id] += 1
            status = Status.FAIL if verdict == "absent" else Status.UNKNOWN
            evidence = [f"{identifier} was not found in the scanned scope"]
            if gaps:
                evidence.append(gap_note(gaps))
            yield self.finding(
                key=(record.id, identifier), status=status, registry_id=record.id, evidence=evidence, about=identifier
            )


@rule(
    id="agent-scope-drift",
    title="Agent's effective permissions exceed its registered scope",
    severity=Severity.MEDIUM,
    remediation="Remove the permissions outside the mission scope, or widen `allowed_permissions` after review.",
    description="Effective actions (managed and inline policies, wildcards understood) beyond allowed_permissions.",
)
def agent_scope_drift(ctx: RuleContext, self: Rule) -> Iterator[Finding]:
    for record in ctx.registry.records:
        if record.allowed_permissions is None or record.status is AgentStatus.RETIRED:
            continue
        found, _ = ctx.record_identities(record)
        for ident in found:
            ctx.evaluated[self.id] += 1
            excess = {
                f"{held.pattern} (from {held.grant_name})"
                for held in effective_actions(ctx.index.contexts[ident.uid].grants)
                if not any(covers(allowed, held.pattern) for allowed in record.allowed_permissions)
            }
            allowed = ", ".join(record.allowed_permissions) or "nothing"
            if excess:
                shown = sorted(excess)
                evidence = [f"allowed: {allowed}", *shown[:25]]
                if len(shown) > 25:
                    evidence.append(f"... and {len(shown) - 25} more")
                yield self.finding(key=(record.id, ident.uid), identity=ident, registry_id=record.id, evidence=evidence)
            elif gaps := ctx.coverage.blind(ident.scope, Facet.GRANTS, ident.uid):
                yield self.finding(
                    key=(record.id, ident.uid),
                    status=Status.UNKNOWN,
                    identity=ident,
                    registry_id=record.id,
                    evidence=[f"allowed: {allowed}", gap_note(gaps)],
                )
