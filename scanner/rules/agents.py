"""Rules about agent identities themselves: shadow agents and privilege paths."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.config import Severity
from scanner.edges import is_hub, node_label
from scanner.graph import Edge, explore, path_to
from scanner.model import Facet, Gap
from scanner.rules import Finding, Rule, RuleContext, Status, gap_note, rule
from scanner.signals import Evidence, fuse

# Families a gap could have hidden, at their strongest catalogue weight.
HIDDEN_FAMILIES = {
    Facet.WORKLOADS: ("native-agent", 0.9),
    Facet.GRANTS: ("ai-permission", 0.4),
    Facet.CREDENTIALS: ("ai-credential", 0.6),
    Facet.CREDENTIAL_USAGE: ("usage", 0.25),
}


def _could_be_agent(ctx: RuleContext, uid: str) -> list[Gap]:
    """Gaps that, had they not happened, could have made this identity an agent."""
    verdict = ctx.verdicts[uid]
    if verdict.score <= 0:
        return []
    ident = ctx.index.identities[uid]
    gaps: list[Gap] = []
    hypothetical = list(verdict.evidence)
    for facet, (family, weight) in HIDDEN_FAMILIES.items():
        hidden = ctx.coverage.blind(ident.scope, facet, uid)
        if hidden:
            gaps.extend(hidden)
            hypothetical.append(Evidence(signal="hidden", family=family, weight=weight, detail="", source=""))
    if gaps and fuse(hypothetical, ctx.settings.agent_threshold).is_agent:
        return gaps
    return []


def _access_lines(ctx: RuleContext, uid: str, limit: int = 5) -> list[str]:
    """What the agent can do, so a reviewer sees the blast radius next to the verdict."""
    context = ctx.index.contexts[uid]
    lines = [
        f"holds {g.name}: {', '.join(g.permissions[:8]) or 'no listed permissions'}" for g in context.grants[:limit]
    ]
    if len(context.grants) > limit:
        lines.append(f"... and {len(context.grants) - limit} more grants")
    active = [c for c in context.credentials if c.active]
    if active:
        lines.append(f"{len(active)} active credential(s): " + ", ".join(f"{c.kind} {c.native_id}" for c in active[:5]))
    return lines


@rule(
    id="unregistered-agent",
    title="AI agent with no registry record (shadow AI)",
    severity=Severity.HIGH,
    remediation="Register the agent with an accountable owner, purpose, scope and expiry, or offboard it: "
    "revoke its credentials and remove its access.",
    description="An identity classified as an AI agent that matches no registry record.",
)
def unregistered_agent(ctx: RuleContext, self: Rule) -> Iterator[Finding]:
    for uid, ident in ctx.index.identities.items():
        ctx.evaluated[self.id] += 1
        if uid in ctx.matches:
            continue
        verdict = ctx.verdicts[uid]
        lines = [f"agent score {verdict.score:.2f} (threshold {ctx.settings.agent_threshold:.2f})"]
        lines += [f"{ev.signal} ({ev.weight:+.2f}): {ev.detail}" for ev in verdict.evidence]
        lines += _access_lines(ctx, uid)
        lines.append("no registry record names its uid or any native id")
        if verdict.is_agent:
            yield self.finding(key=(uid,), identity=ident, evidence=lines)
        elif gaps := _could_be_agent(ctx, uid):
            yield self.finding(
                key=(uid,),
                status=Status.UNKNOWN,
                identity=ident,
                title="Possible AI agent with no registry record: evidence could not be collected",
                evidence=[*lines, gap_note(gaps)],
            )


def _admin_reason(ctx: RuleContext, uid: str, cache: dict[str, str | None]) -> str | None:
    if uid not in cache:
        context = ctx.index.contexts.get(uid)
        found = context.policy.admin() if context else None
        cache[uid] = f"{found[0]} via {found[1].grant_name}" if found else None
    return cache[uid]


def _hop_lines(path: list[Edge], ctx: RuleContext) -> list[str]:
    lines = []
    for number, hop in enumerate(path, start=1):
        source, target = _name(ctx, hop.source), _name(ctx, hop.target)
        lines.append(f"hop {number}: {source} -[{hop.relation.value}]-> {target}: {hop.reason}")
    return lines


def _name(ctx: RuleContext, node: str) -> str:
    identity = ctx.index.identities.get(node)
    return identity.name if identity else node_label(node)


def _principal_hops(path: list[Edge]) -> int:
    return sum(1 for hop in path if not is_hub(hop.target))


@rule(
    id="agent-privilege-path",
    title="AI agent can reach administrator-equivalent access",
    severity=Severity.CRITICAL,
    remediation="Remove the trust, impersonation or ownership link on the path, or scope the target's permissions "
    "down; an agent should never hold or reach administrator access.",
    description="An agent reaches admin-equivalent access through trust, impersonation or ownership.",
)
def agent_privilege_path(ctx: RuleContext, self: Rule) -> Iterator[Finding]:
    cache: dict[str, str | None] = {}
    for agent in list(ctx.agents()):
        ctx.evaluated[self.id] += 1
        parents = explore(ctx.graph, agent.uid)
        goals = [uid for uid in parents if _admin_reason(ctx, uid, cache)]
        registry_id = ctx.matches[agent.uid].id if agent.uid in ctx.matches else None
        if goals:
            goal = min(goals, key=lambda uid: (_principal_hops(path_to(parents, uid)), uid))
            path = path_to(parents, goal)
            target = ctx.index.identities[goal]
            lines = _hop_lines(path, ctx) or [f"{agent.name} holds it directly"]
            lines.append(f"{target.name} is administrator-equivalent: {_admin_reason(ctx, goal, cache)}")
            if len(goals) > 1:
                lines.append(f"{len(goals) - 1} more administrator-equivalent identities are reachable")
            yield self.finding(
                key=(agent.uid,), identity=agent, registry_id=registry_id, evidence=lines, path=tuple(path)
            )
            continue
        scopes_of = {uid: ctx.index.identities[uid].scope for uid in parents if uid in ctx.index.identities}
        scopes = set(scopes_of.values())
        gaps = [g for scope in sorted(scopes) for g in ctx.coverage.blind(scope, Facet.GRANTS)]
        if gaps:
            yield self.finding(
                key=(agent.uid,),
                status=Status.UNKNOWN,
                identity=agent,
                registry_id=registry_id,
                evidence=[f"{len(scopes_of) - 1} identities reachable; none is admin-equivalent", gap_note(gaps)],
            )
