"""The graph's vocabulary: relations, edges with reasons, and the hub nodes that stand for "every role that trusts"."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Relation(StrEnum):
    """Edge types; see DESIGN.md."""

    HAS_CREDENTIAL = "HAS_CREDENTIAL"
    HAS_GRANT = "HAS_GRANT"
    CAN_ASSUME = "CAN_ASSUME"
    FEDERATES_FROM = "FEDERATES_FROM"
    CAN_IMPERSONATE = "CAN_IMPERSONATE"
    OWNS = "OWNS"
    RUNS_AS = "RUNS_AS"


# Relations along which control flows from one principal to another, for privilege paths.
CONTROL_RELATIONS = frozenset({Relation.CAN_ASSUME, Relation.CAN_IMPERSONATE, Relation.OWNS, Relation.FEDERATES_FROM})

# A hub stands for "the roles of account B that trust account A (or anyone)": a principal of A that may assume every
# role of B gets one edge to the hub, and each such role one edge from it, instead of one edge per (principal, role).
HUB_PREFIX = "aws:account-trust:"


@dataclass(frozen=True, kw_only=True, slots=True)
class Edge:
    """A relation between two uids and the reason it exists."""

    source: str
    target: str
    relation: Relation
    reason: str


def hub_uid(role_account: str, trusted: str) -> str:
    """The hub of the roles in `role_account` that trust `trusted` (an account id, or `*` for anyone)."""
    return f"{HUB_PREFIX}{role_account}<-{trusted}"


def is_hub(node: str) -> bool:
    """Whether a node is a trust hub rather than a principal (hubs cost no hop on a privilege path)."""
    return node.startswith(HUB_PREFIX)


def node_label(node: str, names: dict[str, str] | None = None) -> str:
    """How a path names a node: the identity's name, a hub's meaning, or the uid itself."""
    if is_hub(node):
        account, _, trusted = node.removeprefix(HUB_PREFIX).partition("<-")
        whom = "anyone" if trusted == "*" else f"account {trusted}"
        return f"(every role of account {account} that trusts {whom})"
    return (names or {}).get(node, node)
