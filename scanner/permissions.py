"""Effective permissions from normalized statements: wildcards, NotAction and Deny understood."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from scanner.model import Effect, Grant, Statement

# IAM writes that let a principal grant itself (or anyone) more privilege: admin in a few steps.
PRIVILEGE_GRANTING_ACTIONS = frozenset(
    {
        "iam:AttachRolePolicy",
        "iam:AttachUserPolicy",
        "iam:AttachGroupPolicy",
        "iam:PutRolePolicy",
        "iam:PutUserPolicy",
        "iam:PutGroupPolicy",
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:UpdateAssumeRolePolicy",
        "iam:AddUserToGroup",
        "iam:CreateAccessKey",
        "iam:CreateLoginProfile",
        "iam:UpdateLoginProfile",
        "iam:DeleteRolePermissionsBoundary",
        "iam:DeleteUserPermissionsBoundary",
    }
)


@lru_cache(maxsize=65536)
def _glob(pattern: str) -> re.Pattern[str]:
    """Compile an IAM-style wildcard pattern (`*`, `?`), case-insensitively."""
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern.lower())
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def matches(pattern: str, value: str) -> bool:
    """Whether a concrete action or resource matches a wildcard pattern."""
    return _glob(pattern).match(value.lower()) is not None


def covers(outer: str, inner: str) -> bool:
    """Whether every action `inner` can name is also named by `outer` (both may hold wildcards)."""
    return _glob(outer).match(inner.lower()) is not None


def overlaps(left: str, right: str) -> bool:
    """Whether two patterns can name a common action (conservative for wildcards on both sides)."""
    return covers(left, right) or covers(right, left)


@dataclass(frozen=True, kw_only=True, slots=True)
class HeldAction:
    """An action pattern an identity is allowed, with the grant that allows it."""

    pattern: str
    grant_uid: str
    grant_name: str
    conditional: bool
    resources: tuple[str, ...]


def _statements(grant: Grant) -> tuple[Statement, ...]:
    """A grant's statements; a provider without statements allows its permissions on its target."""
    if grant.statements:
        return grant.statements
    return (Statement(effect=Effect.ALLOW, actions=grant.permissions),)


def _unconditional_denies(grants: Iterable[Grant]) -> list[str]:
    denies: list[str] = []
    for grant in grants:
        for st in _statements(grant):
            if st.effect is Effect.DENY and not st.conditional and "*" in st.resources and st.actions:
                denies.extend(st.actions)
    return denies


def held_actions(grants: Iterable[Grant]) -> list[HeldAction]:
    """Allowed action patterns, minus those an unconditional Deny on every resource removes."""
    grants = [g for g in grants if g.kind != "permissions-boundary"]
    denies = _unconditional_denies(grants)
    held: list[HeldAction] = []
    for grant in grants:
        for st in _statements(grant):
            if st.effect is not Effect.ALLOW:
                continue
            patterns = st.actions or (("*",) if st.not_actions else ())
            for pattern in patterns:
                if any(covers(deny, pattern) for deny in denies):
                    continue
                held.append(
                    HeldAction(
                        pattern=pattern,
                        grant_uid=grant.uid,
                        grant_name=grant.name or grant.target,
                        conditional=st.conditional,
                        resources=st.resources,
                    )
                )
    return held


def _boundary_allows(boundaries: list[Grant], action: str) -> bool:
    """A permissions boundary caps what identity policies can grant."""
    return all(any(covers(p, action) for p in held_patterns([b])) for b in boundaries)


def effective_actions(grants: list[Grant]) -> list[HeldAction]:
    """Held actions that a permissions boundary, if any, also allows."""
    boundaries = [g for g in grants if g.kind == "permissions-boundary"]
    held = held_actions(grants)
    if not boundaries:
        return held
    return [h for h in held if _boundary_allows(boundaries, h.pattern)]


def held_patterns(grants: Iterable[Grant]) -> list[str]:
    """Just the allowed patterns, deduplicated in order."""
    seen: dict[str, None] = {}
    for held in held_actions(grants):
        seen.setdefault(held.pattern, None)
    return list(seen)


def _not_action_exclusions(grants: Iterable[Grant]) -> list[tuple[str, tuple[str, ...]]]:
    return [
        (grant.uid, st.not_actions)
        for grant in grants
        for st in _statements(grant)
        if st.effect is Effect.ALLOW and st.not_actions and not st.actions
    ]


def allows(grants: list[Grant], action: str, resource: str = "*") -> HeldAction | None:
    """The held action that allows `action` on `resource`, if any (unconditional allows first)."""
    boundaries = [g for g in grants if g.kind == "permissions-boundary"]
    if boundaries and not _boundary_allows(boundaries, action):
        return None
    if any(overlaps(deny, action) for deny in _unconditional_denies(grants)):
        return None
    exclusions = dict(_not_action_exclusions(grants))
    best: HeldAction | None = None
    for held in held_actions(grants):
        if not covers(held.pattern, action) or any(overlaps(x, action) for x in exclusions.get(held.grant_uid, ())):
            continue
        if not any(matches(r, resource) or matches(resource, r) for r in held.resources):
            continue
        if not held.conditional:
            return held
        best = best or held
    return best


def admin_equivalent(grants: list[Grant]) -> tuple[str, HeldAction] | None:
    """Why these grants amount to administrator access (`*`, `iam:*`, or a privilege-granting write)."""
    for probe, why in (("*:*", "allows every action (*)"), ("iam:*", "allows every IAM action (iam:*)")):
        held = allows(grants, probe)
        if held and held.pattern.lower() in {"*", "*:*", "iam:*"} and not held.conditional:
            return why, held
    for action in sorted(PRIVILEGE_GRANTING_ACTIONS):
        held = allows(grants, action)
        if held and not held.conditional and "*" in held.resources:
            return f"allows {action} on every resource, which grants privilege", held
    return None
