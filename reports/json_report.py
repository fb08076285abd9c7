"""The canonical JSON renderer: report.json, stable key order, UTF-8."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar


class JsonRenderer:
    """Writes report.json exactly as built, for machines and for `render`/`diff` later."""

    name: ClassVar[str] = "json"
    filename: ClassVar[str] = "report.json"

    def render(self, report: Mapping[str, Any]) -> bytes:
        """Pretty, deterministic JSON."""
        return (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
