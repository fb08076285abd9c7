"""bench.engine's printing: the stage table, the privilege-path line, the targets, the profile."""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from dataclasses import replace
from typing import Any


class PathClock:
    """Times the agent-privilege-path rule inside the rules stage: the graph walk across clouds, once per scan."""

    def __init__(self) -> None:
        from scanner.rules import RULES

        self.seconds = 0.0
        rule = RULES[PATH_RULE]
        check = rule.check

        def timed(ctx: Any, this: Any) -> list[Any]:
            began = time.perf_counter()
            try:
                return list(check(ctx, this))
            finally:
                self.seconds += time.perf_counter() - began

        RULES[PATH_RULE] = replace(rule, check=timed)

    def figures(self, findings: list[Any], index: Any) -> dict[str, float]:
        """Seconds, paths found, and how many of them cross from one cloud to another."""
        paths = [f for f in findings if f.rule == PATH_RULE and f.path]
        crossing = [
            f
            for f in paths
            if len({index.identities[h.target].provider for h in f.path if h.target in index.identities}) > 1
        ]
        return {"seconds": self.seconds, "paths": len(paths), "cross_cloud": len(crossing)}


PATH_RULE = "agent-privilege-path"


def profile_text(profiler: cProfile.Profile) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    return out.getvalue()


def print_figures(f: dict[str, Any], targets: dict[int, tuple[float, float]]) -> None:
    n = f["identities"]
    print(
        f"\n== {n:,} identities: {f['records']:,} records, registry of {f['registry']:,}; graph {f['nodes']:,} "
        f"nodes / {f['edges']:,} edges; {f['agents']:,} agents, {f['findings']:,} findings; "
        f"report.json {f['json_mb']:.0f} MB"
    )
    heap = any(row[3] is not None for row in f["stages"])
    print(f"   {'stage':<22} {'seconds':>8} {'peak RSS MB':>12}" + (f" {'traced heap MB':>15}" if heap else ""))
    scanner_s = 0.0
    for name, seconds, peak, traced in f["stages"]:
        if name != "records":
            scanner_s += seconds
        extra = f" {traced:>15.0f}" if traced is not None else ""
        note = "  (synthetic input and registry: not scanner work)" if name == "records" else ""
        print(f"   {name:<22} {seconds:>8.2f} {peak:>12.0f}{extra}{note}")
    peak = f["peak_mb"]
    print(
        f"   evaluate {f['evaluate_s']:.1f} s; evaluate + report + JSON {scanner_s:.1f} s; process peak RSS "
        f"{peak:.0f} MB (interpreter and imports {f['baseline_mb']:.0f} MB, records included)"
    )
    paths = f["paths"]
    print(
        f"   privilege paths ({PATH_RULE}, up to 4 hops along trust, ownership, impersonation and federation): "
        f"{paths['seconds']:.2f} s of the rules stage; {paths['paths']:,} paths, {paths['cross_cloud']:,} across clouds"
    )
    target = targets.get(n)
    if target is not None:
        seconds, mb = target
        verdict = "meets" if scanner_s <= seconds and peak <= mb else "MISSES"
        print(f"   target for {n:,}: <= {seconds:.0f} s and <= {mb / 1024:.0f} GB -> {verdict}")
    if f["profile"]:
        print(f"\n   cProfile of evaluate + report + JSON (timings above include its overhead):\n{f['profile']}")
