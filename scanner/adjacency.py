"""Filling networkx's MultiDiGraph adjacency directly: the build cost and the memory of a million-identity graph.

networkx documents its storage (`_node[n]` attributes, `_succ[u][v][key]` edge data, `_pred[v][u]` the same key
dict) for subclassing. Its `add_*` methods spend most of a large build in argument handling and view objects, so
the builder writes the structure itself, then freezes the graph (`nx.freeze`): no method can change it afterwards.

Record edges (identity to credential, identity to grant, workload to identity) are two thirds of all edges. Their
meaning is entirely in the records at their ends, which the index keeps, so every record edge of one relation
shares one read-only key dict and one data dict instead of two dicts and a sentence each.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from scanner.edges import Edge, Relation
from scanner.index import RecordIndex

RECORD_REASONS = {
    Relation.HAS_CREDENTIAL: "the credential belongs to the identity (details in the credential's record)",
    Relation.HAS_GRANT: "the grant applies to the identity (details in the grant's record)",
    Relation.RUNS_AS: "the workload runs as the identity (details in the workload's record)",
}
# One key dict per record relation, shared by all its edges; a pair that gains a second edge gets its own copy.
_SHARED: dict[Relation, dict[str, dict[str, Any]]] = {
    relation: {relation.value: {"relation": relation, "reason": reason}} for relation, reason in RECORD_REASONS.items()
}
_SHARED_IDS = frozenset(id(keys) for keys in _SHARED.values())


def add_nodes(graph: nx.MultiDiGraph, nodes: Iterable[str], **attributes: Any) -> None:
    """Nodes not yet in the graph, each with its own attribute dict."""
    node, succ, pred = graph._node, graph._succ, graph._pred  # noqa: SLF001  see the module docstring
    for uid in nodes:
        if uid not in succ:
            node[uid] = dict(attributes)
            succ[uid] = {}
            pred[uid] = {}


def _link(graph: nx.MultiDiGraph, source: str, target: str, relation: Relation, data: dict[str, Any] | None) -> None:
    succ, pred = graph._succ, graph._pred  # noqa: SLF001
    keys = succ[source].get(target)
    if keys is None and data is None:
        succ[source][target] = pred[target][source] = _SHARED[relation]
        return
    if keys is None:
        keys = {}
    elif id(keys) in _SHARED_IDS:
        keys = dict(keys)  # copy on write: the shared dict stays as it is for every other record edge
    keys[relation.value] = data if data is not None else _SHARED[relation][relation.value]
    succ[source][target] = pred[target][source] = keys


def add_record_edges(graph: nx.MultiDiGraph, index: RecordIndex) -> None:
    """HAS_CREDENTIAL, HAS_GRANT and RUNS_AS edges, with the shared data; unknown ends become external nodes."""
    pairs: list[tuple[str, str, Relation]] = []
    for cred in index.credentials.values():
        pairs.append((index.resolve(cred.identity_uid) or cred.identity_uid, cred.uid, Relation.HAS_CREDENTIAL))
    for grant in index.grants.values():
        pairs.append((index.resolve(grant.subject_uid) or grant.subject_uid, grant.uid, Relation.HAS_GRANT))
    for wl in index.workloads.values():
        pairs.append((wl.uid, wl.runs_as_uid, Relation.RUNS_AS))
    add_nodes(graph, (end for source, target, _ in pairs for end in (source, target)), type="external")
    for source, target, relation in pairs:
        _link(graph, source, target, relation, None)


def add_edges(graph: nx.MultiDiGraph, batch: list[Edge]) -> None:
    """Correlated edges, each with its own relation and reason; unknown ends become external nodes."""
    add_nodes(graph, (end for e in batch for end in (e.source, e.target)), type="external")
    for e in batch:
        _link(graph, e.source, e.target, e.relation, {"relation": e.relation, "reason": e.reason})
