"""Logging that cannot leak secrets: SDK wire loggers pinned down, and a redaction filter."""

from __future__ import annotations

import logging
import re
import sys

# SDK loggers that print headers, signed requests or bodies at DEBUG: session tokens, bearer tokens, env values.
WIRE_LOGGERS = (
    "botocore",
    "boto3",
    "s3transfer",
    "urllib3",
    "hpack",
    "h2",
    "httpx",
    "httpcore",
    "azure",
    "msal",
    "kiota_http",
    "google",
    "grpc",
    "requests",
    "werkzeug",
    "moto",
)

_PATTERNS = (
    re.compile(
        r"(?i)(x-amz-security-token|authorization|x-api-key|api[-_]?key|client[-_]?secret|password|"
        r"secret[-_]?access[-_]?key|session[-_]?token|token)(\s*[:=]\s*|\"\s*:\s*\")([^\s,;\"']+)"
    ),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
    re.compile(r"\b(sk-(?:ant-|proj-)?[A-Za-z0-9_-]{8,}|ABSK[A-Za-z0-9+/=]{16,}|ASIA[A-Z0-9]{16})\b"),
)


def redact(text: str) -> str:
    """Mask anything shaped like a secret."""
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)}{m.group(2)}[REDACTED]", text)
    for pattern in _PATTERNS[1:]:
        text = pattern.sub("[REDACTED]", text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's final message through `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(level: int) -> None:
    """Our loggers at `level`; SDK wire loggers never below WARNING, whatever the level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    pin_wire_loggers()


def pin_wire_loggers() -> None:
    """Keep SDK debug output (tokens, signed headers, response bodies) out of every log."""
    for name in WIRE_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
