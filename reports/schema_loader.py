"""Load the published report.json JSON Schema from the package, so tests and users validate against one file."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

SCHEMA_FILE = "report-v1.schema.json"
SCHEMA_ID = "urn:shadowsweep:schema:report:v1"


def load_report_schema() -> dict[str, Any]:
    """Return a fresh copy of the Draft 2020-12 schema for report.json v1, so callers may mutate it."""
    text = (files("reports") / "schema" / SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
