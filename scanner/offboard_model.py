"""Shapes of an offboarding plan, and the guards every identifier passes before it reaches a command line."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Step:
    """One revocation command, with why it is needed and which finding asks for it."""

    order: int
    provider: str
    action: str  # e.g. "deactivate-access-key"
    target: str
    reason: str
    finding_ids: tuple[str, ...]
    argv: tuple[str, ...]  # the official CLI command as an argv list; never run by shadowsweep
    cuts_access: bool  # True for steps that remove access; False for the final deletions that follow them


@dataclass(frozen=True)
class AgentPlan:
    """Every step that offboards one agent, and what could not be planned for it."""

    agent: str  # registry id or identity uid
    why: str
    identities: tuple[str, ...]
    steps: tuple[Step, ...]
    missing: tuple[str, ...]  # never silently skipped: each entry says what a person must do by hand


@dataclass(frozen=True)
class Draft:
    """A step before it is numbered and given its finding ids."""

    action: str
    target: str
    reason: str
    argv: tuple[str, ...]
    cuts_access: bool
    topic: str = "identity"  # identity | credential | grant | trust: which findings motivate it


@dataclass(frozen=True)
class Facts:
    """One identity of the report with the credentials and grants that belong to it."""

    identity: Mapping[str, Any]
    credentials: tuple[Mapping[str, Any], ...]
    grants: tuple[Mapping[str, Any], ...]

    @property
    def uid(self) -> str:
        """The identity's uid, as every message names it."""
        return str(self.identity.get("uid", ""))

    @property
    def native_ids(self) -> tuple[str, ...]:
        """The provider's own ids of the identity, in the report's order."""
        return tuple(str(n) for n in self.identity.get("native_ids") or ())


class UnsafeValue(ValueError):
    """An identifier that cannot be put into a command line as it is."""


@dataclass
class Built:
    """What a provider could plan for one identity, and what it could not."""

    drafts: list[Draft] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def add(self, what: str, make: Callable[[], Draft | Sequence[Draft]]) -> None:
        """Plan steps; a hostile or malformed identifier turns them into a note instead of a command."""
        try:
            made = make()
        except UnsafeValue as error:
            self.missing.append(f"{what}: no command written because {error}; revoke it by hand")
            return
        self.drafts.extend([made] if isinstance(made, Draft) else made)


# Prefixes that make a CLI read a local file (or fetch a URL) instead of taking the value as it is.
_INDIRECT = {"aws": ("file://", "fileb://", "http://", "https://"), "az": ("@",), "gcloud": ()}


def one_line(text: object) -> str:
    """Text fit for one line of a comment or a terminal: control and invisible characters are escaped."""
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in str(text))


def shown(text: str, limit: int = 100) -> str:
    """An identifier quoted for a message: repr escapes every control or invisible character, long ones are cut."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def safe(value: object, cli: str, *, positional: bool = False) -> str:
    """The value itself, once it is sure to reach the CLI as one plain argument."""
    text = "" if value is None else str(value)
    if not text.strip():
        raise UnsafeValue("an identifier is empty")
    if not text.isprintable():
        raise UnsafeValue(f"identifier {shown(text)} holds control or invisible characters")
    if positional and text.startswith("-"):
        raise UnsafeValue(f"identifier {shown(text)} would be read as an option")
    if text.lower().startswith(_INDIRECT[cli]):
        raise UnsafeValue(f"identifier {shown(text)} would make {cli} read a file or URL instead")
    return text


def opt(name: str, value: object, cli: str) -> str:
    """An option and its value as one argument (--name=value), so no value can pass for another option."""
    return f"{name}={safe(value, cli)}"
