"""Google Cloud at scale: calls per project with and without Cloud Asset Inventory, wall time, peak memory.

Run: python -m bench.gcp_scale [--projects 5000 --accounts 20000]
The emulator runs in a child process, so the peak memory printed is the scanner's alone. Without CAI the
API Keys quota (240 reads a minute) bounds a real scan; the run lifts the client's limiter to measure calls
and CPU, and prints the quota-bound time separately.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
from datetime import UTC, datetime
from typing import Any

APIS = ("resourcemanager", "iam", "apikeys", "cloudasset", "policyanalyzer")
UNTHROTTLED = dict.fromkeys(APIS, 6_000_000)


def _serve(sizes: tuple[int, int], with_cai: bool, ready: Any, stop: Any) -> None:
    from connectors.gcp.emulator import GcpEmulator
    from connectors.gcp.emulator_org import Org

    org = Org.synthetic(*sizes, seed=7)
    with GcpEmulator(org) as emulator:
        if not with_cai:
            emulator.disable_api("cloudasset.googleapis.com")
        ready.send((emulator.url, org.organization.name))
        stop.recv()
        ready.send({api: emulator.request_count(api) for api in ("cloudresourcemanager", *APIS[1:])})


def run_once(projects: int, accounts: int, with_cai: bool) -> None:
    """One scan of the synthetic organization, with or without Cloud Asset Inventory."""
    from google.oauth2.credentials import Credentials

    from connectors.gcp import GcpConnector, GcpSettings
    from scanner.config import ScanSettings
    from scanner.engine import collect, evaluate
    from scanner.registry import Registry

    parent, child = mp.Pipe()
    stop_parent, stop_child = mp.Pipe()
    ctx = mp.get_context("fork")
    server = ctx.Process(target=_serve, args=((projects, accounts), with_cai, child, stop_child), daemon=True)
    server.start()
    url, organization = parent.recv()
    settings = GcpSettings(organization=organization, endpoints=dict.fromkeys(APIS, url), quotas=UNTHROTTLED)
    connector = GcpConnector(settings, credentials=Credentials(token="bench"))  # type: ignore[no-untyped-call]
    started = time.perf_counter()
    records = collect([connector], max_workers=8)
    collected = time.perf_counter() - started
    index, *_ = evaluate(records, ScanSettings(), Registry.empty(), datetime.now(UTC))
    wall = time.perf_counter() - started
    stop_parent.send("stop")
    by_api = parent.recv()
    server.join(10)
    total = sum(by_api.values())
    mode = "with CAI   " if with_cai else "without CAI"
    print(f"{mode}: {total:,} calls = {total / projects:.2f} per project {by_api}")
    print(f"             identities {len(index.identities):,}, credentials {len(index.credentials):,}; "
          f"wall {wall:.1f} s (collection {collected:.1f} s); peak RSS {_peak_mb():.0f} MB")  # fmt: skip
    if not with_cai:
        minutes = by_api.get("apikeys", 0) / 240
        print(f"             at the default API Keys quota of 240 reads/min that is >= {minutes:.1f} min on real GCP")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=5_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    args = parser.parse_args()
    print(f"synthetic organization: {args.projects:,} projects, {args.accounts:,} service accounts")
    for with_cai in (True, False):
        ctx = mp.get_context("fork")
        proc = ctx.Process(target=run_once, args=(args.projects, args.accounts, with_cai))
        proc.start()  # a fresh process per mode, so each peak RSS is its own
        proc.join()


if __name__ == "__main__":
    main()
