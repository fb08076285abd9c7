"""The identity graph: trust correlators with their reasons, and bounded exploration along control relations."""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest
from builders import (
    ACCOUNT,
    OTHER_ACCOUNT,
    access_key,
    account_trust,
    anyone,
    boundary,
    grant,
    oidc,
    principal_trust,
    role,
    role_arn,
    service,
    user,
    workload,
)

from scanner.adjacency import add_edges, add_nodes, add_record_edges
from scanner.graph import CONTROL_RELATIONS, Edge, Relation, build_graph, explore, is_hub, path_to
from scanner.index import build_index
from scanner.model import Record


def graph_of(records: list[Record]) -> nx.MultiDiGraph:
    return build_graph(build_index(records))


def edges(graph: nx.MultiDiGraph, relation: Relation) -> dict[tuple[str, str], str]:
    """(source, target) -> reason for every edge of one relation; a path through a trust hub counts as one edge."""
    direct = {(s, t): d["reason"] for s, t, d in graph.edges(data=True) if d["relation"] is relation}
    found = {pair: reason for pair, reason in direct.items() if not any(is_hub(node) for node in pair)}
    for (source, hub), first in direct.items():
        if is_hub(hub):
            found |= {
                (source, target): f"{first}; {second}"
                for (via, target), second in direct.items()
                if via == hub and target != source
            }
    return found


CALLER = role("caller")
TARGET = role("ops-admin")
OTHER_TARGET = role("dev-admin")


def _assume(resource: str, **kwargs: Any) -> list[Record]:
    return [grant(CALLER, "sts:AssumeRole", resources=[resource], name="may-assume", **kwargs)]


ASSUME_CASES = [
    # (case id, trust on the target role, the caller's grants, edge expected)
    ("same-account-principal-needs-no-permission", principal_trust(CALLER.native_ids[0]), [], True),
    ("same-account-principal-by-role-id", principal_trust(CALLER.native_ids[1]), [], True),
    ("account-root-without-permission", account_trust(ACCOUNT), [], False),
    ("account-root-with-star-permission", account_trust(ACCOUNT), _assume("*"), True),
    (
        "account-root-with-resource-wildcard",
        account_trust(ACCOUNT),
        _assume("arn:aws:iam::*:role/ops-*"),
        True,
    ),
    (
        "account-root-with-permission-on-another-role",
        account_trust(ACCOUNT),
        _assume(role_arn("dev-admin")),
        False,
    ),
    ("account-root-with-conditional-permission", account_trust(ACCOUNT), _assume("*", conditional=True), True),
    (
        "account-root-with-deny",
        account_trust(ACCOUNT),
        [*_assume("*"), grant(CALLER, "sts:AssumeRole", effect="Deny", name="never")],
        False,
    ),
    (
        "account-root-of-another-account",
        account_trust(OTHER_ACCOUNT),
        _assume("*"),
        False,
    ),
    # Regression: a boundary once hid every permission (see test_permissions), losing this edge.
    (
        "account-root-permission-inside-boundary",
        account_trust(ACCOUNT),
        [*_assume("*"), boundary(CALLER, "sts:*")],
        True,
    ),
    ("service-trust-is-no-assume-edge", service("bedrock.amazonaws.com"), _assume("*"), False),
    ("anyone-with-permission", anyone(), _assume("*"), True),
    ("anyone-without-permission", anyone(), [], False),
]


@pytest.mark.parametrize(
    ("trust", "grants", "expected"),
    [pytest.param(t, g, e, id=i) for i, t, g, e in ASSUME_CASES],
)
def test_can_assume(trust: Any, grants: list[Record], expected: bool) -> None:
    caller = CALLER
    target = role("ops-admin", trusts=[trust])
    found = edges(graph_of([caller, target, OTHER_TARGET, *grants]), Relation.CAN_ASSUME)
    assert ((caller.uid, target.uid) in found) is expected
    assert (caller.uid, OTHER_TARGET.uid) not in found  # OTHER_TARGET trusts nobody
    if expected:
        reason = found[(caller.uid, target.uid)]
        assert "ops-admin trusts" in reason
        if grants:
            assert "may-assume" in reason and "sts:assumerole" in reason.lower()


FOREIGN = role("cross-caller", account=OTHER_ACCOUNT)


@pytest.mark.parametrize(
    ("trust", "permission", "expected"),
    [
        pytest.param(principal_trust(FOREIGN.native_ids[0]), None, False, id="principal-without-permission"),
        pytest.param(principal_trust(FOREIGN.native_ids[0]), "*", True, id="principal-with-permission"),
        pytest.param(
            principal_trust(FOREIGN.native_ids[0]),
            f"arn:aws:iam::{ACCOUNT}:role/ops-*",
            True,
            id="principal-with-resource-wildcard",
        ),
        pytest.param(
            principal_trust(FOREIGN.native_ids[0]),
            f"arn:aws:iam::{OTHER_ACCOUNT}:role/*",
            False,
            id="principal-with-permission-elsewhere",
        ),
        pytest.param(account_trust(OTHER_ACCOUNT), None, False, id="foreign-account-without-permission"),
        pytest.param(account_trust(OTHER_ACCOUNT), "*", True, id="foreign-account-with-permission"),
    ],
)
def test_cross_account_trust_requires_the_callers_permission(
    trust: Any, permission: str | None, expected: bool
) -> None:
    target = role("ops-admin", trusts=[trust])
    grants = [grant(FOREIGN, "sts:AssumeRole", resources=[permission], name="hop")] if permission else []
    found = edges(graph_of([FOREIGN, target, *grants]), Relation.CAN_ASSUME)
    assert ((FOREIGN.uid, target.uid) in found) is expected
    if expected:
        assert "hop allows" in found[(FOREIGN.uid, target.uid)]


def test_anyone_trust_reaches_callers_in_every_account_and_says_so() -> None:
    target = role("open-relay", trusts=[anyone()])
    records = [CALLER, FOREIGN, target, *_assume("*"), grant(FOREIGN, "sts:AssumeRole", name="foreign-hop")]
    found = edges(graph_of(records), Relation.CAN_ASSUME)
    assert set(found) == {(CALLER.uid, target.uid), (FOREIGN.uid, target.uid)}
    assert all("any principal (*)" in reason for reason in found.values())


def test_a_role_never_gets_an_edge_to_itself() -> None:
    me = role("self-trusting", trusts=[account_trust(ACCOUNT), anyone()])
    found = edges(graph_of([me, grant(me, "sts:AssumeRole")]), Relation.CAN_ASSUME)
    assert (me.uid, me.uid) not in found


def test_unknown_principal_gives_no_edge_and_no_external_node() -> None:
    target = role("ops-admin", trusts=[principal_trust(role_arn("deleted-role"))])
    graph = graph_of([target])
    assert edges(graph, Relation.CAN_ASSUME) == {}
    assert set(graph.nodes) == {target.uid}


def test_federated_oidc_trust_gives_federates_from_with_subjects() -> None:
    issuer = "token.actions.githubusercontent.com"
    deployer = role("gh-deployer", trusts=[oidc(issuer, "repo:acme/infra:ref:refs/heads/main")])
    graph = graph_of([deployer])
    found = edges(graph, Relation.FEDERATES_FROM)
    assert list(found) == [(f"federation:{issuer}", deployer.uid)]
    reason = found[(f"federation:{issuer}", deployer.uid)]
    assert issuer in reason and "repo:acme/infra:ref:refs/heads/main" in reason
    assert graph.nodes[f"federation:{issuer}"]["type"] == "external"
    assert edges(graph, Relation.CAN_ASSUME) == {}


def test_federated_trust_without_conditions_says_any_subject() -> None:
    deployer = role("wide-open", trusts=[oidc("accounts.google.com")])
    (reason,) = edges(graph_of([deployer]), Relation.FEDERATES_FROM).values()
    assert "any subject" in reason and "no conditions" in reason


def _estate() -> list[Record]:
    agent = role("agent", trusts=[service("bedrock.amazonaws.com")])
    hop = role("hop", trusts=[principal_trust(agent.native_ids[0])])
    admin = role("admin", trusts=[account_trust(ACCOUNT)])
    bot = user("bot")
    return [
        agent,
        hop,
        admin,
        bot,
        grant(hop, "sts:AssumeRole", name="hop-assume"),
        grant(admin, "*", name="admin-all"),
        access_key(bot, "AKIAQXAMPLEBOT00001"),
        workload(agent, "bedrock-agent", "inv"),
        role("gh", trusts=[oidc("token.actions.githubusercontent.com", "repo:a/b:*")]),
    ]


def test_every_edge_has_a_relation_and_a_reason() -> None:
    graph = graph_of(_estate())
    relations = {d["relation"] for _, _, d in graph.edges(data=True)}
    assert relations >= {
        Relation.CAN_ASSUME,
        Relation.FEDERATES_FROM,
        Relation.HAS_GRANT,
        Relation.HAS_CREDENTIAL,
        Relation.RUNS_AS,
    }
    for source, target, data in graph.edges(data=True):
        assert isinstance(data["relation"], Relation)
        assert data["reason"].strip(), (source, target)


def test_record_edges_point_the_right_way() -> None:
    records = _estate()
    graph = graph_of(records)
    bot = next(r for r in records if getattr(r, "name", "") == "bot")
    agent = next(r for r in records if getattr(r, "name", "") == "agent")
    assert ("aws:access-key:AKIAQXAMPLEBOT00001" in graph.successors(bot.uid)) is True
    runs_as = edges(graph, Relation.RUNS_AS)
    assert [t for (_, t) in runs_as] == [agent.uid]
    assert "runs as the identity" in next(iter(runs_as.values()))  # the workload's own record says which one


def _chain(length: int) -> list[Record]:
    """r0 <- r1 <- ... : each role trusts the previous one by ARN, so r0 can walk the chain."""
    roles = [role("r0")]
    for n in range(1, length):
        roles.append(role(f"r{n}", trusts=[principal_trust(roles[-1].native_ids[0])]))
    return roles


@pytest.mark.parametrize(
    ("max_hops", "reached"),
    [
        pytest.param(0, {"r0"}, id="zero-hops"),
        pytest.param(1, {"r0", "r1"}, id="one-hop"),
        pytest.param(2, {"r0", "r1", "r2"}, id="two-hops"),
        pytest.param(4, {"r0", "r1", "r2", "r3", "r4"}, id="default-bound"),
    ],
)
def test_explore_is_bounded_by_hops(max_hops: int, reached: set[str]) -> None:
    roles = _chain(7)
    graph = graph_of(roles)
    parents = explore(graph, roles[0].uid, max_hops=max_hops)
    names = {uid.rsplit("/", 1)[-1] for uid in parents}
    assert names == reached


def test_path_to_lists_hops_in_order_with_reasons() -> None:
    roles = _chain(4)
    parents = explore(graph_of(roles), roles[0].uid)
    path = path_to(parents, roles[3].uid)
    assert [(e.source, e.target) for e in path] == [(roles[i].uid, roles[i + 1].uid) for i in range(3)]
    assert all(e.relation is Relation.CAN_ASSUME and e.reason for e in path)
    assert path_to(parents, roles[0].uid) == []


def test_explore_follows_only_control_relations() -> None:
    records = _estate()
    graph = graph_of(records)
    agent_uid = next(r.uid for r in records if getattr(r, "name", "") == "agent")
    parents = explore(graph, agent_uid)
    reached = {uid.rsplit("/", 1)[-1] for uid in parents if not is_hub(uid)}
    assert reached == {"agent", "hop", "admin"}  # agent -> hop (trusts agent) -> admin (hop may assume, root trust)
    assert all(e is None or e.relation in CONTROL_RELATIONS for e in parents.values())


def test_explore_does_not_walk_edges_backwards() -> None:
    roles = _chain(3)
    parents = explore(graph_of(roles), roles[2].uid)
    assert set(parents) == {roles[2].uid}


def test_a_deny_naming_the_role_blocks_the_edge() -> None:
    # Regression: a Deny scoped to the role's ARN was ignored by permissions.allows(), so the graph claimed the caller
    # could assume it; an agent-privilege-path finding built on such an edge is a false critical.
    vault = role("vault", trusts=[account_trust(ACCOUNT)])
    deny = grant(CALLER, "sts:AssumeRole", resources=[vault.native_ids[0]], effect="Deny", name="not-the-vault")
    found = edges(graph_of([CALLER, vault, *_assume("*"), deny]), Relation.CAN_ASSUME)
    assert (CALLER.uid, vault.uid) not in found


def test_the_graph_is_a_consistent_networkx_multidigraph() -> None:
    graph = graph_of(_estate())
    out_edges = sorted(graph.edges(keys=True))
    in_edges = sorted((u, v, k) for node in graph for u, v, k in graph.in_edges(node, keys=True))
    assert out_edges == in_edges  # successors and predecessors describe the same edges
    assert graph.number_of_edges() == len(out_edges) > 0
    copy = nx.MultiDiGraph(graph)  # networkx's own operations accept it as built
    assert sorted(copy.edges(keys=True)) == out_edges
    reversed_graph = graph.reverse()
    assert sorted((v, u, k) for u, v, k in reversed_graph.edges(keys=True)) == out_edges


def test_account_trust_goes_through_one_hub_not_an_edge_per_pair() -> None:
    callers = [role(f"admin-{n}") for n in range(30)]
    targets = [role(f"trusting-{n}", trusts=[account_trust(ACCOUNT)]) for n in range(40)]
    partial = role("ops-only")
    grants = [grant(c, "sts:AssumeRole", name=f"assume-{c.name}") for c in callers]
    grants.append(grant(partial, "sts:AssumeRole", resources=[role_arn("trusting-1*")], name="ops"))
    graph = graph_of([*callers, *targets, partial, *grants])
    assume = [(s, t) for s, t, d in graph.edges(data=True) if d["relation"] is Relation.CAN_ASSUME]
    # 30 callers -> hub, hub -> 40 roles, and 11 direct edges for the caller limited to trusting-1*.
    assert len(assume) == 30 + 40 + 11
    pairs = edges(graph, Relation.CAN_ASSUME)
    assert {(c.uid, t.uid) for c in callers for t in targets} <= set(pairs)
    assert {t for s, t in pairs if s == partial.uid} == {t.uid for t in targets if t.name.startswith("trusting-1")}


def test_a_hub_costs_no_hop() -> None:
    caller = role("caller-one")
    target = role("admin-target", trusts=[account_trust(ACCOUNT)])
    graph = graph_of([caller, target, grant(caller, "sts:AssumeRole", name="assume-anything")])
    parents = explore(graph, caller.uid, max_hops=1)
    path = path_to(parents, target.uid)
    assert [is_hub(hop.target) for hop in path] == [True, False]  # caller -> hub -> role, within one hop
    assert "assume-anything allows sts:AssumeRole" in path[0].reason and "admin-target trusts" in path[1].reason


def test_the_graph_is_frozen_and_a_copy_can_change() -> None:
    graph = graph_of(_estate())
    assert nx.is_frozen(graph)
    with pytest.raises(nx.NetworkXError):
        graph.add_edge("a", "b")
    thawed = nx.MultiDiGraph(graph)
    thawed.add_edge("a", "b", key="X")
    assert thawed.has_edge("a", "b") and not graph.has_edge("a", "b")


def test_record_edges_share_data_and_a_second_edge_on_their_pair_copies_it() -> None:
    agent = role("agent-both")
    runs, other = workload(agent, "lambda-function", "fn"), workload(agent, "lambda-function", "fn2")
    graph = nx.MultiDiGraph()
    add_nodes(graph, [agent.uid, runs.uid, other.uid])
    add_record_edges(graph, build_index([agent, runs, other]))
    assert graph[runs.uid][agent.uid]["RUNS_AS"] is graph[other.uid][agent.uid]["RUNS_AS"]  # shared data
    add_edges(graph, [Edge(source=runs.uid, target=agent.uid, relation=Relation.OWNS, reason="test")])
    assert set(graph[runs.uid][agent.uid]) == {"RUNS_AS", "OWNS"}
    assert set(graph[other.uid][agent.uid]) == {"RUNS_AS"}  # the shared dict was copied, not changed
    assert graph.pred[agent.uid][runs.uid]["OWNS"] is graph.succ[runs.uid][agent.uid]["OWNS"]


def test_the_graph_is_freed_as_soon_as_the_scan_lets_it_go() -> None:
    """No reference cycle (networkx's cached views make one): the runner drops it before the report, and the
    report reuses its memory at once instead of after the next full garbage collection."""
    import weakref

    from scanner.gcpause import gc_paused

    records = _estate()
    with gc_paused():
        graph = graph_of(records)
        agent_uid = next(r.uid for r in records if getattr(r, "name", "") == "agent")
        assert explore(graph, agent_uid)
        alive = weakref.ref(graph)
        del graph
        assert alive() is None
