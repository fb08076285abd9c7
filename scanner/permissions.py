"""Effective permissions from normalized statements: wildcards, NotAction, Deny and boundaries understood."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from scanner.action_index import ActionIndex, LinearIndex, action_index, glob, grant_statements
from scanner.model import Effect, Grant, Statement

BOUNDARY = "permissions-boundary"

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


# Entra roles and Graph application permissions with a direct path to Global Administrator (Tier 0).
ENTRA_TIER0 = frozenset(
    {
        "Global Administrator",
        "Privileged Role Administrator",
        "Privileged Authentication Administrator",
        "Application Administrator",
        "Cloud Application Administrator",
        "RoleManagement.ReadWrite.Directory",
        "AppRoleAssignment.ReadWrite.All",
        "Application.ReadWrite.All",
    }
)
TIER0_KINDS = frozenset({"directory-role", "app-role"})


def matches(pattern: str, value: str) -> bool:
    """Whether a concrete action or resource matches a wildcard pattern (case-insensitive)."""
    return glob(pattern).match(value.lower()) is not None


def covers(outer: str, inner: str) -> bool:
    """Whether every name `inner` can stand for is also named by `outer` (both may hold wildcards)."""
    return glob(outer).match(inner.lower()) is not None


def overlaps(left: str, right: str) -> bool:
    """Whether two patterns can name a common action (approximated: one covers the other)."""
    return covers(left, right) or covers(right, left)


@dataclass(frozen=True, kw_only=True, slots=True)
class HeldAction:
    """An action pattern an identity is allowed, with the grant and statement that allow it."""

    pattern: str
    grant_uid: str
    grant_name: str
    conditional: bool
    resources: tuple[str, ...]
    excluded: tuple[str, ...] = ()  # NotAction of an Allow statement: everything but these


def _denies(grants: Iterable[Grant]) -> list[Statement]:
    """Unconditional Deny statements of identity policies (conditional ones may not apply)."""
    return [
        st
        for grant in grants
        if grant.kind != BOUNDARY
        for st in grant_statements(grant)
        if st.effect is Effect.DENY and not st.conditional and st.actions and not st.not_resources
    ]


def _allowed(grant: Grant, denies: list[Statement]) -> list[HeldAction]:
    held = []
    for st in grant_statements(grant):
        if st.effect is not Effect.ALLOW:
            continue
        patterns: tuple[str, ...] = st.actions or (("*",) if st.not_actions else ())
        excluded: tuple[str, ...] = () if st.actions else st.not_actions
        for pattern in patterns:
            if any("*" in d.resources and any(covers(a, pattern) for a in d.actions) for d in denies):
                continue
            held.append(
                HeldAction(
                    pattern=pattern,
                    grant_uid=grant.uid,
                    grant_name=grant.name or grant.target,
                    conditional=st.conditional,
                    resources=st.resources,
                    excluded=excluded,
                )
            )
    return held


def held_actions(grants: Iterable[Grant]) -> list[HeldAction]:
    """Allowed patterns of identity policies, minus those an unconditional Deny on every resource removes."""
    grants = [g for g in grants if g.kind != BOUNDARY]
    denies = _denies(grants)
    return [held for grant in grants for held in _allowed(grant, denies)]


def held_patterns(grants: Iterable[Grant]) -> list[str]:
    """Just the allowed patterns, deduplicated in order."""
    return list(dict.fromkeys(held.pattern for held in held_actions(grants)))


def _as_policy(boundary: Grant) -> Grant:
    """A boundary read as if it were a policy, so its own Deny and NotAction apply to it."""
    return replace(boundary, kind="boundary-as-policy")


def _cap(held: HeldAction, boundary: Grant) -> list[HeldAction]:
    """What of `held` a boundary allows: itself (minus its exclusions), narrower patterns, or nothing."""
    policy = [_as_policy(boundary)]
    limits = held_actions(policy)
    carve = [a for d in _denies(policy) for a in d.actions if overlaps(a, held.pattern)]
    for limit in limits:
        if covers(limit.pattern, held.pattern):
            carve += [x for x in limit.excluded if overlaps(x, held.pattern)]
            return [replace(held, excluded=tuple(dict.fromkeys((*held.excluded, *carve))))]
    narrower = [
        replace(held, pattern=b.pattern, excluded=b.excluded) for b in limits if covers(held.pattern, b.pattern)
    ]
    if narrower:
        return narrower
    return [held] if any(overlaps(b.pattern, held.pattern) for b in limits) else []


def effective_actions(grants: list[Grant]) -> list[HeldAction]:
    """Held actions, each capped by the identity's permissions boundary when it has one."""
    effective = held_actions(grants)
    for grant in grants:
        if grant.kind == BOUNDARY:
            effective = [capped for held in effective for capped in _cap(held, grant)]
    return effective


def _resource_ok(patterns: tuple[str, ...], resource: str | None) -> bool:
    return resource is None or any(covers(p, resource) for p in patterns)


def _denied(denies: Sequence[Statement], action: str, resource: str | None) -> bool:
    return any(
        any(overlaps(a, action) for a in deny.actions)
        and ("*" in deny.resources or (resource is not None and any(covers(r, resource) for r in deny.resources)))
        for deny in denies
    )


_NONE: list[HeldAction] = []  # shared by every "nothing covers it" answer; never appended to


class PolicySet:
    """One identity's grants compiled once, so repeated questions (may it assume X? is it admin?) stay cheap."""

    __slots__ = ("grants", "_indexes", "_denies", "_boundaries", "_admin", "_memo")

    def __init__(self, grants: Iterable[Grant]) -> None:
        # Tuples, so the usual empty Deny and boundary lists are the one shared empty tuple: a PolicySet is kept
        # for every identity while the graph is built and the identities are classified.
        every = tuple(grants)
        self.grants = tuple(g for g in every if g.kind != BOUNDARY)
        self._indexes: tuple[ActionIndex | LinearIndex, ...] = tuple(action_index(g) for g in self.grants)
        self._denies = tuple(_denies(self.grants))
        self._boundaries = tuple(PolicySet([_as_policy(g)]) for g in every if g.kind == BOUNDARY)
        self._admin: tuple[str, HeldAction] | None | bool = False  # False: not computed yet
        self._memo: dict[str, list[HeldAction]] | None = None  # only answers that found something

    def allows(self, action: str, resource: str | None = None) -> HeldAction | None:
        """The held action that allows `action` on `resource` (None: on some resource); unconditional first."""
        if any(b.allows(action, resource) is None for b in self._boundaries):
            return None
        if self._denies and _denied(self._denies, action, resource):
            return None
        best: HeldAction | None = None
        for held in self._covering(action):
            if not _resource_ok(held.resources, resource):
                continue
            if not held.conditional:
                return held
            best = best or held
        return best

    def everywhere(self, action: str, resources: str) -> HeldAction | None:
        """What allows `action` on every resource the wildcard `resources` names (e.g. every role of an account).

        Only when no Deny on the action and no boundary could carve a resource out: then a pattern that covers the
        wildcard covers each resource it names, and the graph can route through one trust hub instead of checking
        every role.
        """
        if any(overlaps(a, action) for deny in self._denies for a in deny.actions):
            return None  # a Deny on this action may carve out some of the resources
        if any(b.everywhere(action, resources) is None for b in self._boundaries):
            return None
        return self.allows(action, resources)

    def _covering(self, action: str) -> list[HeldAction]:
        """Held patterns that cover `action` and do not exclude it, in document order; kept per action asked."""
        found = self._memo.get(action) if self._memo is not None else None
        if found is not None:
            return found
        found = []
        for grant, index in zip(self.grants, self._indexes, strict=True):
            for hit in index.covering(action):
                st = index.statements[hit.statement]
                excluded = () if st.actions else st.not_actions
                if not any(overlaps(x, action) for x in excluded):
                    found.append(_held(grant, st, hit.pattern, excluded))
        if not found:
            return _NONE  # most identities are asked once whether they may assume roles, and may not
        if self._memo is None:
            self._memo = {}
        self._memo[action] = found
        return found

    def patterns_in(self, services: Iterable[str]) -> list[tuple[str, str]]:
        """(pattern, grant name) of allowed patterns in these services (lower case), minus unconditional Denies."""
        wanted = tuple(services)
        out = []
        for grant, index in zip(self.grants, self._indexes, strict=True):
            for hit in index.in_services(wanted):
                if any("*" in d.resources and any(covers(a, hit.pattern) for a in d.actions) for d in self._denies):
                    continue
                out.append((hit.pattern, grant.name or grant.target))
        return out

    def touches(self, service: str) -> bool:
        """Whether any Allow pattern of these grants could name an action of `service` (lower case)."""
        return any(index.touches(service) for index in self._indexes)

    def admin(self) -> tuple[str, HeldAction] | None:
        """Why these grants amount to administrator access, computed once."""
        if self._admin is False:
            self._admin = _admin_equivalent(self)
        return self._admin  # type: ignore[return-value]


def _held(grant: Grant, st: Statement, pattern: str, excluded: tuple[str, ...]) -> HeldAction:
    return HeldAction(
        pattern=pattern,
        grant_uid=grant.uid,
        grant_name=grant.name or grant.target,
        conditional=st.conditional,
        resources=st.resources,
        excluded=excluded,
    )


def allows(grants: list[Grant], action: str, resource: str | None = None) -> HeldAction | None:
    """The held action that allows `action` on `resource` (None: on some resource); unconditional first."""
    return PolicySet(grants).allows(action, resource)


_BROAD_IAM = re.compile(r"^arn:aws[a-z-]*:iam::[^:]*:(role|user|group|policy)/\*$", re.IGNORECASE)


def _broad(resources: tuple[str, ...]) -> bool:
    """Every resource, or every role, user, group or policy of an account: a privilege write there escalates."""
    return any(r == "*" or _BROAD_IAM.match(r) for r in resources)


def admin_equivalent(grants: list[Grant]) -> tuple[str, HeldAction] | None:
    """Why these grants amount to administrator access (`*`, `iam:*`, or a privilege-granting write)."""
    return PolicySet(grants).admin()


def _admin_equivalent(policy: PolicySet) -> tuple[str, HeldAction] | None:
    for probe, why in (("*:*", "allows every action (*)"), ("iam:*", "allows every IAM action (iam:*)")):
        held = policy.allows(probe, "*")
        if held and held.pattern.lower() in {"*", "*:*", "iam:*"} and not held.conditional:
            return why, held
    for grant in policy.grants:
        if grant.kind in TIER0_KINDS:
            for name in sorted(ENTRA_TIER0 & set(grant.permissions)):
                held = HeldAction(
                    pattern=name, grant_uid=grant.uid, grant_name=grant.name, conditional=False, resources=("*",)
                )
                return f"holds {name} (Tier 0: a direct path to Global Administrator)", held
    if not policy.touches("iam"):
        return None  # no pattern can name an IAM action: none of the privilege-granting writes is allowed
    for action in sorted(PRIVILEGE_GRANTING_ACTIONS):
        held = policy.allows(action)
        if held and not held.conditional and _broad(held.resources):
            where = "every resource" if "*" in held.resources else ", ".join(held.resources)
            return f"allows {action} on {where}, which grants privilege", held
    return None
