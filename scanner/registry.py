"""Agent registry: exact uid/native-id matching only, never by tags: an agent that can tag itself could hide itself."""

from __future__ import annotations

import re
from pathlib import Path

from scanner.errors import RegistryError, RegistryErrors
from scanner.registry_model import AgentRecord, AgentStatus, Registry, SourceRef
from scanner.registry_schema import DocumentChecker, Seen
from scanner.registry_yaml import load_text

__all__ = [
    "AgentRecord",
    "AgentStatus",
    "Registry",
    "SourceRef",
    "load_registry",
    "parse_registry_text",
]

SUFFIXES = (".yaml", ".yml", ".json")
_AGENT_PATH = re.compile(r"agents\[[0-9]+\](?=[.\[]|$)")


def load_registry(path: str | Path) -> Registry:
    """Load a registry file or every registry file directly inside a directory; raise RegistryErrors with all errors."""
    errors: list[RegistryError] = []
    files = _registry_files(Path(path), errors)
    seen = Seen()
    records: list[AgentRecord] = []
    for file in files:
        text = _read(file, errors)
        if text is not None:
            records += _parse(text, str(file), seen, errors)
    if errors:
        raise RegistryErrors(errors)
    return Registry(records, sources=[str(file) for file in files])


def parse_registry_text(text: str, *, file: str) -> list[AgentRecord]:
    """The records of one registry document (JSON when file ends in .json); raise RegistryErrors with all errors."""
    errors: list[RegistryError] = []
    records = _parse(text, file, Seen(), errors)
    if errors:
        raise RegistryErrors(errors)
    return records


def _registry_files(root: Path, errors: list[RegistryError]) -> list[Path]:
    """The files a path names: itself, or the visible registry files directly inside it, sorted by name."""
    if not root.exists():
        errors.append(RegistryError("no such file or directory", file=root))
        return []
    if not root.is_dir():
        return [root]
    try:
        entries = sorted(root.iterdir(), key=lambda entry: entry.name)
    except OSError as exc:
        errors.append(RegistryError(f"cannot list directory: {exc.strerror or exc}", file=root))
        return []
    files = [p for p in entries if p.suffix.lower() in SUFFIXES and not p.name.startswith(".") and p.is_file()]
    if not files:
        errors.append(RegistryError("directory holds no *.yaml, *.yml or *.json registry file", file=root))
    return files


def _read(file: Path, errors: list[RegistryError]) -> str | None:
    """A file's text; a read or decoding failure is an error naming the file (and the line of a bad byte)."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        errors.append(RegistryError(f"cannot read file: {exc.strerror or exc}", file=file))
        return None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        errors.append(RegistryError(message, file=file, line=line))
        return None


def _parse(text: str, file: str, seen: Seen, errors: list[RegistryError]) -> list[AgentRecord]:
    """One file's records; its errors are appended in line order, agent paths labelled with their ids."""
    start = len(errors)
    doc = load_text(text, file=file, errors=errors)
    checker = DocumentChecker(file, errors, seen)
    records = checker.document(doc) if doc is not None else []
    for error in errors[start:]:
        field = error.field or ""
        match = _AGENT_PATH.match(field)
        if match is not None and match.group() in checker.labels:
            error.field = f"{match.group()} ({checker.labels[match.group()]}){field[match.end() :]}"
    errors[start:] = sorted(errors[start:], key=lambda error: error.line or 0)
    return records
