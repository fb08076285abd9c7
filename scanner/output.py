"""Atomic, private report writes: a temporary file, fsync, chmod 0600, rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scanner.plugins import load_renderer


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Readers see the old file or the whole new one, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def render_all(report: Mapping[str, Any], formats: tuple[str, ...]) -> dict[str, bytes]:
    """Render every format first, so a failing renderer leaves nothing half-written."""
    rendered: dict[str, bytes] = {}
    for name in formats:
        renderer = load_renderer(name)
        rendered[renderer.filename] = renderer.render(report)
    return rendered


def write_reports(report: Mapping[str, Any], out_dir: Path, formats: tuple[str, ...]) -> list[Path]:
    """Render, then write each file atomically with mode 0600."""
    rendered = render_all(report, formats)
    written = []
    for filename, data in rendered.items():
        target = out_dir / filename
        write_atomic(target, data)
        written.append(target)
    return written
