"""CAN_ASSUME edges for AWS roles: trust policies checked against each caller's own sts:AssumeRole permission."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.edges import Edge, Relation, hub_uid
from scanner.index import RecordIndex
from scanner.model import Identity, TrustKind
from scanner.permissions import HeldAction, PolicySet

ASSUME_ROLE = "sts:AssumeRole"


def _arn_of(identity: Identity) -> str:
    return next((n for n in identity.native_ids if n.startswith("arn:")), identity.uid)


def _every_role_of(role_arn: str) -> str:
    """The wildcard naming every role of the account (and partition) a role ARN belongs to."""
    head, sep, _ = role_arn.partition(":role/")
    return f"{head}{sep}*" if sep else role_arn


class _Candidates:
    """Identities holding any sts:AssumeRole permission, grouped by scope (computed once)."""

    def __init__(self, index: RecordIndex) -> None:
        self.policies: dict[str, PolicySet] = {}
        self.by_scope: dict[str, list[str]] = {}
        self._everywhere: dict[tuple[str, str], HeldAction | None] = {}
        for uid, ctx in index.contexts.items():
            # Only policy documents can allow sts:AssumeRole; role bindings and consents never do.
            if any(g.statements for g in ctx.grants) and ctx.policy.allows(ASSUME_ROLE):
                self.policies[uid] = ctx.policy
                self.by_scope.setdefault(ctx.identity.scope, []).append(uid)

    def in_scope(self, scope: str | None) -> list[str]:
        """Candidates of one account, or of every account (`None`: a trust in anyone)."""
        return self.by_scope.get(scope, []) if scope is not None else list(self.policies)

    def everywhere(self, uid: str, roles: str) -> HeldAction | None:
        """The unconditional permission that lets `uid` assume every role the wildcard `roles` names, if any."""
        key = (uid, roles)
        if key not in self._everywhere:
            held = self.policies[uid].everywhere(ASSUME_ROLE, roles)
            self._everywhere[key] = held if held and not held.conditional else None
        return self._everywhere[key]


def assume_role_edges(index: RecordIndex) -> Iterator[Edge]:
    """CAN_ASSUME edges from role trust policies, checked against the caller's own permissions."""
    candidates = _Candidates(index)
    linked: set[tuple[str, str]] = set()  # (caller, hub) edges already made
    for role in index.identities.values():
        role_arn = _arn_of(role)
        for trust in role.trusts:
            if not trust.action.lower().startswith(("sts:", "*")):
                continue  # not AWS role assumption (GCP impersonation has its own correlator)
            if trust.kind is TrustKind.PRINCIPAL:
                yield from _principal_trust(index, candidates, role, role_arn, trust.principal)
            elif trust.kind in (TrustKind.ACCOUNT, TrustKind.ANYONE):
                account = trust.principal if trust.kind is TrustKind.ACCOUNT else None
                yield from _account_trust(candidates, role, role_arn, account, linked)


def _account_trust(
    candidates: _Candidates, role: Identity, role_arn: str, account: str | None, linked: set[tuple[str, str]]
) -> Iterator[Edge]:
    """Callers that may assume every role of the account reach it through the hub; the rest are checked one by one."""
    who = f"account {account}" if account else "any principal (*)"
    roles = _every_role_of(role_arn)
    hub = hub_uid(role.scope, account or "*")
    hub_used = False
    for uid in candidates.in_scope(account):
        if uid == role.uid:
            continue
        held = candidates.everywhere(uid, roles)
        if held is not None:
            hub_used = True
            if (uid, hub) not in linked:
                linked.add((uid, hub))
                yield Edge(
                    source=uid,
                    target=hub,
                    relation=Relation.CAN_ASSUME,
                    reason=f"{held.grant_name} allows {held.pattern} on {', '.join(held.resources)}: "
                    f"every role of account {role.scope} that trusts {who} accepts it",
                )
            continue
        held = candidates.policies[uid].allows(ASSUME_ROLE, role_arn)
        if held:
            yield Edge(
                source=uid,
                target=role.uid,
                relation=Relation.CAN_ASSUME,
                reason=f"{role.name} trusts {who}, and {held.grant_name} allows {held.pattern} on it",
            )
    if hub_used:
        yield Edge(
            source=hub,
            target=role.uid,
            relation=Relation.CAN_ASSUME,
            reason=f"{role.name} trusts {who}: a principal there whose own policy allows sts:AssumeRole on it may",
        )


def _principal_trust(
    index: RecordIndex, candidates: _Candidates, role: Identity, role_arn: str, principal: str
) -> Iterator[Edge]:
    source = index.resolve(principal)
    if source is None:
        return
    src = index.identities[source]
    if src.scope == role.scope:
        yield Edge(
            source=source, target=role.uid, relation=Relation.CAN_ASSUME, reason=f"{role.name} trusts {principal}"
        )
        return
    policy = candidates.policies.get(source)
    held = policy.allows(ASSUME_ROLE, role_arn) if policy else None
    if held:
        yield Edge(
            source=source,
            target=role.uid,
            relation=Relation.CAN_ASSUME,
            reason=f"{role.name} trusts {principal}, and {held.grant_name} allows {held.pattern} on it",
        )
