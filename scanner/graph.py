"""The identity graph: uids as nodes, named relations as edges, each edge with its reason."""

from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import Callable, Iterator

import networkx as nx

from scanner.adjacency import add_edges, add_nodes, add_record_edges
from scanner.assume import assume_role_edges
from scanner.edges import CONTROL_RELATIONS, Edge, Relation, is_hub
from scanner.index import RecordIndex
from scanner.model import TrustKind

__all__ = ["CONTROL_RELATIONS", "CORRELATORS", "Edge", "Relation", "build_graph", "explore", "is_hub", "path_to"]


# Issuers whose tokens name one of our own identities in an audience or subject: (provider, issuer pattern).
IDENTITY_ISSUERS = (
    ("entra", re.compile(r"^(sts\.windows\.net|login\.microsoftonline\.com)/([0-9a-f-]{36})", re.IGNORECASE)),
    ("gcp", re.compile(r"^accounts\.google\.com$")),
)
_ID_TOKEN = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|\b\d{21}\b")


def federation_edges(index: RecordIndex) -> Iterator[Edge]:
    """FEDERATES_FROM edges from external identity providers to the identities that trust them."""
    for ident in index.identities.values():
        for trust in ident.trusts:
            if trust.kind is not TrustKind.FEDERATED:
                continue
            subjects = ", ".join(trust.subjects) or "any subject"
            conditions = "; ".join(trust.conditions) or "no conditions"
            yield Edge(
                source=f"federation:{trust.principal}",
                target=ident.uid,
                relation=Relation.FEDERATES_FROM,
                reason=f"trusts tokens from {trust.principal} for {subjects} ({conditions})",
            )


def impersonation_edges(index: RecordIndex) -> Iterator[Edge]:
    """CAN_IMPERSONATE edges: a role on an identity's own policy that lets a member act as it (GCP)."""
    for ident in index.identities.values():
        for trust in ident.trusts:
            if trust.kind is TrustKind.PRINCIPAL and trust.action.startswith("roles/iam."):
                yield Edge(
                    source=index.resolve(trust.principal) or trust.principal,
                    target=ident.uid,
                    relation=Relation.CAN_IMPERSONATE,
                    reason=f"{trust.principal} holds {trust.action} on {ident.name}",
                )


def _issuer_provider(issuer: str) -> str | None:
    host = issuer.removeprefix("https://")
    return next((provider for provider, pattern in IDENTITY_ISSUERS if pattern.match(host)), None)


def cross_cloud_edges(index: RecordIndex) -> Iterator[Edge]:
    """FEDERATES_FROM between identities: another cloud's identity whose tokens satisfy this one's trust."""
    for ident in index.identities.values():
        for trust in ident.trusts:
            provider = _issuer_provider(trust.principal) if trust.kind is TrustKind.FEDERATED else None
            if provider is None:
                continue
            text = " ".join((*trust.conditions, *trust.subjects))
            for token in dict.fromkeys(_ID_TOKEN.findall(text)):
                source = index.resolve(token)
                if source and source != ident.uid and index.identities[source].provider == provider:
                    name = index.identities[source].name
                    yield Edge(
                        source=source,
                        target=ident.uid,
                        relation=Relation.FEDERATES_FROM,
                        reason=f"{ident.name} trusts tokens from {trust.principal} issued to {name} ({token})",
                    )


def ownership_edges(index: RecordIndex) -> Iterator[Edge]:
    """OWNS edges: an owner can add credentials to what it owns, so it controls it."""
    for ident in index.identities.values():
        for owner in ident.owners:
            source = index.resolve(owner) or owner
            yield Edge(
                source=source,
                target=ident.uid,
                relation=Relation.OWNS,
                reason=f"owner of {ident.kind} {ident.name}: can add credentials to it and act as it",
            )


Correlator = Callable[[RecordIndex], Iterator[Edge]]
CORRELATORS: tuple[Correlator, ...] = (
    assume_role_edges,
    federation_edges,
    ownership_edges,
    impersonation_edges,
    cross_cloud_edges,
)


def build_graph(index: RecordIndex, correlators: tuple[Correlator, ...] = CORRELATORS) -> nx.MultiDiGraph:
    """Nodes are bare uids (records and their kinds stay in the index); edges carry relation and reason.

    Only nodes outside the index (issuers, unresolved principals) carry an attribute, `type="external"`. Correlated
    edges are added in batches as they are made, so no list of every edge is held beside the graph. The graph comes
    back frozen (`nx.freeze`); `nx.MultiDiGraph(graph)` gives a copy to change.
    """
    graph = nx.MultiDiGraph()
    for table in (index.identities, index.credentials, index.grants, index.workloads):
        add_nodes(graph, table)
    add_record_edges(graph, index)
    edges = itertools.chain(*(correlate(index) for correlate in correlators))
    while batch := list(itertools.islice(edges, _BATCH)):
        add_edges(graph, batch)
    return nx.freeze(graph)


_BATCH = 20_000


def explore(graph: nx.MultiDiGraph, start: str, max_hops: int = 4) -> dict[str, Edge | None]:
    """Every node reachable from `start` along control relations, with the edge that first reached it.

    `max_hops` counts principals: a trust hub on the way costs no hop (0-1 breadth-first search, so the first edge
    to reach a node is on a shortest path).
    """
    parents: dict[str, Edge | None] = {start: None}
    queue: deque[tuple[str, int]] = deque([(start, 0)])
    while queue:
        node, depth = queue.popleft()
        # The adjacency itself, not `graph.out_edges`: that cached view would tie the graph into a reference cycle,
        # and then only a full garbage collection could free it once the scan is done with it.
        for target, keys in graph._succ[node].items():  # noqa: SLF001
            data = next((d for d in keys.values() if d["relation"] in CONTROL_RELATIONS), None)
            if data is None or target in parents:
                continue
            hub = is_hub(target)
            if not hub and depth >= max_hops:
                continue
            parents[target] = Edge(source=node, target=target, relation=data["relation"], reason=data["reason"])
            if hub:
                queue.appendleft((target, depth))
            else:
                queue.append((target, depth + 1))
    return parents


def path_to(parents: dict[str, Edge | None], node: str) -> list[Edge]:
    """The hops from the exploration's start to `node`, in order."""
    path: list[Edge] = []
    edge = parents[node]
    while edge is not None:
        path.append(edge)
        edge = parents[edge.source]
    return list(reversed(path))
