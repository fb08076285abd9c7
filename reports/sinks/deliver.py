"""deliver_all: spool first, re-send pending events oldest first, acknowledge batch by batch, never raise."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from scanner.errors import ConfigError

from .config import SinkConfig
from .httpsink import hec_transport, webhook_transport
from .retry import Deadline, DeliveryError, describe, one_line
from .spool import (
    SpoolFile,
    event_key,
    load_pending,
    remove_stale_temps,
    sink_directory,
    sink_lock,
    spool_name,
    write_atomic,
)
from .syslog import SyslogTransport

Event = dict[str, Any]
logger = logging.getLogger(__name__)


@dataclass
class DeliveryResult:
    """What happened to one sink; `error` is a one-line, secret-free reason, None on success."""

    sink: str
    delivered: int
    spooled: int
    error: str | None


class Transport(Protocol):
    """Sends one batch within the deadline or raises DeliveryError."""

    def send(self, batch: list[Event], deadline: Deadline) -> None:
        """Deliver every event of the batch, or raise."""

    def close(self) -> None:
        """Release the connection, if any."""


@dataclass
class _Progress:
    """What one sink's delivery has achieved so far, kept outside the try so a failure can still report it."""

    delivered: int = 0
    queue: list[SpoolFile] = field(default_factory=list)

    @property
    def spooled(self) -> int:
        """Events still waiting on disk."""
        return sum(len(spool.events) for spool in self.queue)


def deliver_all(
    sinks: list[SinkConfig],
    events: list[dict[str, Any]],
    *,
    scan_id: str,
    spool_dir: Path,
    only: set[str] | None = None,
    timeout_budget: float = 30.0,
    environ: Mapping[str, str] = os.environ,
) -> list[DeliveryResult]:
    """Deliver the scan's events to every selected sink in parallel; each sink gets `timeout_budget` seconds."""
    selected = _select(sinks, only)
    if not selected:
        return []
    stamped = [_stamped(event, scan_id) for event in events]
    with ThreadPoolExecutor(max_workers=len(selected), thread_name_prefix="sink") as pool:
        futures = [
            pool.submit(_deliver_one, sink, stamped, scan_id, Path(spool_dir), timeout_budget, environ)
            for sink in selected
        ]
        return [future.result() for future in futures]


def _select(sinks: list[SinkConfig], only: set[str] | None) -> list[SinkConfig]:
    """The sinks named by `--sink`, or all; naming one that is not configured is a config error."""
    if only is None:
        return list(sinks)
    known = {sink.name for sink in sinks}
    unknown = sorted(set(only) - known)
    if unknown:
        configured = ", ".join(sorted(known)) or "none"
        raise ConfigError(f"unknown sink {unknown[0]!r} (configured: {configured})", field="--sink")
    return [sink for sink in sinks if sink.name in only]


def _stamped(event: Mapping[str, Any], scan_id: str) -> Event:
    """A copy of the event that carries the scan id in `metadata.correlation_uid`."""
    metadata = event.get("metadata")
    metadata = dict(metadata) if isinstance(metadata, Mapping) else {}
    if not metadata.get("correlation_uid"):
        metadata["correlation_uid"] = scan_id
    return {**event, "metadata": metadata}


def _deliver_one(
    sink: SinkConfig, events: list[Event], scan_id: str, spool_dir: Path, budget: float, environ: Mapping[str, str]
) -> DeliveryResult:
    """One sink, start to finish; every failure becomes the result's error, never an exception."""
    deadline, progress, error = Deadline(budget), _Progress(), None
    try:
        directory = sink_directory(spool_dir, sink.name)
        with sink_lock(directory, deadline):
            remove_stale_temps(directory)
            progress.queue = _enqueue(directory, events, scan_id)
            _drain(sink, progress, deadline, environ)
    except DeliveryError as exc:
        error = exc.reason
    except OSError as exc:
        error = f"spool {spool_dir / sink.name}: {describe(exc)}"
    except Exception as exc:  # a bug must not cost the other sinks or the local reports
        error = f"internal error ({type(exc).__name__})"
        logger.debug("sink %s: unexpected failure", sink.name, exc_info=True)
    result = DeliveryResult(sink.name, progress.delivered, progress.spooled, None)
    if error is not None:
        result.error = one_line(error, _secrets(sink, environ))
        logger.warning(
            "sink %s (%s): delivery failed: %s; %d event(s) spooled for the next run",
            sink.name, sink.kind, result.error, result.spooled,
        )  # fmt: skip
    elif result.delivered:
        logger.info("sink %s: delivered %d event(s)", sink.name, result.delivered)
    return result


def _enqueue(directory: Path, events: list[Event], scan_id: str) -> list[SpoolFile]:
    """Pending files oldest first, then this scan's new events, each (finding id, scan id) once; all on disk first."""
    queue = load_pending(directory)
    seen: set[tuple[str, str]] = set()
    for spool in queue:
        spool.events = [event for event in spool.events if _first(seen, event)]
    fresh = [event for event in events if _first(seen, event)]
    if fresh:
        path = directory / spool_name(scan_id)
        current = next((spool for spool in queue if spool.path == path), None)
        if current is None:
            current = SpoolFile(path, [])
            queue.append(current)
        current.events.extend(fresh)
        write_atomic(current.path, current.events, current.mtime_ns)  # on disk before any send
    return queue


def _first(seen: set[tuple[str, str]], event: Event) -> bool:
    """True the first time an event's (finding id, scan id) shows up in this delivery."""
    key = event_key(event)
    if key in seen:
        return False
    seen.add(key)
    return True


def _drain(sink: SinkConfig, progress: _Progress, deadline: Deadline, environ: Mapping[str, str]) -> None:
    """Send every queued file in order, batch by batch, acknowledging each batch on disk as soon as it lands."""
    for spool in progress.queue:
        if not spool.events:
            spool.path.unlink(missing_ok=True)
    if not progress.spooled:
        return
    transport = _transport(sink, environ)
    batch_size: int = sink.settings["batch_size"]
    try:
        for spool in progress.queue:
            while spool.events:
                batch = spool.events[:batch_size]
                transport.send(batch, deadline)
                progress.delivered += len(batch)
                spool.acknowledge(len(batch))
    finally:
        transport.close()


def _transport(sink: SinkConfig, environ: Mapping[str, str]) -> Transport:
    """The transport for a sink kind; secrets are read from the environment only here, at send time."""
    if sink.kind == "splunk_hec":
        return hec_transport(sink.settings, environ)
    if sink.kind == "webhook":
        return webhook_transport(sink.settings, environ)
    return SyslogTransport(sink.settings)


def _secrets(sink: SinkConfig, environ: Mapping[str, str]) -> list[str]:
    """The values this sink reads from the environment, masked from any reason that might echo them."""
    names = [sink.settings.get("token_env")] + list((sink.settings.get("headers_env") or {}).values())
    return [environ.get(name, "") for name in names if isinstance(name, str)]
