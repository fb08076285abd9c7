"""The collector pause: off inside, restored after, even on error, and nested pauses keep the outer state."""

from __future__ import annotations

import gc

import pytest

from scanner.gcpause import gc_paused, without_gc


def test_pause_restores_the_collector_even_when_the_body_raises() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_nested_pauses_leave_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the caller had it off; the pause must not turn it on
    finally:
        gc.enable()


def test_decorated_function_runs_paused_and_returns_its_value() -> None:
    @without_gc
    def probe(x: int) -> tuple[int, bool]:
        return x * 2, gc.isenabled()

    assert probe(21) == (42, False)
    assert gc.isenabled()
