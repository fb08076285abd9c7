"""shadowsweep against the bare API floor and its peers (Prowler, Cloudsplaining, PMapper) on one emulated account.

Run: python -m bench.aws_peers [--roles 10000 --users 5000] [--no-peers] [--peer-timeout 900]
One emulator (moto behind shadowsweep's counting middleware) runs in a child process, seeded there in bulk: R roles
(100 of them trusting bedrock.amazonaws.com), U users (1,000 of them with access keys, 10 with Bedrock API keys),
and GAAD paged at 1,000 items like AWS. Every tool runs as its own process tree against it, with the server's
counts reset (and its credential report forgotten) before each. shadowsweep runs its CLI (`scan`, default formats
json and html); the floor is a bare boto3 fetch (GAAD + credential report, no analysis). Peers are installed from
PyPI on first use into /tmp/shadowsweep-peers/<tool>; a failed install skips that peer with the reason.
Calls are the primary figure; moto's O(n) lookups penalise per-principal callers more than AWS would.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.aws_peers_server import EmulatorProcess, Estate, by_operation, total
from bench.aws_peers_tools import (
    FLOOR,
    FULL_FLOOR,
    OURS,
    PEERS,
    PEERS_HOME,
    Outcome,
    Tool,
    install,
    rss_method,
    run_commands,
)
from bench.aws_peers_tools import tool_env as make_env
from bench.seed_aws import MANAGEMENT, AccountShape

CALLS_TARGET = 1.2  # shadowsweep's calls against the floor
WALL_TARGET = 2.0  # shadowsweep's wall time against the bare fetch


@dataclass
class Row:
    """One tool's figures."""

    tool: str
    outcome: Outcome | None = None
    calls: int = 0
    operations: dict[str, int] | None = None
    unsupported: dict[str, int] | None = None
    server_cpu_s: float = 0.0
    note: str = ""

    @property
    def finished(self) -> bool:
        return self.outcome is not None and not self.outcome.timed_out


def measure(server: EmulatorProcess, tool: Tool, work: Path, timeout: float) -> Row:
    """Run one tool against the freshly reset server and read the server's counts for it."""
    out = work / tool.name.replace(" ", "-")
    out.mkdir(parents=True, exist_ok=True)
    server.reset()
    _, _, cpu_before = server.counts()
    outcome = run_commands(tool.commands(server.url, out), make_env(server.url, out), out, out / "run.log", timeout)
    counts, unsupported, cpu_after = server.counts()
    row = Row(tool.name, outcome, total(counts), by_operation(counts), unsupported, cpu_after - cpu_before)
    if tool is OURS:
        row.note = _found(out / "report" / "report.json")
    if outcome.timed_out:
        row.note = f"did not finish in {timeout:.0f} s (killed)"
    elif any(code not in tool.accepted for code in outcome.exit_codes):
        row.note = f"exit codes {outcome.exit_codes}: see {outcome.log}"
    return row


def _found(report: Path) -> str:
    """What shadowsweep's report.json says it found."""
    try:
        summary = json.loads(report.read_text())["summary"]
    except (OSError, ValueError, KeyError):
        return f"no report at {report}"
    return f"{summary['identities']:,} identities, {summary['agents']:,} agents"


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "-"


def print_table(rows: list[Row], skipped: dict[str, str]) -> None:
    """One table: tool, wall time, API calls, peak RSS, each against shadowsweep."""
    ours = next(r for r in rows if r.tool == OURS.name and r.outcome is not None)
    assert ours.outcome is not None
    print(
        f"\n{'tool':<18} {'wall s':>9} {'API calls':>10} {'peak RSS MB':>12} {'wall/ss':>8} {'calls/ss':>9} "
        f"{'RSS/ss':>8} {'server CPU s':>13}  note"
    )
    for row in rows:
        if row.outcome is None:
            continue
        wall = f"{row.outcome.wall_s:.1f}" if row.finished else f">{row.outcome.wall_s:.0f}"
        more = "" if row.finished else ">"
        print(
            f"{row.tool:<18} {wall:>9} {row.calls:>10,} {row.outcome.peak_mb:>12.0f} "
            f"{more + _ratio(row.outcome.wall_s, ours.outcome.wall_s):>8} {_ratio(row.calls, ours.calls):>9} "
            f"{_ratio(row.outcome.peak_mb, ours.outcome.peak_mb):>8} {row.server_cpu_s:>13.1f}  {row.note}"
        )
    for name, reason in skipped.items():
        print(f"{name:<18} {'skipped':>9}  {reason}")
    print(f"peak RSS: {rss_method()}; ratios are tool / shadowsweep; a tool that did not finish shows > its time")


def print_targets(rows: list[Row]) -> None:
    """shadowsweep against the floor: calls (target <= 1.2x) and wall time (target <= 2x)."""
    ours = next(r for r in rows if r.tool == OURS.name)
    floor = next((r for r in rows if r.tool == FLOOR.name), None)
    if floor is None or floor.outcome is None or ours.outcome is None or not floor.calls:
        return
    wall = ours.outcome.wall_s / floor.outcome.wall_s
    full = next((r for r in rows if r.tool == FULL_FLOOR.name and r.outcome is not None and r.calls), None)
    if full is not None and full.outcome is not None:
        calls = ours.calls / full.calls
        print(
            f"\nshadowsweep calls {ours.calls:,} vs the per-account floor {full.calls:,} (C3: GAAD pages, credential "
            f"report, ListAccessKeys per user with keys, service-specific credentials, OIDC providers, one list per "
            f"regional service): {calls:.2f}x (target <= {CALLS_TARGET}x: "
            f"{'meets' if calls <= CALLS_TARGET else 'MISSES'}); vs GAAD + report alone ({floor.calls:,}): "
            f"{ours.calls / floor.calls:.2f}x"
        )
        print(
            f"shadowsweep wall {ours.outcome.wall_s:.1f} s vs the floor fetch of the same calls "
            f"{full.outcome.wall_s:.1f} s: {ours.outcome.wall_s / full.outcome.wall_s:.2f}x"
        )
    print(
        f"shadowsweep wall {ours.outcome.wall_s:.1f} s vs bare fetch (GAAD + report) {floor.outcome.wall_s:.1f} s: "
        f"{wall:.2f}x (target <= {WALL_TARGET}x: {'meets' if wall <= WALL_TARGET else 'MISSES'})"
    )
    print(f"shadowsweep calls by operation: {ours.operations}")
    print(f"floor calls by operation: {floor.operations}")
    if full is not None:
        print(f"per-account floor calls by operation: {full.operations}")


def run(
    roles: int,
    users: int,
    *,
    peers: bool = True,
    only: tuple[str, ...] = (),
    timeout: float = 900.0,
    keys: int = 1000,
    bedrock: int = 100,
    keep: bool = False,
) -> list[Row]:
    """Seed the account, run every tool, print the table; returns the rows."""
    shape = AccountShape(
        roles=roles,
        users=users,
        users_with_keys=min(keys, users),
        bedrock_roles=min(bedrock, roles),
        bedrock_keys=min(10, users),
    )
    tools = [OURS, FLOOR, FULL_FLOOR]
    skipped: dict[str, str] = {}
    logs = PEERS_HOME / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for peer in PEERS:
        if not peers or (only and peer.name not in only):
            skipped[peer.name] = "not requested (--no-peers or --peers)"
            continue
        assert peer.package is not None
        print(f"checking {peer.name} in {PEERS_HOME / peer.name} (installed from PyPI on first use)", flush=True)
        reason = install(peer.name, peer.package, logs / f"install-{peer.name}.log")
        if reason is None:
            tools.append(peer)
        else:
            skipped[peer.name] = reason
            print(f"skipping {peer.name}: {reason}")
    work = Path(tempfile.mkdtemp(prefix="shadowsweep-peers-"))
    rows: list[Row] = []
    with EmulatorProcess(Estate(management_shape=shape, gaad_page_size=1000)) as server:
        seeded = server.seeded[MANAGEMENT]
        print(
            f"one account: {seeded['roles']:,} roles ({seeded['bedrock_roles']} trusting Bedrock), "
            f"{seeded['users']:,} users, {seeded['keys']:,} access keys on {shape.users_with_keys:,} users, "
            f"{seeded['bedrock_keys']} Bedrock API keys; server seeded and warmed up in {server.setup_seconds:.1f} s"
        )
        for tool in tools:
            print(f"running {tool.name} ...", flush=True)
            row = measure(server, tool, work, timeout)
            rows.append(row)
            assert row.outcome is not None
            print(f"  {row.outcome.wall_s:.1f} s, {row.calls:,} calls, {row.outcome.peak_mb:.0f} MB {row.note}")
            if row.unsupported:
                print(f"  operations the emulator does not implement (answered 501): {row.unsupported}")
    print_table(rows, skipped)
    print_targets(rows)
    if keep:
        print(f"outputs and logs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--roles", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=5_000)
    parser.add_argument("--keys", type=int, default=1_000, help="users with access keys")
    parser.add_argument("--bedrock", type=int, default=100, help="roles trusting bedrock.amazonaws.com")
    parser.add_argument("--no-peers", action="store_true", help="only shadowsweep and the bare fetch")
    parser.add_argument("--peers", default="", help="comma-separated subset: prowler,cloudsplaining,pmapper")
    parser.add_argument("--peer-timeout", type=float, default=900.0, help="seconds before a tool is killed")
    parser.add_argument("--keep", action="store_true", help="keep every tool's output and log")
    args = parser.parse_args()
    only = tuple(p for p in args.peers.split(",") if p)
    run(
        args.roles,
        args.users,
        peers=not args.no_peers,
        only=only,
        timeout=args.peer_timeout,
        keys=args.keys,
        bedrock=args.bedrock,
        keep=args.keep,
    )


if __name__ == "__main__":
    main()
