"""Exceptions for bad input, translated at the boundary into exit code 2."""

from __future__ import annotations

from pathlib import Path


class ShadowsweepError(Exception):
    """Base class for errors this tool reports to its user."""


class InputError(ShadowsweepError):
    """Bad input from a file or flag: names the file, the line and the field."""

    def __init__(
        self, message: str, *, file: str | Path | None = None, line: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        what = f"{self.field}: " if self.field else ""
        return f"{where}{what}{self.message}"


class ConfigError(InputError):
    """The TOML configuration is malformed or names an unknown key."""


class RegistryError(InputError):
    """An agent registry file is malformed."""


class RegistryErrors(ShadowsweepError):
    """Several registry errors at once, each one line."""

    def __init__(self, errors: list[RegistryError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


class PluginError(ShadowsweepError):
    """A plugin could not be loaded, usually because its extra is not installed."""
