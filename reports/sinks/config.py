"""Strict validation of `[sinks.NAME]` tables: a typo or an insecure endpoint stops the run before any scan."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from scanner.errors import ConfigError

KINDS = ("splunk_hec", "syslog", "webhook")
SYSLOG_PROTOCOLS = ("tls", "tcp", "udp")
DEFAULT_SYSLOG_PORTS = {"tls": 6514, "tcp": 514, "udp": 514}
HEC_DEFAULT_PATH = "/services/collector/event"
RESERVED_HEADERS = frozenset({"content-type", "content-length", "host", "transfer-encoding", "connection"})

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_APP_NAME = re.compile(r"^[\x21-\x7e]{1,48}$")
_REQUIRED = object()


@dataclass(frozen=True)
class SinkConfig:
    """One validated `[sinks.NAME]` table; settings hold every key with its default filled in."""

    name: str
    kind: str
    settings: Mapping[str, Any]


@dataclass(frozen=True)
class _Key:
    """The expected type and default of one key; `_REQUIRED` marks a key that must be present."""

    kind: type
    default: Any = None


def _common(batch_default: int = 100) -> dict[str, _Key]:
    """Keys every kind understands."""
    return {"kind": _Key(str, _REQUIRED), "batch_size": _Key(int, batch_default)}


def _http_keys() -> dict[str, _Key]:
    """Keys shared by the two HTTP sinks."""
    return {"url": _Key(str, _REQUIRED), "verify_tls": _Key(bool, True), "ca_file": _Key(str)}


SCHEMAS: dict[str, dict[str, _Key]] = {
    "splunk_hec": {
        **_common(),
        **_http_keys(),
        "token_env": _Key(str, _REQUIRED),
        "index": _Key(str),
        "sourcetype": _Key(str, "ocsf:detection_finding"),
        "source": _Key(str, "shadowsweep"),
    },
    "webhook": {**_common(), **_http_keys(), "headers_env": _Key(dict, {})},
    "syslog": {
        **_common(),
        "host": _Key(str, _REQUIRED),
        "port": _Key(int),
        "protocol": _Key(str, "tls"),
        "verify_tls": _Key(bool, True),
        "ca_file": _Key(str),
        "app_name": _Key(str, "shadowsweep"),
        "facility": _Key(int, 10),
    },
}


class _Table:
    """One sink table plus what is needed to point an error at its file, line and dotted key."""

    def __init__(self, name: str, values: Mapping[str, Any], file: str | None, line_of: Callable[[str], int | None]):
        self.name, self.values, self.file, self.line_of = name, values, file, line_of

    def error(self, key: str | None, message: str) -> ConfigError:
        """A ConfigError naming `sinks.NAME.key`; values are never echoed, they may be secrets."""
        dotted = f"sinks.{self.name}.{key}" if key else f"sinks.{self.name}"
        return ConfigError(message, file=self.file, line=self.line_of(dotted), field=dotted)


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: the only hosts plaintext may go to."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_sinks(
    tables: Mapping[str, Mapping[str, Any]],
    *,
    file: str | None = None,
    line_of: Callable[[str], int | None] | None = None,
) -> list[SinkConfig]:
    """Validate every `[sinks.NAME]` table; the first problem raises a ConfigError that names its key."""
    finder = line_of or (lambda _dotted: None)
    base = Path(file).parent if file else None
    sinks = []
    for name, values in tables.items():
        table = _Table(str(name), values if isinstance(values, Mapping) else {}, file, finder)
        if not isinstance(values, Mapping):
            raise table.error(None, f"expected a table, got {type(values).__name__}")
        if not _NAME.match(str(name)):
            raise table.error(None, "sink names use letters, digits, '_' and '-' (at most 64, first a letter or digit)")
        settings = _validate(table, base)
        sinks.append(SinkConfig(name=str(name), kind=settings["kind"], settings=MappingProxyType(settings)))
    return sinks


def _validate(table: _Table, base: Path | None) -> dict[str, Any]:
    """Types and defaults first, then the rules that relate several keys."""
    kind = table.values.get("kind")
    if kind is None:
        raise table.error("kind", f"missing required key (one of {', '.join(KINDS)})")
    if not isinstance(kind, str) or kind not in KINDS:
        raise table.error("kind", f"unknown sink kind (expected one of {', '.join(KINDS)})")
    schema = SCHEMAS[kind]
    for key in table.values:
        if key not in schema:
            raise table.error(str(key), f"unknown key for a {kind} sink (known: {', '.join(sorted(schema))})")
    settings = {key: _typed(table, key, spec) for key, spec in schema.items()}
    if not 1 <= settings["batch_size"] <= 10_000:
        raise table.error("batch_size", "must be between 1 and 10000")
    if settings["ca_file"] is not None and base is not None:
        settings["ca_file"] = str(base / settings["ca_file"])
    if kind == "syslog":
        _check_syslog(table, settings)
    else:
        settings["url"] = _check_url(table, settings["url"], kind)
    if kind == "splunk_hec":
        _check_env_name(table, "token_env", settings["token_env"])
    if kind == "webhook":
        settings["headers_env"] = _check_headers(table, settings["headers_env"])
    return settings


def _typed(table: _Table, key: str, spec: _Key) -> Any:
    """The value of `key` checked against its type, or its default."""
    if key not in table.values:
        if spec.default is _REQUIRED:
            raise table.error(key, "missing required key")
        return dict(spec.default) if isinstance(spec.default, dict) else spec.default
    value = table.values[key]
    wrong_bool = isinstance(value, bool) and spec.kind is not bool
    if wrong_bool or not isinstance(value, spec.kind):
        expected = {dict: "table", bool: "boolean", int: "integer", str: "string"}[spec.kind]
        raise table.error(key, f"expected a {expected}, got {type(value).__name__}")
    if isinstance(value, str) and not value.strip():
        raise table.error(key, "must not be empty")
    return value


def _check_url(table: _Table, url: str, kind: str) -> str:
    """https anywhere, http only to loopback, no credentials in the URL itself."""
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError:
        raise table.error("url", "not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise table.error("url", "expected an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise table.error("url", "credentials do not belong in the URL; use token_env or headers_env")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise table.error("url", "plain http:// is only allowed to a loopback host; use https://")
    if kind == "splunk_hec" and parts.path in ("", "/"):
        url = parts._replace(path=HEC_DEFAULT_PATH).geturl()
    return url


def _check_syslog(table: _Table, settings: dict[str, Any]) -> None:
    """A known protocol, a valid port and facility, and TLS whenever the host is not loopback."""
    protocol = settings["protocol"]
    if protocol not in SYSLOG_PROTOCOLS:
        raise table.error("protocol", f"expected one of {', '.join(SYSLOG_PROTOCOLS)}")
    if protocol != "tls" and not is_loopback_host(settings["host"]):
        raise table.error("protocol", f"plaintext {protocol} is only allowed to a loopback host; use tls")
    if settings["port"] is None:
        settings["port"] = DEFAULT_SYSLOG_PORTS[protocol]
    if not 1 <= settings["port"] <= 65535:
        raise table.error("port", "must be between 1 and 65535")
    if not 0 <= settings["facility"] <= 23:
        raise table.error("facility", "must be between 0 and 23 (RFC 5424)")
    if not _APP_NAME.match(settings["app_name"]):
        raise table.error("app_name", "must be 1 to 48 printable ASCII characters without spaces (RFC 5424)")


def _check_env_name(table: _Table, key: str, value: str) -> None:
    """Only the NAME of an environment variable: a pasted secret fails here without being echoed."""
    if not _ENV_NAME.match(value):
        raise table.error(key, "must be the name of an environment variable (letters, digits, '_'), not a secret")


def _check_headers(table: _Table, headers: Mapping[str, Any]) -> dict[str, str]:
    """Header name -> environment variable name; framing headers stay ours."""
    checked = {}
    for header, env_name in headers.items():
        if not _HEADER_NAME.match(header) or header.lower() in RESERVED_HEADERS:
            raise table.error(f"headers_env.{header}", "not a header name this sink may set")
        if not isinstance(env_name, str):
            raise table.error(f"headers_env.{header}", f"expected a string, got {type(env_name).__name__}")
        _check_env_name(table, f"headers_env.{header}", env_name)
        checked[header] = env_name
    return checked
