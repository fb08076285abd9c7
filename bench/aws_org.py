"""An emulated AWS organization scanned through organization_role: wall time, calls per account, fan-out speed-up.

Run: python -m bench.aws_org [--accounts 200 --identities 500] [--workers 8] [--latency-ms 50]
The emulator (moto behind shadowsweep's counting middleware, GAAD paged at 1,000 like AWS) runs in a child
process and is seeded there in bulk. The organization is the management account plus accounts-1 members, each
holding `identities` identities: 70% roles (1% of them, at least one, trusting Bedrock), 30% users, half of them
with access keys, one with a Bedrock API key. Each scan runs in its own child process: once with max_workers=1
(accounts one after another) and once with the default pool. Calls are counted by the server, per account.
Every request waits --latency-ms (default 50) in the server before moto answers, a stand-in for AWS's round trip
(IAM list calls take tens of milliseconds, GAAD pages far longer): without it the emulator answers in about a
millisecond and a scan is pure CPU, which threads cannot spread in one Python process. On this 2-core machine the
server is one process too; its CPU time is printed, as is the scanner's.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import resource
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.aws_peers_server import EmulatorProcess, Estate, by_operation, total
from bench.seed_aws import MANAGEMENT, ORG_ROLE, AccountShape


@dataclass(frozen=True)
class DemoSessions:
    """boto3 sessions with the emulator's demo credentials (the scanner's own factory reads the environment)."""

    def __call__(self) -> Any:
        import boto3

        return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")


def shape_for(identities: int) -> AccountShape:
    """The identity mix of one account."""
    roles = round(identities * 0.7)
    users = identities - roles
    return AccountShape(
        roles=roles,
        users=users,
        users_with_keys=users // 2,
        bedrock_roles=max(1, roles // 100),
        bedrock_keys=1 if users else 0,
    )


def _scan(url: str, workers: int, conn: Any) -> None:
    from connectors.aws import AwsConnector, AwsSettings
    from scanner.config import ScanSettings
    from scanner.engine import collect, evaluate
    from scanner.model import Gap
    from scanner.registry import Registry

    settings = AwsSettings(organization_role=ORG_ROLE, endpoint_url=url, regions=("us-east-1",))
    connector = AwsConnector(settings, session_factory=DemoSessions())
    started = time.perf_counter()
    records = collect([connector], max_workers=workers)
    collected = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    evaluation = evaluate(records, ScanSettings(), Registry.empty(), datetime.now(UTC))
    index = next(iter(evaluation))
    conn.send(
        {
            "collect_s": collected,
            "evaluate_s": time.perf_counter() - started - collected,
            "identities": len(index.identities),
            "credentials": len(index.credentials),
            "gaps": sum(1 for r in records if isinstance(r, Gap)),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "collect_cpu_s": usage.ru_utime + usage.ru_stime,  # imports included
        }
    )


def scan_once(server: EmulatorProcess, workers: int) -> dict[str, Any]:
    """One whole scan in a fresh child process, with the server's counts for it."""
    server.reset()
    _, _, cpu_before = server.counts()
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_scan, args=(server.url, workers, child))
    started = time.perf_counter()
    proc.start()
    child.close()
    figures: dict[str, Any] = parent.recv()
    proc.join()
    figures["wall_s"] = time.perf_counter() - started
    counts, unsupported, cpu_after = server.counts()
    figures.update(counts=counts, unsupported=unsupported, server_cpu_s=cpu_after - cpu_before, workers=workers)
    return figures


def floor_per_member(shape: AccountShape, with_keys: bool) -> int:
    """AssumeRole, GAAD at 1,000 items a page, GenerateCredentialReport + GetCredentialReport (+ ListAccessKeys
    per user with keys, which the credential report cannot replace when key ids are wanted: C3)."""
    items = shape.roles + 1 + shape.users  # + OrganizationAccountAccessRole
    return 1 + math.ceil(items / 1000) + 2 + (shape.users_with_keys if with_keys else 0)


def _report(mode: str, f: dict[str, Any], members: list[str]) -> None:
    counts: dict[str, dict[str, int]] = f["counts"]
    per_member = [sum(counts.get(a, {}).values()) for a in members]
    print(
        f"{mode:<22} wall {f['wall_s']:7.1f} s (collection {f['collect_s']:.1f} s, analysis {f['evaluate_s']:.1f} s); "
        f"scanner peak RSS {f['peak_mb']:.0f} MB; CPU until collected: scanner {f['collect_cpu_s']:.1f} s, "
        f"server {f['server_cpu_s']:.1f} s (whole scan)"
    )
    mean = statistics.fmean(per_member) if per_member else 0.0
    print(
        f"{'':<22} calls {total(counts):,}: {mean:.1f} per member account (min {min(per_member, default=0)}, "
        f"max {max(per_member, default=0)}), management account {sum(counts.get(MANAGEMENT, {}).values())}; "
        f"identities {f['identities']:,}, credentials {f['credentials']:,}, gaps {f['gaps']}"
    )
    if f["unsupported"]:
        print(f"{'':<22} operations the emulator does not implement: {f['unsupported']}")


def run(accounts: int, identities: int, workers: int | None = None, latency_ms: float = 50.0) -> dict[str, Any]:
    """Seed, scan sequentially and with the pool, print the figures; returns them."""
    from scanner.config import ScanSettings

    pool = workers or ScanSettings().max_workers
    shape = shape_for(identities)
    estate = Estate(
        members=accounts - 1, member_shape=shape, management_shape=shape, gaad_page_size=1000, latency_ms=latency_ms
    )
    with EmulatorProcess(estate) as server:
        seeded = sum(s["roles"] + s["users"] for s in server.seeded.values())
        print(
            f"organization of {accounts:,} accounts x {identities:,} identities ({seeded:,} in all; per account "
            f"{shape.roles} roles incl. {shape.bedrock_roles} Bedrock, {shape.users} users, {shape.users_with_keys} "
            f"with keys) seeded in the emulator process ({server.setup_seconds:.1f} s with its warm-up); "
            f"{latency_ms:g} ms latency per request"
        )
        sequential = scan_once(server, 1)
        pooled = scan_once(server, pool)
    _report("accounts one by one", sequential, server.members)
    _report(f"pool of {pool} workers", pooled, server.members)
    example = pooled["counts"].get(server.members[0], {}) if server.members else {}
    print(f"calls in one member account: {dict(sorted(example.items(), key=lambda kv: -kv[1]))}")
    print(f"calls by operation, whole org: {by_operation(pooled['counts'])}")
    bare, keyed = floor_per_member(shape, False), floor_per_member(shape, True)
    members = [sum(pooled["counts"].get(a, {}).values()) for a in server.members]
    mean = statistics.fmean(members) if members else 0.0
    print(
        f"floor per member account: {bare} (AssumeRole + GAAD pages + credential report), {keyed} with "
        f"ListAccessKeys per user with keys (C3); measured {mean:.1f} = {mean / bare:.1f}x / {mean / keyed:.2f}x"
    )
    speedup = sequential["collect_s"] / pooled["collect_s"] if pooled["collect_s"] else 0.0
    print(
        f"speed-up of the pool over one-by-one: {speedup:.2f}x on collection, "
        f"{sequential['wall_s'] / pooled['wall_s']:.2f}x on the whole scan"
    )
    return {
        "accounts": accounts,
        "identities": identities,
        "sequential": sequential,
        "pooled": pooled,
        "speedup": speedup,
        "calls_per_member": mean,
        "floor_per_member": (bare, keyed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=200, help="accounts in the organization, management included")
    parser.add_argument("--identities", type=int, default=500, help="identities per account")
    parser.add_argument("--workers", type=int, help="pool size (default: the scanner's max_workers)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="delay per request in the server (0: none)")
    args = parser.parse_args()
    run(args.accounts, args.identities, args.workers, args.latency_ms)


if __name__ == "__main__":
    main()
