"""Entra at scale: requests per 1,000 objects against the floor, wall time and peak memory.

Run: python -m bench.entra_scale [--sps 100000 --apps 30000 --grants 200000]
The emulator runs in a child process, so the peak memory printed is the scanner's alone.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import resource
import time
from datetime import UTC, datetime
from typing import Any

GRAPH_MAX_PAGE = 999
EXPAND_PAGE = 100


def _serve(sizes: tuple[int, int, int], ready: Any, stop: Any) -> None:
    from connectors.entra.emulator import GraphEmulator
    from connectors.entra.emulator_tenant import Tenant

    tenant = Tenant.synthetic(*sizes, seed=7)
    with GraphEmulator(tenant) as emulator:
        kinds = [sp.odata_type for sp in tenant.service_principals]
        agents = kinds.count("#microsoft.graph.agentIdentity")
        principals = agents + kinds.count("#microsoft.graph.agentIdentityBlueprintPrincipal")
        blueprints = sum(
            1 for app in tenant.applications if app.odata_type == "#microsoft.graph.agentIdentityBlueprint"
        )
        instances = len(tenant.agent_instances or [])
        ready.send((emulator.url, agents + principals + blueprints, len(tenant.sign_in_activities), agents, instances))
        stop.recv()
        ready.send((emulator.request_count(), emulator.request_count(include_sub_requests=True)))


def floor(sps: int, apps: int, grants: int, people_reads: int, sign_ins: int, agents: int, instances: int) -> int:
    """The fewest requests that read the same data: full pages of every listing, expansions at 100, $batch of 20."""
    pages = math.ceil(sps / GRAPH_MAX_PAGE) + math.ceil(grants / GRAPH_MAX_PAGE)
    expansions = math.ceil(apps / EXPAND_PAGE) * 2 + math.ceil(sps / EXPAND_PAGE)  # apps+owners, FICs, app roles
    expansions += math.ceil(agents / EXPAND_PAGE)  # agent identities with $expand=lifecycle (attestation)
    reports = max(1, math.ceil(sign_ins / GRAPH_MAX_PAGE))  # sign-in activity
    registry = max(1, math.ceil(instances / EXPAND_PAGE))  # beta agentRegistry/agentInstances (no $top: pages of 100)
    fixed = 3  # organization, role definitions, role assignments
    return pages + expansions + reports + registry + fixed + math.ceil(people_reads / 20)


def run(sps: int, apps: int, grants: int) -> None:
    """Scan a synthetic tenant once and print the figures."""
    from connectors.entra import EntraConnector, EntraSettings
    from scanner.config import Settings
    from scanner.demo import DemoCredential
    from scanner.engine import collect, evaluate
    from scanner.registry import Registry

    parent, child = mp.Pipe()
    stop_parent, stop_child = mp.Pipe()
    started = time.perf_counter()
    server = mp.get_context("fork").Process(target=_serve, args=((sps, apps, grants), child, stop_child), daemon=True)
    server.start()
    url, people_reads, sign_ins, agents, instances = parent.recv()
    print(f"tenant of {sps:,} SPs, {apps:,} apps, {grants:,} grants built in {time.perf_counter() - started:.1f} s")
    connector = EntraConnector(EntraSettings(graph_endpoint=url), credential=DemoCredential())
    started = time.perf_counter()
    records = collect([connector], max_workers=1)
    collected = time.perf_counter() - started
    result = evaluate(records, Settings().scan, Registry.empty(), datetime.now(UTC))
    wall = time.perf_counter() - started
    stop_parent.send("stop")
    requests, with_items = parent.recv()
    server.join(10)
    objects = sps + apps + grants
    least = floor(sps, apps, grants, people_reads, sign_ins, agents, instances)
    index, findings = result.index, result.findings
    print(
        f"identities {len(index.identities):,}  grants {len(index.grants):,}  "
        f"credentials {len(index.credentials):,}  findings {len(findings):,}"
    )
    print(
        f"requests {requests:,} ({with_items:,} counting $batch items); floor {least:,}; "
        f"{requests / objects * 1000:.1f} per 1,000 objects (floor {least / objects * 1000:.1f}, goal <= 30)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"wall {wall:.1f} s: collection {collected:.1f} s, analysis {wall - collected:.1f} s; peak RSS {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sps", type=int, default=100_000)
    parser.add_argument("--apps", type=int, default=30_000)
    parser.add_argument("--grants", type=int, default=200_000)
    args = parser.parse_args()
    run(args.sps, args.apps, args.grants)


if __name__ == "__main__":
    main()
