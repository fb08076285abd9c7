"""run_scan(): connectors -> records -> graph -> verdicts -> findings, usable as a library."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import networkx as nx

from scanner.closure import closures
from scanner.config import ConfigSection, ScanSettings, Settings
from scanner.coverage import Coverage
from scanner.executors import Executor, Task, ThreadExecutor
from scanner.gcpause import without_gc
from scanner.graph import build_graph
from scanner.index import RecordIndex, build_index
from scanner.model import Identity, Record, ScopeReport
from scanner.native import NATIVE_SOURCES, Conflict, merge_native
from scanner.plugins import Connector, PeopleDirectory, load_connector_class, load_rule_modules
from scanner.registry import AgentRecord, Registry
from scanner.rules import RULES, Finding, RuleContext, run_rules
from scanner.signals import Verdict, classify

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class ScanResult:
    """Everything one scan produced, for renderers and for library callers."""

    scan_id: str
    started_at: datetime
    finished_at: datetime
    settings: ScanSettings
    registry: Registry
    index: RecordIndex
    graph: nx.MultiDiGraph
    coverage: Coverage
    verdicts: Mapping[str, Verdict]
    matches: Mapping[str, AgentRecord]
    findings: list[Finding]
    evaluated: Counter[str] = field(default_factory=Counter)
    offboarding: dict[str, dict[str, Any]] = field(default_factory=dict)  # registry id -> closure state


def build_connectors(settings: Settings, only: Iterable[str] = ()) -> list[Connector]:
    """Instantiate the configured connectors (or just `only`), importing only those."""
    names = list(only) or sorted(settings.connectors)
    return [
        load_connector_class(name).from_config(settings.connectors.get(name) or ConfigSection(f"connectors.{name}", {}))
        for name in names
    ]


def collect(
    connectors: Sequence[Connector],
    max_workers: int,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> list[Record]:
    """Plan every connector here, then collect all scopes through the executor (a thread pool by default)."""
    records: list[Record] = []
    tasks: list[Task] = []
    for connector in connectors:
        log.debug("planning connector %s", connector.name)
        plan = connector.plan()
        log.debug("connector %s: %d scopes", connector.name, len(plan.scopes))
        records.extend(plan.records)
        for scope in plan.scopes:
            label = f"{connector.name} {scope}" + (f" ({plan.labels[scope]})" if scope in plan.labels else "")
            tasks.append(Task(connector=connector, scope=scope, label=label))
    runner = executor or ThreadExecutor(max_workers=max_workers)
    for done, (task, scope_records) in enumerate(runner.run(tasks), start=1):  # a connector's bug raises here
        records.extend(scope_records)
        if progress:
            calls = sum(r.api_calls for r in scope_records if isinstance(r, ScopeReport))
            progress(f"[{done}/{len(tasks)}] {task.label}: {len(scope_records)} records, {calls} API calls")
    return records


def lookup_owners(connectors: Sequence[Connector], registry: Registry, records: list[Record]) -> list[Record]:
    """Ask directory connectors about registry owners the scan has not already seen."""
    seen = {n for r in records if isinstance(r, Identity) for n in (r.uid, *r.native_ids)}
    wanted = sorted({rec.owner for rec in registry.records if rec.owner and rec.owner not in seen})
    found: list[Record] = []
    for connector in connectors:
        if wanted and isinstance(connector, PeopleDirectory):
            found.extend(connector.lookup_people(wanted))
    return found


@dataclass
class Evaluation:
    """The pure half's results; unpacks as (index, graph, coverage, verdicts, matches, findings, evaluated)."""

    index: RecordIndex
    graph: nx.MultiDiGraph
    coverage: Coverage
    verdicts: dict[str, Verdict]
    matches: dict[str, AgentRecord]
    findings: list[Finding]
    evaluated: Counter[str]
    offboarding: dict[str, dict[str, Any]] = field(default_factory=dict)
    registry: Registry | None = None  # the file registry plus native sources, as evaluated

    def __iter__(self) -> Iterator[Any]:
        fields = (self.index, self.graph, self.coverage, self.verdicts, self.matches, self.findings, self.evaluated)
        return iter(fields)


@without_gc
def evaluate(records: Iterable[Record], settings: ScanSettings, registry: Registry, now: datetime) -> Evaluation:
    """The pure half of a scan: records in, verdicts, findings and offboarding states out."""
    records = list(records)
    conflicts: list[Conflict] = []
    native = [name for name in settings.registries if name in NATIVE_SOURCES]
    if native:
        registry, conflicts = merge_native(registry, records, native)
    index = build_index(records)
    graph = build_graph(index)
    coverage = Coverage(index.scope_reports, index.gaps)
    verdicts = {uid: classify(ctx, settings.agent_threshold) for uid, ctx in index.contexts.items()}
    for context in index.contexts.values():
        context.forget_policy()
    matches: dict[str, AgentRecord] = {}
    for uid, ident in index.identities.items():
        record = registry.match((uid, *ident.native_ids))
        if record is not None:
            matches[uid] = record
    list(load_rule_modules())
    ctx = RuleContext(
        index=index,
        graph=graph,
        coverage=coverage,
        verdicts=verdicts,
        registry=registry,
        matches=matches,
        settings=settings,
        now=now,
        conflicts=conflicts,
    )
    findings = run_rules(ctx, RULES.values())
    return Evaluation(index, graph, coverage, verdicts, matches, findings, ctx.evaluated, closures(ctx), registry)


def run_scan(
    settings: Settings,
    *,
    connectors: Sequence[Connector] | None = None,
    registry: Registry | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> ScanResult:
    """Run a whole scan and return its result; writes nothing."""
    started = datetime.now(UTC)
    now = now or started
    registry = registry or Registry.empty()
    connectors = list(connectors) if connectors is not None else build_connectors(settings)
    records = collect(connectors, settings.scan.max_workers, progress, executor)
    records += lookup_owners(connectors, registry, records)
    result = evaluate(records, settings.scan, registry, now)
    index, graph, coverage, verdicts, matches, findings, evaluated = result
    log.info("scan finished: %d identities, %d findings", len(index.identities), len(findings))
    return ScanResult(
        scan_id=str(uuid.uuid4()),
        started_at=started,
        finished_at=datetime.now(UTC),
        settings=settings.scan,
        registry=result.registry or registry,
        index=index,
        graph=graph,
        coverage=coverage,
        verdicts=verdicts,
        matches=matches,
        findings=findings,
        evaluated=evaluated,
        offboarding=result.offboarding,
    )
