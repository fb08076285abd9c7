"""Strict TOML configuration: an unknown key or a wrong type is an error that names it."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, TypeVar

from scanner.errors import ConfigError

T = TypeVar("T")


class Severity(IntEnum):
    """Finding severities, ordered so that thresholds compare naturally."""

    INFO = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5

    @property
    def label(self) -> str:
        """The lower-case name used in reports and flags."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity | None:
        """Parse a --fail-on value; `none` means never fail."""
        if text == "none":
            return None
        return cls[text.upper()]


FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "info", "none")


class _LineIndex:
    """Finds the line of a dotted key in TOML text; tomllib keeps no positions."""

    _HEADER = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+\s*(#.*)?$")
    _KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        table = ""
        for number, raw in enumerate(text.splitlines(), start=1):
            header = self._HEADER.match(raw)
            if header:
                table = header.group(1).replace('"', "").replace("'", "").replace(" ", "")
                self.lines.setdefault(table, number)
                continue
            key = self._KEY.match(raw)
            if key:
                name = key.group(1).strip("\"'")
                self.lines.setdefault(f"{table}.{name}" if table else name, number)

    def line_of(self, dotted: str) -> int | None:
        """Line of the key, or of its nearest enclosing table."""
        parts = dotted.split(".")
        while parts:
            found = self.lines.get(".".join(parts))
            if found:
                return found
            parts.pop()
        return None


@dataclass(frozen=True)
class ConfigSection:
    """One TOML table with enough context to report errors by file, line and dotted key."""

    path: str
    values: Mapping[str, Any]
    file: str | None = None
    index: _LineIndex | None = field(default=None, repr=False)

    def error(self, key: str | None, message: str) -> ConfigError:
        """A ConfigError pointing at `path.key`."""
        dotted = f"{self.path}.{key}" if key else self.path
        line = self.index.line_of(dotted) if self.index else None
        return ConfigError(message, file=self.file, line=line, field=dotted)

    def check_keys(self, allowed: set[str]) -> None:
        """Reject keys this section does not know, suggesting the closest known one."""
        for key in self.values:
            if key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(allowed))})"
                raise self.error(key, f"unknown key{hint}")

    def get(self, key: str, kind: type[T], default: T) -> T:
        """A typed value, or the default when absent."""
        if key not in self.values:
            return default
        value = self.values[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(key, f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    def get_optional_str(self, key: str) -> str | None:
        """A string value, or None when absent."""
        value = self.get(key, str, "")
        if key in self.values and not value.strip():
            raise self.error(key, "must not be empty")
        return value or None

    def get_str_list(self, key: str) -> tuple[str, ...] | None:
        """A list of non-empty strings, or None when absent."""
        if key not in self.values:
            return None
        value = self.values[key]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(key, "expected a list of non-empty strings")
        return tuple(value)

    def subsection(self, key: str) -> ConfigSection:
        """A nested table, empty when absent."""
        value = self.values.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, f"expected a table, got {type(value).__name__}")
        return ConfigSection(f"{self.path}.{key}", value, self.file, self.index)


@dataclass(frozen=True, kw_only=True)
class ScanSettings:
    """The `[scan]` table, after validation."""

    registry: Path | None = None
    out: Path = Path("shadowsweep-out")
    formats: tuple[str, ...] = ("json", "html")
    fail_on: Severity | None = None
    stale_after_days: int = 90
    max_credential_age_days: int = 365
    attestation_max_age_days: int = 90  # an agent identity attested longer ago (or never) fails
    agent_threshold: float = 0.5
    max_workers: int = 8
    state: Path | None = None  # the SQLite history; off unless set
    spool: Path | None = None  # undelivered sink events wait here for the next run
    registries: tuple[str, ...] = ()  # extra registry sources: "file:PATH" and native ones ("entra-agent-id")
    executor: str = "thread"  # thread | dask
    scheduler: str | None = None  # the Dask scheduler address, e.g. tcp://host:8786


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The whole configuration: scan settings plus raw connector tables."""

    scan: ScanSettings = field(default_factory=ScanSettings)
    connectors: Mapping[str, ConfigSection] = field(default_factory=dict)
    sinks: Mapping[str, ConfigSection] = field(default_factory=dict)
    file: str | None = None


_SCAN_KEYS = {
    "registry",
    "out",
    "formats",
    "fail_on",
    "state",
    "stale_after_days",
    "max_credential_age_days",
    "attestation_max_age_days",
    "agent_threshold",
    "max_workers",
    "spool",
    "executor",
    "scheduler",
    "registries",
}


def _positive(section: ConfigSection, key: str, default: int) -> int:
    value = section.get(key, int, default)
    if value <= 0:
        raise section.error(key, "must be a positive integer")
    return value


def parse_scan_section(section: ConfigSection, base: Path) -> ScanSettings:
    """Validate `[scan]`; relative paths resolve against the config file's directory."""
    section.check_keys(_SCAN_KEYS)
    fail_on_text = section.get("fail_on", str, "none")
    if fail_on_text not in FAIL_ON_CHOICES:
        raise section.error("fail_on", f"expected one of {', '.join(FAIL_ON_CHOICES)}")
    threshold = section.get("agent_threshold", float, 0.5)
    if not 0 < threshold <= 1:
        raise section.error("agent_threshold", "must be in (0, 1]")
    registry = section.get_optional_str("registry")
    state = section.get_optional_str("state")
    spool = section.get_optional_str("spool")
    executor = section.get("executor", str, "thread")
    if executor not in ("thread", "dask"):
        raise section.error("executor", "expected thread or dask")
    registries = section.get_str_list("registries") or ()
    from scanner.native import NATIVE_SOURCES  # here: the native module needs the registry, which needs config

    for source in registries:
        if not (source.startswith("file:") or source in NATIVE_SOURCES):
            known = ", ".join(["file:PATH", *sorted(NATIVE_SOURCES)])
            raise section.error("registries", f"unknown registry source {source!r} ({known})")
    return ScanSettings(
        registries=tuple(s if not s.startswith("file:") else f"file:{base / s[5:]}" for s in registries),
        executor=executor,
        scheduler=section.get_optional_str("scheduler"),
        state=(base / state) if state else None,
        spool=(base / spool) if spool else None,
        registry=(base / registry) if registry else None,
        out=base / section.get("out", str, "shadowsweep-out"),
        formats=section.get_str_list("formats") or ("json", "html"),
        fail_on=Severity.parse(fail_on_text),
        stale_after_days=_positive(section, "stale_after_days", 90),
        max_credential_age_days=_positive(section, "max_credential_age_days", 365),
        attestation_max_age_days=_positive(section, "attestation_max_age_days", 90),
        agent_threshold=threshold,
        max_workers=_positive(section, "max_workers", 8),
    )


def load_settings(path: Path | None) -> Settings:
    """Read and validate a TOML file; None gives the defaults."""
    if path is None:
        return Settings()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc}", file=path) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise ConfigError(f"invalid TOML: {exc}", file=path, line=line) from exc
    index = _LineIndex(text)
    root = ConfigSection("", data, str(path), index)
    for key in data:
        if key not in {"scan", "connectors", "sinks"}:
            raise ConfigError(
                "unknown table (known: scan, connectors, sinks)", file=path, line=index.line_of(key), field=key
            )
    scan = parse_scan_section(ConfigSection("scan", root.subsection("scan").values, str(path), index), path.parent)
    tables = ConfigSection("connectors", root.subsection("connectors").values, str(path), index)
    connectors = {name: tables.subsection(name) for name in tables.values}
    sink_tables = ConfigSection("sinks", root.subsection("sinks").values, str(path), index)
    sinks = {name: sink_tables.subsection(name) for name in sink_tables.values}
    return Settings(scan=scan, connectors=connectors, sinks=sinks, file=str(path))
