"""A synthetic agent registry for the synthetic records: half the AI-looking identities registered."""

from __future__ import annotations

from datetime import timedelta

from bench.seed_records import NOW
from scanner.model import Identity, Record
from scanner.registry import AgentRecord, AgentStatus, Registry


def synthetic_registry(records: list[Record]) -> Registry:
    """A registry for every other AI-looking identity (so half are shadow agents), some retired or expired, some
    with declared permissions (drift is evaluated), and a few entries whose identity no longer exists."""
    agents = [
        r
        for r in records
        if isinstance(r, Identity) and (r.name.startswith(("agent", "BedrockAPIKey-")) or r.kind == "agent_identity")
    ]
    entries: list[AgentRecord] = []
    for number, ident in enumerate(agents[::2]):
        status = AgentStatus.RETIRED if number % 25 == 3 else AgentStatus.ACTIVE
        entries.append(
            AgentRecord(
                id=f"agent-{number}",
                owner=f"owner-{number % 40}@example.com",
                purpose="synthetic",
                status=status,
                identities=(ident.uid,),
                expires=NOW.date() - timedelta(days=5) if number % 30 == 7 else None,
                retired_on=NOW.date() if status is AgentStatus.RETIRED else None,
                allowed_permissions=("bedrock:InvokeModel",) if number % 3 == 0 else None,
            )
        )
    for number in range(len(entries) // 50):
        entries.append(
            AgentRecord(
                id=f"gone-{number}",
                owner="owner@example.com",
                purpose="synthetic",
                status=AgentStatus.ACTIVE,
                identities=(f"arn:aws:iam::100000000000:role/deleted-{number}",),
            )
        )
    return Registry(entries, sources=["synthetic"])
