"""Translate Google API errors into gap reasons at the SDK boundary."""

from __future__ import annotations

import requests
from google.api_core import exceptions as gexc

from scanner.model import GapReason

# What callers catch around every Google call; anything else is a bug and propagates.
API_ERRORS = (gexc.GoogleAPICallError, gexc.RetryError, requests.RequestException)


def disabled(exc: BaseException) -> bool:
    """Whether the API is not enabled for the project (SERVICE_DISABLED), which is 'unsupported', not 'denied'."""
    reason = getattr(exc, "reason", None)
    text = str(exc)
    return reason == "SERVICE_DISABLED" or "SERVICE_DISABLED" in text or "has not been used in project" in text


def gap_reason(exc: BaseException) -> GapReason:
    """The gap reason for a Google API error."""
    if disabled(exc):
        return GapReason.UNSUPPORTED
    if isinstance(exc, gexc.TooManyRequests | gexc.ResourceExhausted | gexc.RetryError):
        return GapReason.THROTTLED
    if isinstance(exc, gexc.Forbidden | gexc.PermissionDenied | gexc.Unauthorized | gexc.Unauthenticated):
        return GapReason.DENIED
    if isinstance(exc, gexc.NotFound | gexc.MethodNotImplemented | gexc.BadRequest):
        return GapReason.UNSUPPORTED
    return GapReason.ERROR


def gap_detail(exc: BaseException) -> str:
    """A short, secret-free description."""
    if isinstance(exc, gexc.GoogleAPICallError):
        return f"HTTP {exc.code} {exc.message}"[:300]
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
