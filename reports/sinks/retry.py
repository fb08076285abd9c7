"""Bounded retries under one deadline, and failure reasons that are one line and free of secrets."""

from __future__ import annotations

import http.client
import random
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable

from scanner.logsafe import redact

MAX_ATTEMPTS = 5
BACKOFF_BASE = 0.25
BACKOFF_CAP = 4.0
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


class DeliveryError(Exception):
    """A batch did not reach its sink; `reason` is one line and carries no secret."""

    def __init__(self, reason: str, *, retryable: bool = False, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


class Deadline:
    """A monotonic end time shared by every attempt of one sink's delivery, so a slow sink cannot stall a run."""

    def __init__(self, seconds: float) -> None:
        self.budget = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        """True once the budget is spent."""
        return self.remaining() <= 0.0


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter, capped, so retries neither hammer a sink nor wait forever."""
    return float(min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt) * random.uniform(0.5, 1.0))


def with_retries(attempt: Callable[[], None], deadline: Deadline) -> None:
    """Run `attempt` until it succeeds, fails for good, runs out of attempts, or would outlive the deadline."""
    for number in range(MAX_ATTEMPTS):
        try:
            attempt()
            return
        except DeliveryError as error:
            if deadline.expired():
                raise DeliveryError(f"{error.reason}; delivery budget of {deadline.budget:g} s spent") from None
            if not error.retryable or number == MAX_ATTEMPTS - 1:
                raise
            wait = error.retry_after if error.retry_after is not None else backoff(number)
            if wait >= deadline.remaining():
                raise DeliveryError(f"{error.reason}; no budget left to retry after {wait:.1f} s") from None
            time.sleep(wait)


def describe(exc: BaseException) -> str:
    """A short, stable reason for a transport exception, without echoing request data."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate verification failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or type(exc).__name__}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "host name did not resolve"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    if isinstance(exc, http.client.HTTPException):
        return f"bad HTTP response ({type(exc).__name__})"
    return type(exc).__name__


def one_line(text: str, secrets: Iterable[str] = (), limit: int = 200) -> str:
    """Collapse to one printable line, mask known secret values and anything shaped like one."""
    for secret in secrets:
        if len(secret) >= 6:  # masking a one-letter "secret" would garble the reason and protect nothing
            text = text.replace(secret, "[REDACTED]")
    text = redact(_UNPRINTABLE.sub(" ", text)).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."
