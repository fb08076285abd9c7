"""Plugin protocols and a lazy entry-point loader, so a missing extra costs one clear message."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, ClassVar, Protocol, runtime_checkable

from scanner.config import ConfigSection
from scanner.errors import PluginError
from scanner.model import Record

CONNECTORS_GROUP = "shadowsweep.connectors"
RULES_GROUP = "shadowsweep.rules"
RENDERERS_GROUP = "shadowsweep.renderers"


@dataclass(frozen=True, kw_only=True)
class ScopePlan:
    """The scopes a connector will collect, and what planning itself observed (gaps, call counts)."""

    scopes: tuple[str, ...]
    records: tuple[Record, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Connector(Protocol):
    """Turns one provider's read APIs into normalized records."""

    name: ClassVar[str]
    extra: ClassVar[str]
    requires: ClassVar[tuple[str, ...]]
    permissions: ClassVar[tuple[str, ...]]

    @classmethod
    def from_config(cls, section: ConfigSection) -> Connector:
        """Build from the `[connectors.NAME]` table; raise ConfigError naming a bad key."""
        ...

    def plan(self) -> ScopePlan:
        """List the scopes to collect (accounts, tenants, projects)."""
        ...

    def collect(self, scope: str) -> Iterator[Record]:
        """Yield every record of one scope, ending with its ScopeReport."""
        ...


@runtime_checkable
class PeopleDirectory(Protocol):
    """Optional capability: a connector that can say whether named people exist and are enabled."""

    def lookup_people(self, identifiers: list[str]) -> Iterator[Record]:
        """User identities found, Absent for proven absences, Gap where it could not look."""
        ...


class Renderer(Protocol):
    """Turns the canonical report dict into the bytes of one output file."""

    name: ClassVar[str]
    filename: ClassVar[str]

    def render(self, report: Mapping[str, Any]) -> bytes:
        """Render a report that follows report-v1.schema.json."""
        ...


def install_hint(extra: str) -> str:
    """The exact command that installs a missing extra."""
    return f"pip install 'shadowsweep[{extra}]'"


def missing_requirements(requires: tuple[str, ...]) -> list[str]:
    """Top-level modules a plugin needs that are not importable."""
    return [mod for mod in requires if importlib.util.find_spec(mod) is None]


def _entry_points(group: str) -> dict[str, EntryPoint]:
    """Entry points of a group by name; the first registration of a name wins."""
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=group):
        found.setdefault(ep.name, ep)
    return found


def connector_names() -> list[str]:
    """Names of installed connectors, without importing any of them."""
    return sorted(_entry_points(CONNECTORS_GROUP))


def load_connector_class(name: str) -> type[Connector]:
    """Import one connector class by name, translating a missing extra into PluginError."""
    eps = _entry_points(CONNECTORS_GROUP)
    if name not in eps:
        known = ", ".join(sorted(eps)) or "none"
        raise PluginError(f"unknown connector {name!r} (installed: {known})")
    try:
        cls = eps[name].load()
    except ModuleNotFoundError as exc:
        raise PluginError(f"connector {name!r} needs {exc.name}: {install_hint(name)}") from exc
    missing = missing_requirements(getattr(cls, "requires", ()))
    if missing:
        raise PluginError(f"connector {name!r} needs {', '.join(missing)}: {install_hint(cls.extra)}")
    return cls  # type: ignore[no-any-return]


def load_renderer(name: str) -> Renderer:
    """Instantiate a renderer by format name."""
    eps = _entry_points(RENDERERS_GROUP)
    if name not in eps:
        raise PluginError(f"unknown report format {name!r} (available: {', '.join(sorted(eps))})")
    return eps[name].load()()  # type: ignore[no-any-return]


def renderer_names() -> list[str]:
    """Installed report formats."""
    return sorted(_entry_points(RENDERERS_GROUP))


def load_rule_modules() -> Iterator[str]:
    """Import every rule module so its decorators register its rules; yields the module names."""
    for ep in _entry_points(RULES_GROUP).values():
        try:
            ep.load()
        except ModuleNotFoundError as exc:
            raise PluginError(f"rule plugin {ep.name!r} could not be imported: {exc}") from exc
        yield ep.value
