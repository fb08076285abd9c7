"""Disagreements between the registry file and a native registry (Entra Agent ID)."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.config import Severity
from scanner.rules import Finding, Rule, RuleContext, rule


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
