"""Delivery sinks against real listeners on 127.0.0.1: exactly-once through outages, CEF escaping, strict config."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import logging
import re
import socket
import socketserver
import ssl
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from reports.sinks import DeliveryResult, SinkConfig, deliver_all, parse_sinks
from reports.sinks.cef import escape_extension, escape_header
from scanner.errors import ConfigError

TOKEN = "11111111-2222-4333-8444-555555555555"
ENV = {"HEC_TOKEN": TOKEN}
HOSTILE = "evil|name=x \\ back\nCEF:0|forged|x|y|z|1|10|suser=root cs1=forged <script>alert(1)</script>\r\nnext=1"


def finding(
    number: int, scan_id: str | None = "scan-1", name: str = "agent", title: str = "Unregistered agent"
) -> dict[str, Any]:
    """A minimal OCSF Detection Finding, as the OCSF renderer emits it."""
    metadata: dict[str, Any] = {"event_code": "unregistered-agent", "product": {"name": "shadowsweep"}}
    if scan_id is not None:
        metadata["correlation_uid"] = scan_id
    return {
        "class_uid": 2004,
        "time": 1_767_225_600_000 + number,
        "severity_id": 4,
        "message": f"{name} has no registry record",
        "finding_info": {"uid": f"f{number:04d}", "title": title},
        "resources": [{"name": name, "uid": f"aws:role:arn:aws:iam::1:role/{number}"}],
        "metadata": metadata,
    }


def hec_sink(url: str, name: str = "splunk", **extra: Any) -> SinkConfig:
    """A validated HEC sink pointing at a test listener."""
    return parse_sinks({name: {"kind": "splunk_hec", "url": url, "token_env": "HEC_TOKEN", **extra}})[0]


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll until the listener has seen what the test expects, bounded."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


# --- HTTP listeners ----------------------------------------------------------------------------------------------


class Recorder(ThreadingHTTPServer):
    """An HEC- or webhook-compatible listener that answers from a script of statuses, then 200."""

    daemon_threads = True

    def __init__(
        self, mode: str, script: list[tuple[int, dict[str, str]]] | None = None, tls: ssl.SSLContext | None = None
    ) -> None:
        super().__init__(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self.server_bind()
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.mode, self.script = mode, list(script or [])
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}/services/collector/event"

    def start(self) -> Recorder:
        """Listen and serve; until then a connection is refused."""
        self.server_activate()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread is not None:
            self.shutdown()
            self.thread.join(5)
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    """Records accepted batches; a wrong token gets 403, as HEC does."""

    server: Recorder

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server = self.server
        with server.lock:
            server.requests.append((dict(self.headers.items()), body))
            status, headers = server.script.pop(0) if server.script else (200, {})
            if server.mode == "hec" and self.headers.get("Authorization") != f"Splunk {TOKEN}":
                status, headers = 403, {}
            if status == 200:
                server.events.extend(parse_hec(body) if server.mode == "hec" else parse_ndjson(body))
        payload = json.dumps({"text": "Success" if status == 200 else "Server busy", "code": 0}).encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def parse_hec(body: bytes) -> list[dict[str, Any]]:
    """Concatenated HEC event objects, as Splunk parses them."""
    decoder, text, index, found = json.JSONDecoder(), body.decode("utf-8"), 0, []
    while index < len(text):
        while index < len(text) and text[index].isspace():
            index += 1
        if index == len(text):
            break
        obj, index = decoder.raw_decode(text, index)
        assert isinstance(obj["time"], float) and obj["sourcetype"] == "ocsf:detection_finding"
        found.append(obj)
    return found


def parse_ndjson(body: bytes) -> list[dict[str, Any]]:
    """One JSON object per line, every line terminated."""
    text = body.decode("utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def listeners() -> Iterator[list[Recorder]]:
    """Every listener a test creates is stopped, even when the test fails."""
    created: list[Recorder] = []
    yield created
    for server in created:
        server.stop()


def new_listener(
    listeners: list[Recorder], mode: str = "hec", script: Any = None, start: bool = True, tls: Any = None
) -> Recorder:
    server = Recorder(mode, script, tls)
    listeners.append(server)
    return server.start() if start else server


def uids(events: list[dict[str, Any]]) -> list[str]:
    """Finding ids of received HEC wrappers or OCSF events."""
    return [(e.get("event") or e)["finding_info"]["uid"] for e in events]


# --- Splunk HEC --------------------------------------------------------------------------------------------------


def test_hec_delivers_events_with_scan_id_and_token(listeners: list[Recorder], tmp_path: Path) -> None:
    server = new_listener(listeners)
    events = [finding(i) for i in range(5)] + [finding(7, scan_id=None)]
    sink = hec_sink(server.url, index="security", batch_size=2)
    [result] = deliver_all([sink], events, scan_id="scan-1", spool_dir=tmp_path, environ=ENV)
    assert result == DeliveryResult("splunk", 6, 0, None)
    assert uids(server.events) == ["f0000", "f0001", "f0002", "f0003", "f0004", "f0007"]
    assert len(server.requests) == 3
    for wrapper in server.events:
        assert wrapper["event"]["metadata"]["correlation_uid"] == "scan-1"
        assert wrapper["index"] == "security" and wrapper["source"] == "shadowsweep"
    assert server.events[0]["time"] == pytest.approx(1_767_225_600.0)
    assert not list((tmp_path / "splunk").glob("pending-*"))


def test_hec_503_once_then_every_event_exactly_once(listeners: list[Recorder], tmp_path: Path) -> None:
    server = new_listener(listeners, script=[(503, {})])
    [result] = deliver_all([hec_sink(server.url)], [finding(i) for i in range(3)], scan_id="scan-1",
                           spool_dir=tmp_path, environ=ENV)  # fmt: skip
    assert result.error is None and result.delivered == 3
    assert uids(server.events) == ["f0000", "f0001", "f0002"]
    assert len(server.requests) == 2


def test_hec_not_yet_listening_on_first_connect(listeners: list[Recorder], tmp_path: Path) -> None:
    server = new_listener(listeners, start=False)
    threading.Timer(0.3, server.start).start()
    [result] = deliver_all([hec_sink(server.url)], [finding(i) for i in range(3)], scan_id="scan-1",
                           spool_dir=tmp_path, environ=ENV, timeout_budget=5)  # fmt: skip
    assert result.error is None and result.delivered == 3
    assert uids(server.events) == ["f0000", "f0001", "f0002"]


def test_hec_honours_retry_after(listeners: list[Recorder], tmp_path: Path) -> None:
    server = new_listener(listeners, script=[(429, {"Retry-After": "1"})])
    started = time.monotonic()
    [result] = deliver_all([hec_sink(server.url)], [finding(1)], scan_id="s", spool_dir=tmp_path, environ=ENV)
    assert result.error is None and time.monotonic() - started >= 0.95
    assert uids(server.events) == ["f0001"]


def test_hec_4xx_is_not_retried_and_is_spooled(listeners: list[Recorder], tmp_path: Path) -> None:
    server = new_listener(listeners, script=[(400, {})])
    [result] = deliver_all([hec_sink(server.url)], [finding(1)], scan_id="s", spool_dir=tmp_path, environ=ENV)
    assert len(server.requests) == 1 and result.spooled == 1
    assert result.error is not None and result.error.startswith("HTTP 400")


def test_hec_down_for_whole_run_spools_then_resends_first(
    listeners: list[Recorder], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = new_listener(listeners, start=False)
    sink = hec_sink(server.url, batch_size=2)
    first = [finding(i, "scan-1") for i in range(3)]
    [down] = deliver_all([sink], first, scan_id="scan-1", spool_dir=tmp_path, environ=ENV, timeout_budget=1)
    assert down.delivered == 0 and down.spooled == 3 and down.error
    assert TOKEN not in down.error
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "splunk" in warnings[0].getMessage()
    assert TOKEN not in caplog.text
    spool = tmp_path / "splunk" / "pending-scan-1.ndjson"
    assert stat.S_IMODE(spool.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "splunk").stat().st_mode) == 0o700
    for path in tmp_path.rglob("*"):
        assert path.is_dir() or TOKEN.encode() not in path.read_bytes()
    assert [json.loads(line)["finding_info"]["uid"] for line in spool.read_text().splitlines()] == uids(first)

    server.start()
    second = [finding(i, "scan-2") for i in range(2)] + [finding(0, "scan-1")]  # scan-1's f0000 again: deduped
    [up] = deliver_all([sink], second, scan_id="scan-2", spool_dir=tmp_path, environ=ENV)
    assert up == DeliveryResult("splunk", 5, 0, None)
    received = [(e["event"]["metadata"]["correlation_uid"], e["event"]["finding_info"]["uid"]) for e in server.events]
    assert received == [("scan-1", "f0000"), ("scan-1", "f0001"), ("scan-1", "f0002"),
                        ("scan-2", "f0000"), ("scan-2", "f0001")]  # fmt: skip
    assert not list((tmp_path / "splunk").glob("pending-*"))


def test_hec_partial_failure_spools_only_the_remainder(listeners: list[Recorder], tmp_path: Path) -> None:
    busy = (503, {"Retry-After": "0"})
    server = new_listener(listeners, script=[(200, {})] + [busy] * 5)
    sink = hec_sink(server.url, batch_size=2)
    events = [finding(i) for i in range(4)]
    [partial] = deliver_all([sink], events, scan_id="scan-1", spool_dir=tmp_path, environ=ENV, timeout_budget=3)
    assert (partial.delivered, partial.spooled) == (2, 2) and partial.error and "503" in partial.error
    assert uids(server.events) == ["f0000", "f0001"]
    [rest] = deliver_all([sink], [], scan_id="scan-2", spool_dir=tmp_path, environ=ENV)
    assert rest == DeliveryResult("splunk", 2, 0, None)
    assert uids(server.events) == ["f0000", "f0001", "f0002", "f0003"]


def test_hec_rerun_of_same_scan_never_duplicates(listeners: list[Recorder], tmp_path: Path) -> None:
    server = new_listener(listeners, script=[(400, {})])
    sink = hec_sink(server.url)
    events = [finding(1), finding(2), finding(1)]
    deliver_all([sink], events, scan_id="scan-1", spool_dir=tmp_path, environ=ENV)
    [again] = deliver_all([sink], events, scan_id="scan-1", spool_dir=tmp_path, environ=ENV)
    assert again == DeliveryResult("splunk", 2, 0, None)
    assert uids(server.events) == ["f0001", "f0002"]


def test_hec_missing_token_or_ca_file_spools_and_says_why(tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/services/collector/event"
    [result] = deliver_all([hec_sink(url)], [finding(1)], scan_id="s", spool_dir=tmp_path, environ={})
    assert result.spooled == 1 and result.error is not None and "HEC_TOKEN" in result.error
    https = hec_sink("https://127.0.0.1:9", "tls", ca_file=str(tmp_path / "missing.pem"))
    [result] = deliver_all([https], [finding(1)], scan_id="s", spool_dir=tmp_path, environ=ENV)
    assert result.spooled == 1 and result.error is not None and result.error.startswith("ca_file cannot be loaded")


def server_context(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A TLS server context with a throwaway certificate, and the certificate a client should trust."""
    cert, key = self_signed(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert


def test_hec_over_https_trusts_only_its_ca_file(listeners: list[Recorder], tmp_path: Path) -> None:
    context, cert = server_context(tmp_path)
    server = new_listener(listeners, tls=context)
    trusted = hec_sink(server.url, "trusted", ca_file=str(cert))
    untrusted = hec_sink(server.url, "untrusted")
    ok, bad = deliver_all([trusted, untrusted], [finding(1)], scan_id="s", spool_dir=tmp_path, environ=ENV)
    assert ok == DeliveryResult("trusted", 1, 0, None)
    assert bad.spooled == 1 and bad.error and "certificate verification failed" in bad.error
    assert uids(server.events) == ["f0001"]  # the untrusted attempt never sent its token


# --- deadlines ---------------------------------------------------------------------------------------------------


@pytest.fixture
def tarpit() -> Iterator[tuple[int, Callable[[bytes], None]]]:
    """A TCP listener that accepts and never answers, or drips `set_drip` bytes one at a time."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop, drip, held = threading.Event(), bytearray(), []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except OSError:
                pass
            if drip and held:
                for conn in held:
                    with contextlib.suppress(OSError):
                        conn.send(drip[:1])
                del drip[:1]
                time.sleep(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], drip.extend
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    listener.close()


def test_budget_bounds_a_listener_that_never_answers(tarpit: tuple[int, Any], tmp_path: Path) -> None:
    port, _ = tarpit
    sink = hec_sink(f"http://127.0.0.1:{port}/services/collector/event")
    started = time.monotonic()
    [result] = deliver_all([sink], [finding(1)], scan_id="s", spool_dir=tmp_path, environ=ENV, timeout_budget=2)
    elapsed = time.monotonic() - started
    assert 1.5 < elapsed < 3.0, elapsed
    assert result.spooled == 1 and result.error and "timed out" in result.error


def test_budget_bounds_a_slow_drip_response(tarpit: tuple[int, Callable[[bytes], None]], tmp_path: Path) -> None:
    port, set_drip = tarpit
    set_drip(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 20)
    sink = parse_sinks({"hook": {"kind": "webhook", "url": f"http://127.0.0.1:{port}/"}})[0]
    started = time.monotonic()
    [result] = deliver_all([sink], [finding(1)], scan_id="s", spool_dir=tmp_path, timeout_budget=1.5, environ={})
    assert time.monotonic() - started < 2.5
    assert result.spooled == 1 and result.error


def test_budget_bounds_stalled_tls_handshakes(tarpit: tuple[int, Any], tmp_path: Path) -> None:
    port, _ = tarpit
    syslog = {"kind": "syslog", "host": "127.0.0.1", "port": port, "protocol": "tls", "verify_tls": False}
    hec = {**syslog, "kind": "splunk_hec", "url": f"https://127.0.0.1:{port}", "token_env": "HEC_TOKEN"}
    del hec["host"], hec["port"], hec["protocol"]
    sinks = parse_sinks({"tls": syslog, "hec": hec})
    started = time.monotonic()
    results = deliver_all(sinks, [finding(1)], scan_id="s", spool_dir=tmp_path, timeout_budget=1.5, environ=ENV)
    assert time.monotonic() - started < 2.5  # sinks run in parallel, each within its own budget
    assert [(r.spooled, bool(r.error)) for r in results] == [(1, True), (1, True)]


# --- syslog + CEF ------------------------------------------------------------------------------------------------


class SyslogTcp(socketserver.ThreadingTCPServer):
    """Octet-counting receiver (RFC 6587), optionally behind TLS (RFC 5425)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), OctetHandler)
        self.context = context
        self.messages: list[str] = []
        self.refused: list[BaseException] = []

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that rejects our test certificate ends its handshake: expected, kept, not printed."""
        error = sys.exc_info()[1]
        if not isinstance(error, ssl.SSLError | ConnectionError):
            super().handle_error(request, client_address)  # anything else is a bug in the test server
        elif error is not None:
            self.refused.append(error)


class OctetHandler(socketserver.StreamRequestHandler):
    server: SyslogTcp

    def setup(self) -> None:
        if self.server.context is not None:
            self.request = self.server.context.wrap_socket(self.request, server_side=True)
        super().setup()

    def handle(self) -> None:
        while True:
            length = b""
            while (char := self.rfile.read(1)) not in (b" ", b""):
                assert char.isdigit(), f"bad frame length byte {char!r}"
                length += char
            if not length:
                return
            self.server.messages.append(self.rfile.read(int(length)).decode("utf-8"))


class SyslogUdp(socketserver.ThreadingUDPServer):
    """One datagram, one message."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), DatagramHandler)
        self.messages: list[str] = []


class DatagramHandler(socketserver.BaseRequestHandler):
    server: SyslogUdp

    def handle(self) -> None:
        self.server.messages.append(self.request[0].decode("utf-8"))


@pytest.fixture
def serve() -> Iterator[Callable[[socketserver.BaseServer], int]]:
    """Start a socketserver in a thread and return its port; stopped after the test."""
    started: list[tuple[socketserver.BaseServer, threading.Thread]] = []

    def start(server: socketserver.BaseServer) -> int:
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        started.append((server, thread))
        return int(server.server_address[1])  # type: ignore[index]

    yield start
    for server, thread in started:
        server.shutdown()
        thread.join(5)
        server.server_close()


RFC5424 = re.compile(r"^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\d+) (\S+) - (CEF:0\|.*)$", re.DOTALL)
_UNESCAPE = {"\\": "\\", "=": "=", "n": "\n", "r": "\r", "|": "|"}


def parse_cef(record: str) -> tuple[list[str], dict[str, str]]:
    """Split a CEF record the way a careful SIEM does: 7 header fields on unescaped pipes, then key=value pairs."""
    header: list[str] = []
    current, index = "", 0
    while len(header) < 7:
        char = record[index]
        if char == "\\":
            assert record[index + 1] in "\\|", "only \\\\ and \\| may be escaped in a CEF header"
            current, index = current + record[index + 1], index + 2
        elif char == "|":
            header, current, index = [*header, current], "", index + 1
        else:
            current, index = current + char, index + 1
    return header, parse_extension(record[index:])


def parse_extension(text: str) -> dict[str, str]:
    """Each unescaped `=` ends a key (letters and digits after a space); a value runs up to the next key."""
    equals, index = [], 0
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == "=":
            equals.append(index)
        index += 1
    starts = []
    for position in equals:
        match = re.search(r"(?:^| )([A-Za-z0-9]+)$", text[:position])
        assert match, f"unescaped '=' that is not after a key: {text[:position][-30:]!r}"
        starts.append((match.start(1), position))
    pairs = {}
    for number, (key_start, position) in enumerate(starts):
        end = starts[number + 1][0] - 1 if number + 1 < len(starts) else len(text)
        key = text[key_start:position]
        assert key not in pairs, f"duplicate key {key}"
        pairs[key] = re.sub(r"\\(.)", lambda m: _UNESCAPE[m.group(1)], text[position + 1 : end])
    return pairs


def check_syslog(messages: list[str], events: list[dict[str, Any]], scan_id: str) -> None:
    """Every message parses as RFC 5424 + CEF and every extension value round-trips exactly."""
    assert len(messages) == len(events)
    for message, event in zip(messages, events, strict=True):
        assert "\n" not in message and "\r" not in message
        match = RFC5424.match(message)
        assert match, message
        pri, timestamp, _host, app, _pid, msgid, record = match.groups()
        assert int(pri) == 10 * 8 + 3 and app == "shadowsweep" and msgid == "unregistered-agent"
        assert dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).tzinfo is not None
        header, extension = parse_cef(record)
        assert header[:3] == ["CEF:0", "shadowsweep", "shadowsweep"]
        assert header[4:] == ["unregistered-agent", event["finding_info"]["title"], "8"]
        assert extension == {
            "externalId": event["finding_info"]["uid"],
            "cs1Label": "scanId",
            "cs1": scan_id,
            "rt": str(event["time"]),
            "suser": event["resources"][0]["name"],
            "cs2Label": "identity",
            "cs2": event["resources"][0]["uid"],
            "msg": event["message"],
        }


def hostile_events() -> list[dict[str, Any]]:
    """Plain names, and a display name and title built to forge fields and split records."""
    return [
        finding(1, None),
        finding(2, None, name=HOSTILE, title="Unregistered agent a|b\\c|7|forged"),
        finding(3, None, name="="),
    ]


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_syslog_cef_survives_hostile_names(
    protocol: str, serve: Callable[[socketserver.BaseServer], int], tmp_path: Path
) -> None:
    server: SyslogTcp | SyslogUdp = SyslogTcp() if protocol == "tcp" else SyslogUdp()
    port = serve(server)
    sink = parse_sinks({"cef": {"kind": "syslog", "host": "127.0.0.1", "port": port, "protocol": protocol}})[0]
    events = hostile_events()
    [result] = deliver_all([sink], events, scan_id="scan-9", spool_dir=tmp_path, environ={})
    assert result == DeliveryResult("cef", 3, 0, None)
    assert wait_for(lambda: len(server.messages) >= 3)
    time.sleep(0.05)
    check_syslog(server.messages, events, "scan-9")


def test_syslog_tls_with_ca_file(serve: Callable[[socketserver.BaseServer], int], tmp_path: Path) -> None:
    context, cert = server_context(tmp_path)
    server = SyslogTcp(context)
    port = serve(server)
    table = {"kind": "syslog", "host": "127.0.0.1", "port": port, "ca_file": str(cert)}
    events = hostile_events()
    [result] = deliver_all(parse_sinks({"tls": table}), events, scan_id="scan-9", spool_dir=tmp_path, environ={})
    assert result.error is None and result.delivered == 3
    assert wait_for(lambda: len(server.messages) >= 3)
    check_syslog(server.messages, events, "scan-9")


def test_syslog_tls_rejects_an_unknown_certificate(
    serve: Callable[[socketserver.BaseServer], int], tmp_path: Path
) -> None:
    context, _cert = server_context(tmp_path)
    port = serve(SyslogTcp(context))
    sink = parse_sinks({"tls": {"kind": "syslog", "host": "127.0.0.1", "port": port}})[0]
    started = time.monotonic()
    [result] = deliver_all([sink], [finding(1)], scan_id="s", spool_dir=tmp_path, environ={})
    assert result.error and "certificate verification failed" in result.error and result.spooled == 1
    assert time.monotonic() - started < 1.0  # a bad certificate is not retried


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_cef_escaping_rules() -> None:
    assert escape_header("a|b\\c\nd\re") == "a\\|b\\\\c d e"
    assert escape_extension("a=b\\c\nd\re|f") == "a\\=b\\\\c\\nd\\re|f"
    assert escape_extension("x\x1b[31m\u2028y\x00") == "x [31m y "


# --- webhook -----------------------------------------------------------------------------------------------------


def test_webhook_ndjson_with_auth_header_from_env(listeners: list[Recorder], tmp_path: Path) -> None:
    server = new_listener(listeners, mode="ndjson")
    table = {"kind": "webhook", "url": f"http://localhost:{server.server_address[1]}/hook",
             "headers_env": {"X-Api-Key": "HOOK_KEY"}, "batch_size": 10}  # fmt: skip
    events = [finding(i) for i in range(12)]
    environ = {"HOOK_KEY": "hook-secret-value"}
    [result] = deliver_all(parse_sinks({"hook": table}), events, scan_id="scan-1", spool_dir=tmp_path, environ=environ)
    assert result == DeliveryResult("hook", 12, 0, None)
    assert uids(server.events) == uids(events)
    assert all(e["metadata"]["correlation_uid"] == "scan-1" for e in server.events)
    for headers, _body in server.requests:
        assert headers["Content-Type"] == "application/x-ndjson"
        assert headers["X-Api-Key"] == "hook-secret-value"
        assert re.fullmatch(r"[0-9a-f]{32}", headers["Idempotency-Key"])
    assert [body.count(b"\n") for _, body in server.requests] == [10, 2]


# --- config ------------------------------------------------------------------------------------------------------

HEC = {"kind": "splunk_hec", "url": "https://splunk.example.com:8088", "token_env": "HEC_TOKEN"}


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ({**HEC, "tokn": "x"}, "sinks.siem.tokn"),
        ({**HEC, "batch_size": "10"}, "sinks.siem.batch_size"),
        ({**HEC, "verify_tls": 1}, "sinks.siem.verify_tls"),
        ({**HEC, "batch_size": True}, "sinks.siem.batch_size"),
        ({"kind": "splunk_hec", "url": "https://splunk:8088"}, "sinks.siem.token_env"),
        ({**HEC, "url": "http://splunk.example.com:8088"}, "sinks.siem.url"),
        ({**HEC, "url": "http://10.0.0.8:8088"}, "sinks.siem.url"),
        ({**HEC, "url": "https://user:pw@splunk:8088"}, "sinks.siem.url"),
        ({**HEC, "kind": "kafka"}, "sinks.siem.kind"),
        ({"url": "https://x"}, "sinks.siem.kind"),
        ({"kind": "syslog", "host": "siem.example.com", "protocol": "udp"}, "sinks.siem.protocol"),
        ({"kind": "syslog", "host": "127.0.0.1", "protocol": "rfc3164"}, "sinks.siem.protocol"),
        ({"kind": "syslog", "host": "127.0.0.1", "port": 70000}, "sinks.siem.port"),
        ({"kind": "webhook", "url": "http://hooks.example.com/x"}, "sinks.siem.url"),
        (
            {"kind": "webhook", "url": "https://h", "headers_env": {"Content-Type": "X"}},
            "sinks.siem.headers_env.Content-Type",
        ),
        ({"kind": "webhook", "url": "https://h", "headers_env": {"X-Key": 3}}, "sinks.siem.headers_env.X-Key"),
    ],
)
def test_config_errors_name_the_key(table: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_sinks({"siem": table}, file="shadowsweep.toml", line_of=lambda dotted: 12 if dotted == field else None)
    assert caught.value.field == field
    assert caught.value.file == "shadowsweep.toml" and caught.value.line == 12


def test_config_never_echoes_a_pasted_secret() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_sinks({"siem": {**HEC, "token_env": TOKEN}})
    assert caught.value.field == "sinks.siem.token_env" and TOKEN not in str(caught.value)


def test_config_defaults_and_loopback_plaintext() -> None:
    hec, syslog, hook = parse_sinks(
        {
            "hec": HEC,
            "local": {"kind": "syslog", "host": "::1", "protocol": "udp"},
            "hook": {"kind": "webhook", "url": "http://127.0.0.2:9000/x"},
        },
        file="/etc/shadowsweep/shadowsweep.toml",
    )
    assert hec.settings["url"] == "https://splunk.example.com:8088/services/collector/event"
    assert (hec.settings["sourcetype"], hec.settings["batch_size"], hec.settings["verify_tls"]) == (
        "ocsf:detection_finding", 100, True,
    )  # fmt: skip
    assert (syslog.settings["port"], syslog.settings["facility"], syslog.settings["app_name"]) == (
        514,
        10,
        "shadowsweep",
    )
    assert parse_sinks({"s": {"kind": "syslog", "host": "siem"}})[0].settings["port"] == 6514
    assert hook.kind == "webhook" and hook.settings["headers_env"] == {}
    ca = parse_sinks({"h": {**HEC, "ca_file": "ca.pem"}}, file="/etc/shadowsweep/shadowsweep.toml")[0]
    assert ca.settings["ca_file"] == "/etc/shadowsweep/ca.pem"


def test_only_restricts_and_rejects_unknown_sinks(listeners: list[Recorder], tmp_path: Path) -> None:
    server = new_listener(listeners)
    sinks = [hec_sink(server.url, "a"), hec_sink("https://unreachable.invalid:8088", "b")]
    with pytest.raises(ConfigError) as caught:
        deliver_all(sinks, [finding(1)], scan_id="s", spool_dir=tmp_path, only={"c"}, environ=ENV)
    assert "'c'" in str(caught.value)
    results = deliver_all(sinks, [finding(1)], scan_id="s", spool_dir=tmp_path, only={"a"}, environ=ENV)
    assert results == [DeliveryResult("a", 1, 0, None)]
    assert not (tmp_path / "b").exists()
