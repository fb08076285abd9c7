"""A pause of Python's cyclic garbage collector around the engine's big batches of allocation."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold the collector while millions of long-lived objects are built; its generation-2 passes re-scan them all.

    Measured on the 100,000-identity benchmark: a third of report-building time went to those passes. The records
    built here rarely form cycles, and whatever does is collected as usual once the batch is done. Nested pauses
    leave the collector as the outermost found it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def without_gc(function: Callable[P, R]) -> Callable[P, R]:
    """`function` run inside `gc_paused()`."""

    @wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        with gc_paused():
            return function(*args, **kwargs)

    return paused


def release_memory() -> None:
    """Hand freed heap pages back to the system (glibc's malloc_trim) after a big structure is dropped.

    Without it the report of a million identities is built on top of the graph's freed memory instead of in it:
    glibc keeps freed chunks mapped. Elsewhere (or without glibc) this does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # musl and others have no malloc_trim
        return
    trim(0)
