"""Glue between the CLI and the engine: validate everything first, then scan, then write."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import networkx as nx

from scanner.config import Settings
from scanner.engine import build_connectors, run_scan
from scanner.errors import InputError
from scanner.executors import make_executor
from scanner.gcpause import release_memory
from scanner.output import write_reports
from scanner.plugins import Connector, connector_names, load_renderer
from scanner.registry import Registry, load_registry
from scanner.report import build_report
from scanner.state import StateStore, locked
from scanner.summary import format_summary


@dataclass
class Prepared:
    """A scan whose inputs have all been validated: nothing can fail as bad input after this."""

    settings: Settings
    registry: Registry
    connectors: Sequence[Connector]
    sinks: list[Any] = field(default_factory=list)
    only_sinks: set[str] | None = None
    failed_sinks: list[str] = field(default_factory=list)


def _connector_selection(settings: Settings, only: Iterable[str]) -> list[str]:
    names = list(dict.fromkeys(only)) or sorted(settings.connectors)
    if names:
        return names
    installed = connector_names()
    if "aws" in installed:
        return ["aws"]
    raise InputError("no connector configured: add a [connectors.NAME] table or pass --connector")


def prepare(settings: Settings, only: Iterable[str] = (), sinks: Iterable[str] = ()) -> Prepared:
    """Load the registry, check formats and sinks, build the connectors: all before any API call."""
    for name in settings.scan.formats:
        load_renderer(name)
    registry = _file_registry(settings)
    configured = _sinks(settings)
    only_sinks = set(sinks) or None
    unknown = (only_sinks or set()) - {s.name for s in configured}
    if unknown:
        raise InputError(f"no such sink: {', '.join(sorted(unknown))}", field="--sink")
    connectors = build_connectors(settings, _connector_selection(settings, only))
    return Prepared(
        settings=settings, registry=registry, connectors=connectors, sinks=configured, only_sinks=only_sinks
    )


def _file_registry(settings: Settings) -> Registry:
    """The registry file or directory, plus any `file:` sources: ids and identities unique across all."""
    paths = [settings.scan.registry] if settings.scan.registry else []
    paths += [Path(s[5:]) for s in settings.scan.registries if s.startswith("file:")]
    loaded = [load_registry(p) for p in paths]
    if not loaded:
        return Registry.empty()
    if len(loaded) == 1:
        return loaded[0]
    try:
        return Registry(
            records=[r for reg in loaded for r in reg.records], sources=[s for reg in loaded for s in reg.sources]
        )
    except ValueError as exc:
        raise InputError(str(exc), field="scan.registries") from exc


def _sinks(settings: Settings) -> list[Any]:
    if not settings.sinks:
        return []
    from reports.sinks import parse_sinks

    first = next(iter(settings.sinks.values()))
    tables = {name: dict(section.values) for name, section in settings.sinks.items()}
    return parse_sinks(tables, file=settings.file, line_of=first.index.line_of if first.index else None)


def spool_dir(settings: Settings) -> Path:
    """Where undelivered events wait: [scan] spool, else beside the state store, else in the output directory."""
    scan = settings.scan
    if scan.spool:
        return scan.spool
    return scan.state.parent / "spool" if scan.state else scan.out / ".spool"


def deliver(prepared: Prepared, report: dict[str, Any], *, quiet: bool) -> None:
    """Send the findings to every configured sink; a failure is spooled and remembered for exit code 4."""
    from reports.ocsf import finding_events
    from reports.sinks import deliver_all

    results = deliver_all(
        prepared.sinks,
        finding_events(report),
        scan_id=report["scan"]["id"],
        spool_dir=spool_dir(prepared.settings),
        only=prepared.only_sinks,
    )
    for result in results:
        if result.error:
            prepared.failed_sinks.append(result.sink)
        if not quiet or result.error:
            state = f"failed ({result.error}); {result.spooled} events spooled" if result.error else "ok"
            click.echo(f"sink {result.sink}: {result.delivered} delivered, {state}", err=bool(result.error))


def _scan(prepared: Prepared, quiet: bool) -> dict[str, Any]:
    scan = prepared.settings.scan
    executor = make_executor(scan.executor, max_workers=scan.max_workers, scheduler=scan.scheduler)
    result = run_scan(
        prepared.settings,
        connectors=prepared.connectors,
        registry=prepared.registry,
        progress=_progress(quiet),
        executor=executor,
    )
    # The report never reads the graph: freeing it first lets the report reuse its memory (a third of the peak at
    # a million identities) instead of adding to it.
    result.graph = nx.MultiDiGraph()
    release_memory()
    return build_report(result)


def _progress(quiet: bool) -> Any:
    if quiet or not sys.stderr.isatty():
        return None
    return lambda line: click.echo(line, err=True)


def run_and_write(prepared: Prepared, *, quiet: bool, wait: bool = False) -> dict[str, Any]:
    """Scan (holding the state store's lock, when there is one), write every report atomically, print the summary."""
    state_path = prepared.settings.scan.state
    if state_path is None:
        report = _scan(prepared, quiet)
    else:
        with locked(state_path, wait=wait):
            report = _scan(prepared, quiet)
            store = StateStore(state_path)
            try:
                store.record(report)
            finally:
                store.close()
    written = write_reports(report, prepared.settings.scan.out, prepared.settings.scan.formats)
    if prepared.sinks:
        deliver(prepared, report, quiet=quiet)
    if not quiet:
        click.echo(format_summary(report))
        click.echo("")
        for path in written:
            click.echo(f"wrote {path}")
    return report
