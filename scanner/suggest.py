"""`registry suggest`: registry entries for the unregistered agents of a report, owners hinted from evidence."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

OWNER_PLACEHOLDER = "<OWNER: the accountable person>"
PURPOSE_PLACEHOLDER = "<PURPOSE: what this agent does and why it needs its access>"
OWNER_TAGS = ("owner", "Owner", "OWNER", "owner_email", "contact", "created-by", "CreatedBy", "team-owner")
_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def _slug(name: str, taken: set[str]) -> str:
    base = _ID_CHARS.sub("-", name).strip("-._")[:100] or "agent"
    if not base[0].isalnum():
        base = f"agent-{base}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def owner_hint(identity: Mapping[str, Any]) -> str | None:
    """An owner from the evidence: an owner tag, then the provider's owners and sponsors (people first)."""
    tags = identity.get("tags") or {}
    for key in OWNER_TAGS:
        value = str(tags.get(key) or "").strip()
        if value:
            return value
    for person in [*(identity.get("sponsors") or []), *(identity.get("owners") or [])]:
        if "@" in str(person):
            return str(person)
    return None


def _permissions(report: Mapping[str, Any], uid: str) -> list[str]:
    held = {p for g in report.get("grants", []) if g["subject_uid"] == uid and g["kind"] != "permissions-boundary"
            for p in g["permissions"]}  # fmt: skip
    return sorted(held)


def entry(report: Mapping[str, Any], identity: Mapping[str, Any], taken: set[str]) -> dict[str, Any]:
    """One registry record proposing today's access as the mission scope, for a person to confirm."""
    owner = owner_hint(identity)
    identities = list(dict.fromkeys([identity["uid"], *identity["native_ids"]]))
    record: dict[str, Any] = {
        "id": _slug(identity["name"], taken),
        "owner": owner or OWNER_PLACEHOLDER,
        "purpose": PURPOSE_PLACEHOLDER,
        "status": "active",
        "allowed_permissions": _permissions(report, identity["uid"]),
        "identities": identities,
    }
    return record


def suggest(report: Mapping[str, Any], finding_ids: Sequence[str] = ()) -> dict[str, Any]:
    """A registry document (version 1) for every unregistered agent, or for the findings named."""
    by_uid = {i["uid"]: i for i in report["identities"]}
    wanted = [
        f for f in report["findings"]
        if f["rule"] == "unregistered-agent" and f["status"] == "fail" and f.get("delta") != "resolved"
    ]  # fmt: skip
    if finding_ids:
        known = {f["id"] for f in wanted}
        unknown = [i for i in finding_ids if i not in known]
        if unknown:
            raise ValueError(f"not an unregistered-agent finding of this report: {', '.join(unknown)}")
        wanted = [f for f in wanted if f["id"] in finding_ids]
    taken = {r["id"] for r in report.get("registry_records", [])}
    agents = [entry(report, by_uid[f["identity_uid"]], taken) for f in wanted if f["identity_uid"] in by_uid]
    return {"version": 1, "agents": agents}


def dump(document: Mapping[str, Any], sources: Iterable[str] = ()) -> str:
    """The registry's own YAML, with a header that says what to fill in before committing it."""
    header = [
        "# Suggested by `shadowsweep registry suggest`. Review every entry before adding it to your registry:",
        "# - replace each <OWNER: ...> with the accountable person (registry validate rejects the placeholder);",
        "# - describe the purpose, and narrow allowed_permissions to the agent's mission.",
        *(f"# Evidence: {s}" for s in sources),
    ]
    body = yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + "\n" + body
