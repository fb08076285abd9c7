"""Registry schema checks: one file's Located values become AgentRecords, or errors naming file, line and field."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from scanner.errors import RegistryError
from scanner.registry_model import AgentRecord, AgentStatus, SourceRef
from scanner.registry_yaml import Invalid, Located, child_path, show

SUPPORTED_VERSION = 1
TOP_KEYS = ("version", "agents")
AGENT_KEYS = (
    "id",
    "owner",
    "purpose",
    "status",
    "environment",
    "data_boundary",
    "expires",
    "retired_on",
    "allowed_permissions",
    "identities",
)
_STATUSES = tuple(status.value for status in AgentStatus)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Placeholders left by hand or by `registry suggest`; letter boundaries spare real names such as "Todorov".
_PLACEHOLDER = re.compile(r"^<.*>$|(?<![a-z])(?:todo|tbd|changeme|fixme|replace|placeholder)(?![a-z])", re.IGNORECASE)
_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "list"),
    (dict, "mapping"),
    (datetime, "timestamp with a time of day"),
    (date, "date"),
)


@dataclass(slots=True)
class Seen:
    """Ids and identities already defined, shared by every file of one registry so that uniqueness spans files."""

    ids: dict[str, SourceRef] = field(default_factory=dict)
    identities: dict[str, tuple[str, SourceRef]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Fields:
    """A mapping under check, with its path and first line for errors about absent keys."""

    values: dict[str, Located]
    path: str
    line: int

    def path_of(self, key: str) -> str:
        """The field path of one key."""
        return child_path(self.path, key)


def kind(value: object) -> str:
    """The registry author's name for a value's type."""
    if value is None:
        return "null"
    return next((name for cls, name in _KINDS if isinstance(value, cls)), type(value).__name__)


class DocumentChecker:
    """Checks one file's document; errors go to a shared list so that a run reports every problem at once."""

    def __init__(self, file: str, errors: list[RegistryError], seen: Seen) -> None:
        self.file = file
        self.errors = errors
        self.seen = seen
        self.labels: dict[str, str] = {}  # agent path -> its valid id, to make error paths readable

    def error(self, path: str, line: int, message: str) -> None:
        """Record one problem with the offending field."""
        self.errors.append(RegistryError(message, file=self.file, line=line, field=path))

    def document(self, doc: Located) -> list[AgentRecord]:
        """Records of a top-level mapping with `version` and `agents`."""
        if not isinstance(doc.value, dict):
            if not isinstance(doc.value, Invalid):
                self.error(
                    "(top level)", doc.line, f"expected a mapping with version and agents, got {kind(doc.value)}"
                )
            return []
        top = Fields(doc.value, "", doc.line)
        self.unknown_keys(top, TOP_KEYS)
        self.version(top)
        agents = self.get(top, "agents", required=True)
        if agents is None:
            return []
        if not isinstance(agents.value, list):
            self.error("agents", agents.line, f"expected a list of agents, got {kind(agents.value)}")
            return []
        records = (self.agent(item, f"agents[{i}]") for i, item in enumerate(agents.value))
        return [record for record in records if record is not None]

    def version(self, top: Fields) -> None:
        """Only version 1 exists; naming it tells the author what to write."""
        loc = self.get(top, "version", required=True)
        if loc is not None and (type(loc.value) is not int or loc.value != SUPPORTED_VERSION):
            got = show(loc.value) if type(loc.value) is int else f"{show(loc.value)} ({kind(loc.value)})"
            self.error("version", loc.line, f"unsupported version {got}; the supported version is {SUPPORTED_VERSION}")

    def unknown_keys(self, fields: Fields, known: tuple[str, ...]) -> None:
        """A misspelt key would silently drop a field, so every unknown key is an error with a suggestion."""
        for key, loc in fields.values.items():
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(known)}"
                self.error(fields.path_of(key), loc.line, f"unknown key {show(key)}; {hint}")

    def get(self, fields: Fields, key: str, *, required: bool = False) -> Located | None:
        """A field's Located value; None when absent (an error if required) or already reported invalid."""
        loc = fields.values.get(key)
        if loc is None and required:
            self.error(fields.path_of(key), fields.line, "required field is missing")
        return None if loc is None or isinstance(loc.value, Invalid) else loc

    def agent(self, item: Located, path: str) -> AgentRecord | None:
        """One agent record, or None when any of its fields is wrong (each one reported)."""
        if not isinstance(item.value, dict):
            if not isinstance(item.value, Invalid):
                self.error(path, item.line, f"expected a mapping (one agent), got {kind(item.value)}")
            return None
        fields, before = Fields(item.value, path, item.line), len(self.errors)
        self.unknown_keys(fields, AGENT_KEYS)
        agent_id = self.agent_id(fields)
        owner = self.owner(fields)
        purpose = self.text(fields, "purpose", required=True, strip=True)
        status = self.status(fields)
        environment = self.text(fields, "environment")
        data_boundary = self.text(fields, "data_boundary")
        expires = self.day(fields, "expires")
        retired_on = self.retired_on(fields, status)
        permissions = self.strings(fields, "allowed_permissions")
        identities = self.identities(fields, agent_id)
        if len(self.errors) > before or not (agent_id and owner and purpose and status and identities):
            return None
        return AgentRecord(
            id=agent_id,
            owner=owner,
            purpose=purpose,
            status=status,
            identities=identities,
            environment=environment,
            data_boundary=data_boundary,
            expires=expires,
            retired_on=retired_on,
            allowed_permissions=None if permissions is None else tuple(permissions),
            source=SourceRef(file=self.file, line=item.line),
        )

    def string(self, loc: Located, path: str, *, strip: bool = False) -> str | None:
        """A non-empty string; surrounding whitespace is refused (it would never match) unless strip is asked."""
        value = loc.value
        if isinstance(value, str) and strip:
            value = value.strip()
        if isinstance(value, Invalid):
            return None
        if not isinstance(value, str):
            # YAML reads 123456789012, 0777, yes and 2027-01-31 as non-strings; quotes keep them text.
            hint = "; put it in quotes" if isinstance(value, bool | int | float | date) else ""
            self.error(path, loc.line, f"expected a string, got {kind(value)}{hint}")
        elif not value.strip():
            self.error(path, loc.line, "must not be empty")
        elif value != value.strip():
            self.error(path, loc.line, f"must not start or end with whitespace: {show(value)}")
        else:
            return value
        return None

    def text(self, fields: Fields, key: str, *, required: bool = False, strip: bool = False) -> str | None:
        """A string field."""
        loc = self.get(fields, key, required=required)
        return None if loc is None else self.string(loc, fields.path_of(key), strip=strip)

    def agent_id(self, fields: Fields) -> str | None:
        """The agent's id: well-formed, and defined once across every file of the registry."""
        loc = self.get(fields, "id", required=True)
        value = None if loc is None else self.string(loc, fields.path_of("id"))
        if loc is None or value is None:
            return None
        if not _ID.fullmatch(value):
            rule = "1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit"
            self.error(fields.path_of("id"), loc.line, f"invalid id {show(value)}: use {rule}")
            return None
        self.labels[fields.path] = value
        first = self.seen.ids.get(value)
        if first is None:
            self.seen.ids[value] = SourceRef(file=self.file, line=loc.line)
        else:
            self.error(
                fields.path_of("id"),
                loc.line,
                f"duplicate id {show(value)}; first defined at {first.file}:{first.line}",
            )
        return value

    def owner(self, fields: Fields) -> str | None:
        """The accountable person; a placeholder is no owner, and `registry suggest` relies on that."""
        loc = self.get(fields, "owner", required=True)
        value = None if loc is None else self.string(loc, fields.path_of("owner"))
        if loc is not None and value is not None and _PLACEHOLDER.search(value):
            self.error(
                fields.path_of("owner"), loc.line, f"{show(value)} is a placeholder; name the accountable person"
            )
            return None
        return value

    def status(self, fields: Fields) -> AgentStatus | None:
        """One of the lifecycle states, spelt exactly."""
        loc = self.get(fields, "status", required=True)
        if loc is None:
            return None
        if isinstance(loc.value, str) and loc.value in _STATUSES:
            return AgentStatus(loc.value)
        got = show(loc.value) if isinstance(loc.value, str) else kind(loc.value)
        self.error(fields.path_of("status"), loc.line, f"must be one of {', '.join(_STATUSES)}; got {got}")
        return None

    def day(self, fields: Fields, key: str) -> date | None:
        """A calendar date: a YAML date or a YYYY-MM-DD string, never a timestamp with a time of day."""
        loc = self.get(fields, key)
        if loc is None:
            return None
        value = loc.value
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and _DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError as exc:
                self.error(fields.path_of(key), loc.line, f"invalid date {show(value)}: {exc}")
                return None
        got = show(value) if isinstance(value, str) else kind(value)
        self.error(fields.path_of(key), loc.line, f"expected a date as YYYY-MM-DD, got {got}")
        return None

    def retired_on(self, fields: Fields, status: AgentStatus | None) -> date | None:
        """The retirement day: required for a retired agent, and meaningless for any other."""
        day = self.day(fields, "retired_on")
        loc, status_loc = fields.values.get("retired_on"), fields.values.get("status")
        if status is AgentStatus.RETIRED and loc is None and status_loc is not None:
            self.error(fields.path_of("retired_on"), status_loc.line, "required when status is retired")
        elif status is not None and status is not AgentStatus.RETIRED and loc is not None:
            self.error(fields.path_of("retired_on"), loc.line, f"only allowed when status is retired, not {status}")
        return day

    def strings(self, fields: Fields, key: str, *, required: bool = False) -> dict[str, tuple[str, int]] | None:
        """A list of distinct non-empty strings, each with its own path and line."""
        loc = self.get(fields, key, required=required)
        if loc is None:
            return None
        path = fields.path_of(key)
        if not isinstance(loc.value, list):
            self.error(path, loc.line, f"expected a list of strings, got {kind(loc.value)}")
            return None
        found: dict[str, tuple[str, int]] = {}
        for i, item in enumerate(loc.value):
            value = self.string(item, f"{path}[{i}]")
            if value is not None and value in found:
                self.error(f"{path}[{i}]", item.line, f"duplicate {show(value)} (also on line {found[value][1]})")
            elif value is not None:
                found[value] = (f"{path}[{i}]", item.line)
        return found

    def identities(self, fields: Fields, agent_id: str | None) -> tuple[str, ...] | None:
        """The agent's identity strings: at least one, and each belonging to this agent only, across every file."""
        found = self.strings(fields, "identities", required=True)
        loc = fields.values.get("identities")
        if found is None or loc is None:
            return None
        if loc.value == []:
            self.error(fields.path_of("identities"), loc.line, "must list at least one identity")
        owner = agent_id or fields.path
        for identity, (path, line) in found.items():
            first = self.seen.identities.get(identity)
            if first is None:
                self.seen.identities[identity] = (owner, SourceRef(file=self.file, line=line))
            else:
                where = f"{first[1].file}:{first[1].line}"
                self.error(path, line, f"{show(identity)} already belongs to agent {first[0]} ({where})")
        return tuple(found)
