"""Audit closure: is a retired or expired agent truly offboarded everywhere it was scanned?"""

from __future__ import annotations

from typing import Any

from scanner.registry import AgentRecord, AgentStatus
from scanner.rules import RuleContext, judge_absence
from scanner.rules.lifecycle import remaining_access


def needs_offboarding(record: AgentRecord, ctx: RuleContext) -> bool:
    """Retired records, and records whose time-box has passed."""
    return record.status is AgentStatus.RETIRED or record.is_expired(ctx.now.date())


def closure(record: AgentRecord, ctx: RuleContext) -> dict[str, Any]:
    """complete (nothing live remains where scanned), incomplete (with what remains), or unverified (gaps)."""
    live, gaps = remaining_access(ctx, record)
    _, missing = ctx.record_identities(record)
    unscanned = [i for i in missing if judge_absence(ctx, i)[0] == "unscanned"]
    if live:
        return {"status": "incomplete", "remaining": live}
    if gaps or unscanned:
        why = sorted({f"{g.resource} ({g.reason.value}) in {g.scope}" for g in gaps})
        why += [f"{identifier}: its scope was not scanned" for identifier in unscanned]
        return {"status": "unverified", "remaining": [], "unverified": why}
    return {"status": "complete", "remaining": []}


def closures(ctx: RuleContext) -> dict[str, dict[str, Any]]:
    """The closure state of every record that should be offboarded."""
    return {r.id: closure(r, ctx) for r in ctx.registry.records if needs_offboarding(r, ctx)}
