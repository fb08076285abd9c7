"""Native registry rules: the file and a native registry disagree, and an agent's attestation has lapsed."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.config import Severity
from scanner.model import Facet
from scanner.native import AGENT_KINDS, attestation_of
from scanner.registry import AgentStatus
from scanner.rules import Finding, Rule, RuleContext, Status, days_between, gap_note, rule


@rule(
    id="registry-disagreement",
    title="Registry file and native registry disagree about an agent",
    severity=Severity.HIGH,
    remediation="Decide which record is right: offboard the agent (and retire it in the native registry), or "
    "correct the registry file.",
    description="The file says retired while a native registry (Entra Agent ID) says the agent is active.",
)
def registry_disagreement(ctx: RuleContext, self: Rule) -> Iterator[Finding]:
    for conflict in ctx.conflicts:
        ctx.evaluated[self.id] += 1
        ident = ctx.index.identities.get(conflict.identity_uid)
        mine, theirs = conflict.file_record, conflict.native_record
        since = f" since {mine.retired_on}" if mine.retired_on else ""
        evidence = [
            f"registry file: {mine.id} is {mine.status.value}{since}",
            f"{theirs.provenance}: {theirs.id} is {theirs.status.value}",
        ]
        yield self.finding(
            key=(conflict.file_record.id, conflict.native_record.id),
            identity=ident,
            registry_id=conflict.file_record.id,
            evidence=evidence,
        )


@rule(
    id="stale-agent-attestation",
    title="Registered agent has not been attested recently",
    severity=Severity.MEDIUM,
    remediation="Have the agent's sponsor attest that it is still needed (Entra: agentIdentity attest) and resolve "
    "its compliance issues, or offboard the agent if nobody will vouch for it.",
    description="A registered, enabled Entra agent identity last attested more than attestation_max_age_days ago, "
    "or never; unknown when its lifecycle could not be read.",
)
def stale_agent_attestation(ctx: RuleContext, self: Rule) -> Iterator[Finding]:
    limit = ctx.settings.attestation_max_age_days
    for uid, record in ctx.matches.items():
        ident = ctx.index.identities[uid]
        if ident.provider != "entra" or ident.kind not in AGENT_KINDS:
            continue
        if not ident.enabled or record.status is AgentStatus.RETIRED:
            continue  # no access to vouch for; a retired record's live access is retired-agent-active's
        ctx.evaluated[self.id] += 1
        name = f"agent identity {ident.name} ({ident.native_ids[0] if ident.native_ids else uid})"
        attestation = attestation_of(ident)
        if attestation is None:
            gaps = ctx.coverage.blind(ident.scope, Facet.ATTESTATION, uid)
            why = gap_note(gaps) if gaps else "Graph returned no lifecycle state for it"
            evidence = [f"last attestation of {name} could not be read", why]
            yield self.finding(
                key=(uid,), status=Status.UNKNOWN, identity=ident, registry_id=record.id, evidence=evidence
            )
            continue
        when = attestation.last_attested_at
        if when is None:
            made = f", created {days_between(ctx.now, ident.created_at)} days ago" if ident.created_at else ""
            headline = f"{name} has never been attested{made} (limit {limit} days)"
        elif (age := days_between(ctx.now, when)) > limit:
            headline = f"{name} was last attested on {when.date()}, {age} days ago (limit {limit} days)"
        else:
            continue
        evidence = [headline, *(f"compliance issue: {issue}" for issue in attestation.compliance_issues)]
        if attestation.governing_policy:
            evidence.append(f"governing lifecycle policy: {attestation.governing_policy}")
        yield self.finding(key=(uid,), identity=ident, registry_id=record.id, evidence=evidence)
