"""Every benchmark, one after another, each in its own process; then one summary of their key lines.

Run: python -m bench [--full] [--only engine,aws_org,aws_peers,entra,gcp] [--no-peers]
The default sizes finish in minutes on a 2-core machine (the peers' first install takes longer: Prowler alone is
about 4 minutes and 2.3 GB); --full runs each benchmark at its own full default size.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Bench:
    """A benchmark module, its modest and full arguments, and the line starts its summary keeps."""

    name: str
    module: str
    modest: tuple[str, ...]
    full: tuple[str, ...]
    keep: tuple[str, ...]


BENCHES = (
    Bench("engine", "bench.engine", ("--sizes", "100000"), ("--sizes", "100000,1000000"),
          ("== ", "   evaluate", "   privilege paths", "   target", "size ")),
    Bench("aws_org", "bench.aws_org", ("--accounts", "20", "--identities", "200"),
          ("--accounts", "200", "--identities", "500"),
          ("organization", "accounts one by one", "pool of", "  ", "floor per member", "speed-up")),
    Bench("aws_peers", "bench.aws_peers", ("--roles", "1000", "--users", "500", "--peer-timeout", "300"),
          ("--roles", "10000", "--users", "5000", "--peer-timeout", "600"),
          ("one account", "tool ", "shadowsweep ", "bare boto3", "prowler ", "cloudsplaining ", "pmapper ",
           "floor fetch", "peak RSS:", "shadowsweep calls", "shadowsweep wall")),
    Bench("entra", "bench.entra_scale", ("--sps", "10000", "--apps", "3000", "--grants", "20000"), (),
          ("tenant", "identities", "requests", "wall")),
    Bench("gcp", "bench.gcp_scale", ("--projects", "500", "--accounts", "2000"), (),
          ("synthetic", "with CAI", "without CAI", "    ")),
)  # fmt: skip


def run_one(bench: Bench, full: bool, extra: tuple[str, ...]) -> tuple[list[str], float, int]:
    """Run one benchmark, echoing its output; returns its summary lines, wall time and exit code."""
    command = [sys.executable, "-m", bench.module, *(bench.full if full else bench.modest), *extra]
    print(f"\n##### {bench.name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    kept: list[str] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if line.startswith(bench.keep) and line.strip():
                kept.append(line.rstrip())
    return kept, time.perf_counter() - started, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--full", action="store_true", help="each benchmark at its full default size")
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(b.name for b in BENCHES))
    parser.add_argument("--no-peers", action="store_true", help="aws_peers without Prowler, Cloudsplaining, PMapper")
    args = parser.parse_args()
    wanted = {name for name in args.only.split(",") if name}
    unknown = wanted - {b.name for b in BENCHES}
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    results: list[tuple[Bench, list[str], float, int]] = []
    for bench in BENCHES:
        if wanted and bench.name not in wanted:
            continue
        extra = ("--no-peers",) if bench.name == "aws_peers" and args.no_peers else ()
        results.append((bench, *run_one(bench, args.full, extra)))
    print("\n" + "=" * 100 + "\nSUMMARY (" + ("full" if args.full else "modest") + " sizes)")
    for bench, kept, wall, code in results:
        status = "" if code == 0 else f", exit code {code}"
        print(f"\n[{bench.name}] {wall:.0f} s{status}")
        for line in kept:
            print(f"  {line}")
    sys.exit(max((code for *_, code in results), default=0))


if __name__ == "__main__":
    main()
