"""Syslog delivery: RFC 5424 + CEF, octet-counted over TCP or TLS (RFC 6587, 5425), one UDP datagram per event."""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Callable, Mapping
from typing import Any

from .cef import octet_frame, syslog_message
from .httpsink import tls_context
from .retry import Deadline, DeliveryError, describe, with_retries

Event = dict[str, Any]


class SyslogTransport:
    """One connection reused across batches; a broken connection is reopened on the next attempt."""

    def __init__(self, settings: Mapping[str, Any], hostname: str | None = None) -> None:
        self.settings = settings
        self.protocol: str = settings["protocol"]
        self.host: str = settings["host"]
        self.port: int = settings["port"]
        self.hostname = hostname or socket.gethostname()
        self.procid = os.getpid()
        self.context = tls_context(settings["verify_tls"], settings["ca_file"]) if self.protocol == "tls" else None
        self.sock: socket.socket | None = None

    def message(self, event: Event) -> str:
        """The RFC 5424 line for one event."""
        return syslog_message(
            event,
            app_name=self.settings["app_name"],
            facility=self.settings["facility"],
            hostname=self.hostname,
            procid=self.procid,
        )

    def send(self, batch: list[Event], deadline: Deadline) -> None:
        """Deliver one batch or raise DeliveryError; UDP resumes after the last datagram that went out."""
        messages = [self.message(event) for event in batch]
        if self.protocol == "udp":
            pending = [message.encode("utf-8") for message in messages]
            with_retries(lambda: self._guarded(deadline, lambda sock: _send_datagrams(sock, pending)), deadline)
        else:
            payload = b"".join(octet_frame(message) for message in messages)
            with_retries(lambda: self._guarded(deadline, lambda sock: sock.sendall(payload)), deadline)

    def _guarded(self, deadline: Deadline, action: Callable[[socket.socket], object]) -> None:
        """Connect if needed and run `action` with the socket timeout set to what is left of the budget."""
        try:
            sock = self._connect(deadline)
            sock.settimeout(max(deadline.remaining(), 0.001))
            action(sock)
        except OSError as exc:
            self.close()
            reason = "timed out" if deadline.expired() else describe(exc)
            raise DeliveryError(reason, retryable=not isinstance(exc, ssl.SSLCertVerificationError)) from None

    def _connect(self, deadline: Deadline) -> socket.socket:
        """The open socket, or a new one; connect and TLS handshake are both bounded by the deadline."""
        if self.sock is not None:
            return self.sock
        remaining = deadline.remaining()
        if remaining <= 0:
            raise TimeoutError("delivery budget spent")
        if self.protocol == "udp":
            family, kind, proto, _name, address = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_DGRAM)[0]
            sock = socket.socket(family, kind, proto)
            sock.connect(address)
        else:
            sock = socket.create_connection((self.host, self.port), timeout=remaining)
            if self.context is not None:
                sock.settimeout(max(deadline.remaining(), 0.001))
                try:
                    sock = self.context.wrap_socket(sock, server_hostname=self.host)
                except BaseException:
                    sock.close()
                    raise
        self.sock = sock
        return sock

    def close(self) -> None:
        """Half-close then close, so the receiver sees a clean end of stream."""
        sock, self.sock = self.sock, None
        if sock is None:
            return
        try:
            if self.protocol != "udp":
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            sock.close()


def _send_datagrams(sock: socket.socket, pending: list[bytes]) -> None:
    """One datagram per message, dropping each from `pending` once sent so a retry never repeats it."""
    while pending:
        sock.send(pending[0])
        pending.pop(0)
