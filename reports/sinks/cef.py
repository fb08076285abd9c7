"""CEF records in RFC 5424 syslog frames; display names are attacker-controlled, so every field is escaped."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from scanner import __version__

VENDOR = "shadowsweep"
PRODUCT = "shadowsweep"

# OCSF severity_id -> CEF 0-10 (ArcSight bands: 0-3 low, 4-6 medium, 7-8 high, 9-10 very high).
CEF_SEVERITY = {0: 0, 1: 1, 2: 3, 3: 5, 4: 8, 5: 10, 6: 10}
# OCSF severity_id -> RFC 5424 severity (2 critical, 3 error, 4 warning, 5 notice, 6 informational).
SYSLOG_SEVERITY = {1: 6, 2: 5, 3: 4, 4: 3, 5: 2, 6: 2}

# C0 controls, DEL, NEL and the Unicode line and paragraph separators; CR and LF are handled on their own.
_CONTROLS = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029]")
_NEWLINES = re.compile("[\r\n]")
_PRINTUSASCII = re.compile(r"[^\x21-\x7e]")
_HEADER_LIMIT = 512
_VALUE_LIMIT = 1023


def _text(value: Any) -> str:
    """A field as text; absent fields become the empty string."""
    return "" if value is None else str(value)


def escape_header(value: Any) -> str:
    """A CEF header field: `\\` and `|` escaped; line breaks and controls cannot survive into a header."""
    text = _NEWLINES.sub(" ", _CONTROLS.sub(" ", _text(value)))[:_HEADER_LIMIT]
    return text.replace("\\", "\\\\").replace("|", "\\|")


def escape_extension(value: Any) -> str:
    """A CEF extension value: `\\`, `=`, CR and LF escaped so a value can neither add a key nor end the record."""
    text = _CONTROLS.sub(" ", _text(value))[:_VALUE_LIMIT]
    text = text.replace("\\", "\\\\").replace("=", "\\=")
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _get(mapping: Any, *path: str) -> Any:
    """A nested value, or None when any step is missing or not a mapping."""
    for key in path:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def _resource(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The first resource: the identity the finding is about."""
    resources = event.get("resources")
    if isinstance(resources, list) and resources and isinstance(resources[0], Mapping):
        return resources[0]
    return {}


def rule_id(event: Mapping[str, Any]) -> str:
    """The rule that produced the finding."""
    return _text(_get(event, "metadata", "event_code") or _get(event, "finding_info", "analytic", "uid")) or "finding"


def cef_record(event: Mapping[str, Any]) -> str:
    """One finding as one CEF:0 record; scan id and finding id always present so SIEMs can correlate and dedupe."""
    severity = event.get("severity_id")
    header = [
        "CEF:0",
        escape_header(VENDOR),
        escape_header(PRODUCT),
        escape_header(_get(event, "metadata", "product", "version") or __version__),
        escape_header(rule_id(event)),
        escape_header(_get(event, "finding_info", "title") or rule_id(event)),
        str(CEF_SEVERITY.get(severity, 0) if isinstance(severity, int) else 0),
    ]
    resource = _resource(event)
    pairs = [
        ("externalId", _get(event, "finding_info", "uid")),
        ("cs1Label", "scanId"),
        ("cs1", _get(event, "metadata", "correlation_uid")),
        ("rt", event.get("time")),
        ("suser", resource.get("name")),
        ("cs2Label", "identity"),
        ("cs2", resource.get("uid")),
        ("msg", event.get("message")),
    ]
    extension = " ".join(f"{key}={escape_extension(value)}" for key, value in pairs if _text(value))
    return "|".join(header) + "|" + extension


def _timestamp(event: Mapping[str, Any]) -> str:
    """RFC 5424 TIMESTAMP of the finding (OCSF `time` is in milliseconds), or now."""
    millis = event.get("time")
    if isinstance(millis, int | float) and not isinstance(millis, bool) and millis > 0:
        when = dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)
    else:
        when = dt.datetime.now(tz=dt.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def header_token(value: str, limit: int) -> str:
    """An RFC 5424 header token: printable ASCII without spaces, or the NILVALUE `-`."""
    token = _PRINTUSASCII.sub("", value)[:limit]
    return token or "-"


def syslog_message(event: Mapping[str, Any], *, app_name: str, facility: int, hostname: str, procid: int) -> str:
    """`<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - CEF`, without structured data."""
    severity = event.get("severity_id")
    level = SYSLOG_SEVERITY.get(severity, 5) if isinstance(severity, int) else 5
    parts = [
        f"<{facility * 8 + level}>1",
        _timestamp(event),
        header_token(hostname, 255),
        header_token(app_name, 48),
        str(procid),
        header_token(rule_id(event), 32),
        "-",
        cef_record(event),
    ]
    return " ".join(parts)


def octet_frame(message: str) -> bytes:
    """RFC 6587 octet counting: `LEN SP MSG`, so no byte of MSG can end the frame early."""
    data = message.encode("utf-8")
    return str(len(data)).encode("ascii") + b" " + data
