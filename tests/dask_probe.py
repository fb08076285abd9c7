"""A connector whose tasks kill the worker that runs them, to prove a lost worker is retried or becomes a gap."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from scanner.config import ConfigSection
from scanner.model import Record, ScopeReport
from scanner.plugins import ScopePlan


class FlakyWorkerConnector:
    """Scope `once` dies on its first attempt only; scope `always` dies every time."""

    name: ClassVar[str] = "probe"
    extra: ClassVar[str] = "dev"
    requires: ClassVar[tuple[str, ...]] = ()
    permissions: ClassVar[tuple[str, ...]] = ("none",)

    def __init__(self, marker_dir: Path, scopes: tuple[str, ...] = ("once", "always", "fine")) -> None:
        self.marker_dir = marker_dir
        self.scopes = scopes

    @classmethod
    def from_config(cls, section: ConfigSection) -> FlakyWorkerConnector:
        return cls(Path(section.values["marker_dir"]))

    def plan(self) -> ScopePlan:
        return ScopePlan(scopes=self.scopes)

    def collect(self, scope: str) -> Iterator[Record]:
        marker = self.marker_dir / f"{scope}.attempts"
        attempts = int(marker.read_text()) if marker.exists() else 0
        marker.write_text(str(attempts + 1))
        if scope == "always" or (scope == "once" and attempts == 0):
            os._exit(1)  # the worker process dies mid-task
        yield ScopeReport(provider="probe", connector="probe", scope=scope, api_calls=attempts + 1)
