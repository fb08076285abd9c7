"""Atomic, private report writes: a temporary file, fsync, chmod 0600, rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from scanner.plugins import load_renderer


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Readers see the old file or the whole new one, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _stage(path, iter((data,)), mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _sync_dir(path.parent)


def _sync_dir(directory: Path) -> None:
    """Make the renames in `directory` durable."""
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _chunks(renderer: Any, report: Mapping[str, Any]) -> Iterator[bytes]:
    """A renderer's output piece by piece when it can stream (report.json of a large estate), else in one piece."""
    stream = getattr(renderer, "stream", None)
    return stream(report) if callable(stream) else iter((renderer.render(report),))


def _stage(path: Path, chunks: Iterator[bytes], mode: int = 0o600) -> str:
    """Write a private temporary file beside `path`, fsynced; its name, for the rename that publishes it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def write_reports(report: Mapping[str, Any], out_dir: Path, formats: tuple[str, ...]) -> list[Path]:
    """Render every format into a temporary file first, then rename them all: a failing renderer publishes nothing."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for name in formats:
            renderer = load_renderer(name)
            target = out_dir / renderer.filename
            staged.append((_stage(target, _chunks(renderer, report)), target))
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    _sync_dir(out_dir)
    return [target for _, target in staged]
