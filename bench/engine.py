"""The engine at scale: synthetic records through evaluate(), stage by stage, with time and peak memory per stage.

Run: python -m bench.engine [--sizes 100000,1000000] [--profile] [--tracemalloc]
Each size runs in a fresh child process, so its peaks are its own. The real `scanner.engine.evaluate` runs, with
its steps wrapped so each starts a phase (index, graph, coverage, verdicts, registry, rules, offboarding; a step it
gains later shows as time "after" the one before), then the report: `scanner.report.build_report` on a ScanResult
and the JSON renderer. Peak RSS per phase comes from a sampler thread reading /proc/self/statm every 10 ms; the
process's high-water mark (`ru_maxrss`) is printed too.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import multiprocessing as mp
import os
import resource
import tempfile
import threading
import time
import tracemalloc
import uuid
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.engine_report import PathClock, print_figures, profile_text

_CURRENT: list[PhaseClock] = []  # the running clock, to name the stage a MemoryError hit
TARGETS = {100_000: (15.0, 1024.0), 1_000_000: (120.0, 6144.0)}  # identities: (seconds, MB)


def rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux /proc; else the high-water mark)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_mb()


def peak_mb() -> float:
    """This process's peak RSS so far (ru_maxrss), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PhaseClock:
    """Splits a run into named phases, each with its wall time, peak RSS and (optionally) traced heap peak."""

    def __init__(self, trace: bool = False, live: bool = False) -> None:
        self.trace, self.live = trace, live
        self.peak = rss_mb()  # highest RSS of the current phase, kept by a sampler thread every 10 ms
        self._done = threading.Event()
        threading.Thread(target=self._sample, name="rss-sampler", daemon=True).start()
        self.rows: list[tuple[str, float, float, float | None]] = []  # name, seconds, peak MB, heap peak MB
        self.name = ""
        self._started = time.perf_counter()

    def enter(self, name: str) -> None:
        """Close the current phase (kept when named or longer than 5 ms) and start `name`."""
        now = time.perf_counter()
        elapsed = now - self._started
        if self.name and (not self.name.startswith("(") or elapsed > 0.005):
            heap = tracemalloc.get_traced_memory()[1] / 2**20 if self.trace else None
            self.rows.append((self.name, elapsed, max(self.peak, rss_mb()), heap))
            if self.live:
                print(f"   ... {self.name}: {elapsed:.1f} s, peak RSS {self.rows[-1][2]:.0f} MB", flush=True)
        self.name = name
        if self.trace:
            tracemalloc.reset_peak()
        self.peak = rss_mb()
        self._started = time.perf_counter()

    def stop(self) -> None:
        """Close the last phase and stop sampling."""
        self.enter("")
        self._done.set()

    def _sample(self) -> None:
        while not self._done.wait(0.01):
            self.peak = max(self.peak, rss_mb())


def _hook(clock: PhaseClock, module: Any, name: str, phase: str, *, once: bool = False) -> None:
    """Wrap module.name so that calling it starts `phase` (on the first call only, when `once`)."""
    original = getattr(module, name, None)
    if original is None:  # the engine no longer has this step
        return

    def first(*args: Any, **kwargs: Any) -> Any:
        if clock.name != phase:
            clock.enter(phase)
        return original(*args, **kwargs)

    def each(*args: Any, **kwargs: Any) -> Any:
        clock.enter(phase)
        try:
            return original(*args, **kwargs)
        finally:
            clock.enter(f"(after {phase})")

    setattr(module, name, first if once else each)


def _timed_registry(clock: PhaseClock, registry: Any) -> Any:
    """The same registry, starting the "registry" phase at its first match()."""
    from scanner.registry import Registry

    class TimedRegistry(Registry):
        __slots__ = ()

        def match(self, identifiers: Any) -> Any:
            if clock.name != "registry":
                clock.enter("registry")
            return super().match(identifiers)

    return TimedRegistry(registry.records, registry.sources)


def measure(
    identities: int, profile: bool = False, trace: bool = False, live: bool = False, real_policies: bool = True
) -> dict[str, Any]:
    """Build the records, then run the real `evaluate` with phase hooks, then the report; prints the figures."""
    from bench.seed_records import synthetic_records
    from bench.seed_registry import synthetic_registry
    from scanner import engine
    from scanner.config import ScanSettings
    from scanner.gcpause import release_memory
    from scanner.output import write_reports
    from scanner.plugins import load_rule_modules
    from scanner.report import build_report
    from scanner.signals import load_catalogue

    list(load_rule_modules())  # imports and the signal catalogue are start-up cost, not per-identity cost
    load_catalogue()
    if trace:
        tracemalloc.start()
    baseline = rss_mb()
    clock = PhaseClock(trace, live)
    _CURRENT.append(clock)
    clock.enter("records")
    records = synthetic_records(identities, real_policies=real_policies)
    registry = _timed_registry(clock, synthetic_registry(records))
    gc.collect()
    for name, phase in (
        ("build_index", "index"),
        ("build_graph", "graph"),
        ("Coverage", "coverage"),
        ("run_rules", "rules"),
        ("closures", "offboarding"),
    ):
        _hook(clock, engine, name, phase)
    _hook(clock, engine, "classify", "verdicts", once=True)
    paths = PathClock()
    profiler = cProfile.Profile() if profile else None
    settings, started = ScanSettings(), datetime.now(UTC)
    clock.enter("(evaluate)")
    began = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    evaluation = engine.evaluate(records, settings, registry, started)
    evaluated_s = time.perf_counter() - began
    clock.enter("report")
    index, graph, coverage, verdicts, matches, findings, evaluated = evaluation
    names = ("index", "graph", "coverage", "verdicts", "matches", "findings", "evaluated")
    parts = {f.name: getattr(evaluation, f.name) for f in fields(engine.ScanResult) if hasattr(evaluation, f.name)}
    parts |= dict(zip(names, evaluation, strict=False)) | {"settings": settings, "registry": registry}
    parts |= {"scan_id": str(uuid.uuid4()), "started_at": started, "finished_at": datetime.now(UTC)}
    result = engine.ScanResult(**parts)
    # Counted on the adjacency: number_of_edges() caches a degree view on the graph, a reference cycle that would
    # keep the graph alive past the point where the runner lets it go.
    nodes = graph.number_of_nodes()
    edges = sum(len(keys) for targets in graph._succ.values() for keys in targets.values())  # noqa: SLF001
    result.graph = type(graph)()  # as the runner does: the report never reads the graph
    parts.clear()
    del graph, evaluation
    release_memory()
    report = build_report(result)
    clock.enter("json")
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as out:  # the real path: streamed, staged, renamed
        (written,) = write_reports(report, Path(out), ("json",))
        json_mb = written.stat().st_size / 2**20
    if profiler is not None:
        profiler.disable()
    clock.stop()
    figures = {
        "identities": len(index.identities),
        "records": len(records),
        "registry": len(registry),
        "edges": edges,
        "nodes": nodes,
        "agents": sum(1 for v in verdicts.values() if v.is_agent),
        "findings": len(findings),
        "json_mb": json_mb,
        "paths": paths.figures(findings, index),
        "baseline_mb": baseline,
        "peak_mb": peak_mb(),
        "evaluate_s": evaluated_s,
        "stages": clock.rows,
        "profile": profile_text(profiler) if profiler is not None else "",
    }
    print_figures(figures, TARGETS)
    return figures


def _child(identities: int, profile: bool, trace: bool, cap_gb: float, real: bool, conn: Any) -> None:
    if cap_gb > 0:  # fail with MemoryError rather than push the machine (and its other jobs) into the OOM killer
        cap = int(cap_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        figures = measure(identities, profile, trace, live=identities >= 500_000, real_policies=real)
    except MemoryError:
        stage = _CURRENT[-1].name if _CURRENT else "?"
        _CURRENT.clear()  # drop references so the message can be built
        gc.collect()
        print(f"size {identities:,}: MemoryError in stage {stage} at the {cap_gb:.0f} GB address-space cap")
        conn.send({"identities": identities, "error": f"MemoryError in {stage} (cap {cap_gb:.0f} GB)"})
        return
    figures.pop("profile")
    conn.send(figures)


def default_cap_gb() -> float:
    """80% of the machine's memory."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30 * 0.8
    except (ValueError, OSError):
        return 0.0


def run(
    sizes: list[int],
    profile: bool = False,
    trace: bool = False,
    cap_gb: float | None = None,
    real_policies: bool = True,
) -> list[dict[str, Any]]:
    """Each size in a fresh (forked) child process; returns the figures of each."""
    results: list[dict[str, Any]] = []
    ctx = mp.get_context("fork")
    cap = default_cap_gb() if cap_gb is None else cap_gb
    for size in sizes:
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(size, profile, trace, cap, real_policies, child))
        proc.start()
        child.close()
        try:
            results.append(parent.recv())
        except EOFError:
            print(f"size {size:,}: the child process died (exit code {proc.exitcode}); out of memory?")
        proc.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated identity counts")
    parser.add_argument("--profile", action="store_true", help="cProfile evaluate + report (slows every stage)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    parser.add_argument("--memory-cap-gb", type=float, help="address-space cap of each child (default 80%% of RAM)")
    parser.add_argument(
        "--small-policies", action="store_true", help="two-action stand-ins instead of the real AWS managed documents"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    run(sizes, args.profile, args.tracemalloc, args.memory_cap_gb, not args.small_policies)


if __name__ == "__main__":
    main()
