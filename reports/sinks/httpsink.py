"""Splunk HEC and NDJSON webhook delivery over http.client, bounded by a deadline however slow the listener."""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import http.client
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from scanner import __version__

from .retry import Deadline, DeliveryError, describe, one_line, with_retries

Event = dict[str, Any]
_BODY_PEEK = 4096


def tls_context(verify: bool, ca_file: str | None) -> ssl.SSLContext:
    """Verified TLS by default (system store, or `ca_file`); `verify_tls = false` is the explicit opt-out."""
    try:
        context = ssl.create_default_context(cafile=ca_file if verify else None)
    except OSError as exc:  # ssl.SSLError included: a missing or malformed CA bundle
        raise DeliveryError(f"ca_file cannot be loaded ({describe(exc)})") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def secret_from_env(environ: Mapping[str, str], name: str, what: str) -> str:
    """A secret by environment-variable name; the reason names the variable, never the value."""
    value = environ.get(name, "")
    if not value:
        raise DeliveryError(f"environment variable {name} (for {what}) is not set")
    if any(ch in value for ch in "\r\n\0"):
        raise DeliveryError(f"environment variable {name} (for {what}) holds a line break or NUL")
    return value


def hec_body(events: list[Event], settings: Mapping[str, Any]) -> bytes:
    """Concatenated HEC event objects; HEC `time` is epoch seconds while OCSF `time` is milliseconds."""
    chunks = []
    for event in events:
        millis = event.get("time")
        seconds = millis / 1000 if isinstance(millis, int | float) and not isinstance(millis, bool) else time.time()
        wrapper: dict[str, Any] = {"time": seconds, "sourcetype": settings["sourcetype"], "source": settings["source"]}
        if settings.get("index"):
            wrapper["index"] = settings["index"]
        wrapper["event"] = event
        chunks.append(json.dumps(wrapper, ensure_ascii=False, separators=(",", ":"), default=str))
    return "".join(chunks).encode("utf-8")


def ndjson_body(events: list[Event], settings: Mapping[str, Any]) -> bytes:
    """One OCSF event per line."""
    lines = (json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=str) + "\n" for event in events)
    return "".join(lines).encode("utf-8")


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _abort(connection: http.client.HTTPConnection) -> None:
    """Watchdog: shut the socket so a blocked read returns now, whatever the server is doing."""
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class HttpTransport:
    """POSTs batches to one URL; retries 429, 5xx and connection errors, never other 4xx."""

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str],
        encode: Callable[[list[Event], Mapping[str, Any]], bytes],
        settings: Mapping[str, Any],
        secrets: tuple[str, ...],
        idempotency: bool = False,
    ) -> None:
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname or "", parts.port
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.headers = {"User-Agent": f"shadowsweep/{__version__}", **headers}
        self.encode, self.settings, self.secrets = encode, settings, secrets
        self.context = tls_context(settings["verify_tls"], settings["ca_file"]) if self.https else None
        self.idempotency = idempotency and not any(name.lower() == "idempotency-key" for name in headers)

    def send(self, batch: list[Event], deadline: Deadline) -> None:
        """Deliver one batch or raise DeliveryError; the same bytes go out on every retry."""
        body = self.encode(batch, self.settings)
        headers = dict(self.headers)
        if self.idempotency:
            headers["Idempotency-Key"] = hashlib.sha256(body).hexdigest()[:32]
        with_retries(lambda: self._post(body, headers, deadline), deadline)

    def close(self) -> None:
        """Nothing to release: every attempt uses its own connection."""

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        """A fresh connection; no redirects are ever followed, so the token cannot be sent elsewhere."""
        if self.context is not None:
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.context)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def _post(self, body: bytes, headers: Mapping[str, str], deadline: Deadline) -> None:
        """One attempt under a watchdog that closes the socket when the deadline passes."""
        remaining = deadline.remaining()
        if remaining <= 0:
            raise DeliveryError("timed out")
        connection = self._connection(remaining)
        watchdog = threading.Timer(remaining, _abort, args=(connection,))
        watchdog.daemon = True
        watchdog.start()
        try:
            connection.request("POST", self.target, body=body, headers=dict(headers))
            response = connection.getresponse()
            status, retry_after = response.status, response.getheader("Retry-After")
            peek = response.read(_BODY_PEEK) if not 200 <= status < 300 else b""
        except (OSError, http.client.HTTPException) as exc:
            reason = "timed out" if deadline.expired() else describe(exc)
            raise DeliveryError(reason, retryable=not isinstance(exc, ssl.SSLCertVerificationError)) from None
        finally:
            watchdog.cancel()
            connection.close()
        if not 200 <= status < 300:
            self._fail(status, retry_after, peek)

    def _fail(self, status: int, retry_after: str | None, peek: bytes) -> None:
        """Turn a non-2xx answer into a DeliveryError, retryable only for 429 and 5xx."""
        detail = ""
        try:
            text = json.loads(peek.decode("utf-8")).get("text")
            detail = f": {one_line(str(text), self.secrets, 80)}" if text else ""
        except (ValueError, AttributeError):
            pass
        retryable = status == 429 or status >= 500
        wait = _retry_after(retry_after) if retryable else None
        raise DeliveryError(f"HTTP {status}{detail}", retryable=retryable, retry_after=wait)


def hec_transport(settings: Mapping[str, Any], environ: Mapping[str, str]) -> HttpTransport:
    """Splunk HEC: `Authorization: Splunk <token>`, the token read from the named variable at send time."""
    token = secret_from_env(environ, settings["token_env"], "token_env")
    headers = {"Authorization": f"Splunk {token}", "Content-Type": "application/json"}
    return HttpTransport(settings["url"], headers, hec_body, settings, (token,))


def webhook_transport(settings: Mapping[str, Any], environ: Mapping[str, str]) -> HttpTransport:
    """Generic webhook: NDJSON, with auth headers whose values come from environment variables."""
    headers = {
        name: secret_from_env(environ, var, f"headers_env.{name}") for name, var in settings["headers_env"].items()
    }
    headers["Content-Type"] = "application/x-ndjson"
    secrets = tuple(value for name, value in headers.items() if name != "Content-Type")
    return HttpTransport(settings["url"], headers, ndjson_body, settings, secrets, idempotency=True)
