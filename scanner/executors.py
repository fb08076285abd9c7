"""Where scopes are collected: an in-process thread pool by default, or a Dask cluster past one machine."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Protocol

from scanner.errors import PluginError
from scanner.model import Facet, Gap, GapReason, Record, ScopeReport
from scanner.plugins import Connector, install_hint

log = logging.getLogger(__name__)
DASK_RETRIES = 2


@dataclass(frozen=True)
class Task:
    """One scope of one connector: the unit of fan-out."""

    connector: Connector
    scope: str
    label: str


def collect_scope(connector: Connector, scope: str) -> list[Record]:
    """Run where the task lands: the connector builds its own clients and credentials there."""
    log.debug("collecting %s scope %s", connector.name, scope)
    return list(connector.collect(scope))


def lost(task: Task, detail: str) -> list[Record]:
    """A scope whose task could not finish: a gap at that scope, never a silently missing account."""
    gap = Gap(
        provider=task.connector.name,
        scope=task.scope,
        resource="collection task",
        reason=GapReason.ERROR,
        detail=detail,
        facets=frozenset({Facet.SCOPE}),
    )
    return [
        gap,
        ScopeReport(provider=task.connector.name, connector=task.connector.name, scope=task.scope, api_calls=0),
    ]


class Executor(Protocol):
    """Runs collection tasks and yields each task's records as it completes."""

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, list[Record]]]:
        """Results in completion order; a bug in a connector raises."""
        ...


@dataclass
class ThreadExecutor:
    """The default: a bounded pool of threads in this process."""

    max_workers: int = 8

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, list[Record]]]:
        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="collect") as pool:
            futures = {pool.submit(collect_scope, t.connector, t.scope): t for t in tasks}
            for future in as_completed(futures):
                yield futures[future], future.result()


@dataclass
class DaskExecutor:
    """Each scope is a Dask task; a lost worker means a retried task, and after that a gap."""

    scheduler: str | None = None
    client: Any = None

    def _client(self) -> Any:
        try:
            from distributed import Client
        except ModuleNotFoundError as exc:
            raise PluginError(f"the dask executor needs distributed: {install_hint('dask')}") from exc
        return self.client or Client(self.scheduler)  # type: ignore[no-untyped-call]

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, list[Record]]]:
        from distributed import as_completed as dask_completed
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        client = self._client()
        run = uuid.uuid4().hex  # keys unique per run: a long-lived cluster must never hand back an old result
        futures = {
            client.submit(
                collect_scope, t.connector, t.scope, pure=False, retries=DASK_RETRIES, key=f"collect-{run}-{i}"
            ): t
            for i, t in enumerate(tasks)
        }
        try:
            for future in dask_completed(futures):  # type: ignore[no-untyped-call]
                task = futures[future]
                try:
                    yield task, future.result()
                except (KilledWorker, FutureCancelledError) as exc:
                    log.warning("%s %s: task lost (%s)", task.connector.name, task.scope, type(exc).__name__)
                    yield task, lost(task, f"the worker running this scope was lost twice ({type(exc).__name__})")
        finally:
            if self.client is None:
                client.close()


def make_executor(kind: str, *, max_workers: int, scheduler: str | None, client: Any = None) -> Executor:
    """The executor a scan asked for."""
    if kind == "dask":
        return DaskExecutor(scheduler=scheduler, client=client)
    return ThreadExecutor(max_workers=max_workers)
