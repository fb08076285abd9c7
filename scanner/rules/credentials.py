"""Rules about agents' credentials: staleness and lifetime."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.config import Severity
from scanner.model import Credential, Facet, Identity
from scanner.rules import Finding, Rule, RuleContext, Status, days_between, gap_note, rule

# Credentials that carry secret material; federated trusts have no key to leak or rotate.
SECRET_KINDS = frozenset({"access_key", "secret", "certificate", "api_key", "service_specific"})


def _agent_credentials(ctx: RuleContext) -> Iterator[tuple[Identity, Credential]]:
    for agent in ctx.agents():
        for cred in ctx.index.contexts[agent.uid].credentials:
            if cred.active and cred.kind in SECRET_KINDS:
                yield agent, cred


def _registry_id(ctx: RuleContext, uid: str) -> str | None:
    record = ctx.matches.get(uid)
    return record.id if record else None


@rule(
    id="stale-agent-credential",
    title="Agent credential is unused but still active",
    severity=Severity.MEDIUM,
    remediation="Deactivate and delete the unused credential; an unused key is pure exposure.",
    description="An agent's credential unused for longer than stale_after_days, judged against its age.",
)
def stale_agent_credential(ctx: RuleContext, self: Rule) -> Iterator[Finding]:
    limit = ctx.settings.stale_after_days
    for agent, cred in _agent_credentials(ctx):
        ctx.evaluated[self.id] += 1
        key = (cred.uid,)
        name = f"{cred.kind} {cred.native_id or cred.uid} of {agent.name}"
        regid = _registry_id(ctx, agent.uid)
        if cred.last_used_at is None:
            gaps = ctx.coverage.blind(cred.scope, Facet.CREDENTIAL_USAGE, agent.uid)
            if gaps or not cred.usage_visible:
                why = gap_note(gaps) if gaps else f"{cred.provider} does not report last use of {cred.kind} credentials"
                yield self.finding(
                    key=key,
                    status=Status.UNKNOWN,
                    identity=agent,
                    registry_id=regid,
                    evidence=[f"{name}: last use could not be read", why],
                )
                continue
            if cred.created_at is None:
                continue
            age = days_between(ctx.now, cred.created_at)
            if age > limit:
                evidence = [f"{name} was never used since its creation {age} days ago (limit {limit})"]
                yield self.finding(key=key, identity=agent, registry_id=regid, evidence=evidence)
            continue
        idle = days_between(ctx.now, cred.last_used_at)
        if idle > limit:
            evidence = [f"{name} was last used {idle} days ago, on {cred.last_used_at.date()} (limit {limit})"]
            yield self.finding(key=key, identity=agent, registry_id=regid, evidence=evidence)


@rule(
    id="long-lived-agent-credential",
    title="Agent credential is long-lived",
    severity=Severity.MEDIUM,
    remediation="Replace long-lived keys with short-lived credentials (role assumption, workload identity "
    "federation), or rotate and set an expiry within the allowed maximum age.",
    description="An agent's key or secret older than max_credential_age_days, or without expiry.",
)
def long_lived_agent_credential(ctx: RuleContext, self: Rule) -> Iterator[Finding]:
    limit = ctx.settings.max_credential_age_days
    for agent, cred in _agent_credentials(ctx):
        ctx.evaluated[self.id] += 1
        name = f"{cred.kind} {cred.native_id or cred.uid} of {agent.name}"
        evidence: list[str] = []
        severity = self.severity
        if cred.created_at and days_between(ctx.now, cred.created_at) > limit:
            evidence.append(f"{name} was created {days_between(ctx.now, cred.created_at)} days ago (limit {limit})")
        if cred.expires_at is None:
            evidence.append(f"{name} never expires")
        elif cred.created_at and days_between(cred.expires_at, cred.created_at) > limit:
            lifetime = days_between(cred.expires_at, cred.created_at)
            evidence.append(f"{name} is valid for {lifetime} days, until {cred.expires_at.date()} (limit {limit})")
        if not evidence:
            continue
        if len(evidence) == 1 and "never expires" in evidence[0]:
            severity = Severity.LOW
        yield self.finding(
            key=(cred.uid,),
            identity=agent,
            registry_id=_registry_id(ctx, agent.uid),
            evidence=evidence,
            severity=severity,
        )
