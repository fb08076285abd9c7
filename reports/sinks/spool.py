"""The on-disk spool: events wait here until a sink has acknowledged them, so a down sink loses nothing."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .retry import Deadline, DeliveryError

Event = dict[str, Any]
PREFIX, SUFFIX = "pending-", ".ndjson"
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

logger = logging.getLogger(__name__)


def event_key(event: Event) -> tuple[str, str]:
    """(finding id, scan id): the identity of one delivery; a hash of the event when it has no finding id."""
    info, meta = event.get("finding_info"), event.get("metadata")
    uid = info.get("uid") if isinstance(info, dict) else None
    scan = meta.get("correlation_uid") if isinstance(meta, dict) else None
    if not uid:
        uid = "sha256:" + hashlib.sha256(json.dumps(event, sort_keys=True, default=str).encode()).hexdigest()
    return str(uid), str(scan or "")


def spool_name(scan_id: str) -> str:
    """`pending-<scan_id>.ndjson`, with the scan id hashed when it is not safe as a file name."""
    safe = scan_id if _SAFE_ID.match(scan_id) else "sha256-" + hashlib.sha256(scan_id.encode()).hexdigest()[:32]
    return f"{PREFIX}{safe}{SUFFIX}"


def sink_directory(spool_dir: Path, sink: str) -> Path:
    """`spool_dir/<sink>`, private to this user."""
    directory = spool_dir / sink
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def write_atomic(path: Path, events: list[Event], mtime_ns: int | None = None) -> None:
    """Temp file, fsync, rename: a crash leaves the old spool or the new one, never half of either."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=SUFFIX)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for event in events:
                handle.write(json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)
        if mtime_ns is not None:
            os.utime(temp, ns=(mtime_ns, mtime_ns))  # keep the age, which orders re-sends oldest first
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable where the platform allows it."""
    if sys.platform == "win32":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class SpoolFile:
    """One pending file and the events in it that no sink has acknowledged yet."""

    path: Path
    events: list[Event]
    mtime_ns: int | None = None

    def acknowledge(self, count: int) -> None:
        """Drop the first `count` events for good: rewrite the remainder, or remove the file when none is left."""
        self.events = self.events[count:]
        if self.events:
            write_atomic(self.path, self.events, self.mtime_ns)
        else:
            self.path.unlink(missing_ok=True)


def load_pending(directory: Path) -> list[SpoolFile]:
    """Every pending file of one sink, oldest first; unreadable ones are set aside, not deleted."""
    found = []
    for path in directory.glob(f"{PREFIX}*{SUFFIX}"):
        try:
            stat = path.stat()
            events = _read(path)
        except (OSError, ValueError) as exc:
            _quarantine(path, exc)
            continue
        found.append((stat.st_mtime_ns, path.name, SpoolFile(path, events, stat.st_mtime_ns)))
    found.sort(key=lambda item: (item[0], item[1]))
    return [spool for _mtime, _name, spool in found]


def _read(path: Path) -> list[Event]:
    """The events of one spool file; any line that is not a JSON object makes the file unreadable."""
    events = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            event = json.loads(line)
            if not isinstance(event, dict):
                raise ValueError("spool line is not a JSON object")
            events.append(event)
    return events


def _quarantine(path: Path, exc: BaseException) -> None:
    """Rename a damaged spool file so it is neither re-sent blindly nor lost."""
    target = path.with_name(f"corrupt-{int(time.time())}-{path.name}")
    with contextlib.suppress(OSError):
        path.rename(target)
    logger.warning("spool file %s is unreadable (%s); moved to %s", path.name, type(exc).__name__, target.name)


def remove_stale_temps(directory: Path) -> None:
    """Temp files from a crash before their rename hold nothing the spool does not; clear them under the lock."""
    for temp in directory.glob(f".tmp-*{SUFFIX}"):
        with contextlib.suppress(OSError):
            temp.unlink()


@contextlib.contextmanager
def sink_lock(directory: Path, deadline: Deadline) -> Iterator[None]:
    """One delivery per sink at a time, so two runs never send the same spool file twice."""
    if sys.platform == "win32":
        yield
        return
    import fcntl

    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline.remaining() < 0.05:
                    raise DeliveryError("another delivery to this sink is in progress") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)
