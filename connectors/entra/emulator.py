"""A local Microsoft Graph emulator (stdlib only): the Entra connector's test and demo target, with faults and a log.

Serves /v1.0 and /beta on 127.0.0.1 from a Tenant: directory collections with $select/$top/$expand/$skiptoken paging,
agent identity casts, getByIds and JSON $batch, Graph's error bodies, and 401 without a bearer token (never stored).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from connectors.entra.emulator_batch import parse_batch, run_batch, split_version
from connectors.entra.emulator_faults import FaultPlan, RequestLog, RequestRecord
from connectors.entra.emulator_index import IndexCache
from connectors.entra.emulator_odata import GraphError, bad_request, method_not_allowed, not_found, parse_query
from connectors.entra.emulator_render import Call, Reply
from connectors.entra.emulator_routes import dispatch
from connectors.entra.emulator_tenant import Tenant
from connectors.loopback import LoopbackServer

__all__ = ["GraphEmulator", "RequestRecord", "Tenant"]

CONTENT_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
_BEARER = re.compile(r"Bearer\s+\S", re.IGNORECASE)
_CHALLENGE = {
    "WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"'
}


def error_reply(error: GraphError, client_request_id: str | None = None) -> Reply:
    """Graph's error body: {"error": {"code", "message", "innerError": {date, request-id, client-request-id}}}."""
    request_id = str(uuid.uuid4())
    inner = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": client_request_id or request_id,
    }
    return Reply(
        error.status,
        {"error": {"code": error.code, "message": error.message, "innerError": inner}},
        dict(error.headers),
    )


class GraphEmulator(LoopbackServer):
    """Microsoft Graph on loopback for one Tenant; use as a context manager or start()/stop()."""

    def __init__(self, tenant: Tenant | None = None, *, page_cap_with_expand: int = 100) -> None:
        self._cache = IndexCache(tenant if tenant is not None else Tenant())
        self.page_cap_with_expand = page_cap_with_expand
        self.url = ""
        self.thread_name = "graph-emulator"
        self._faults = FaultPlan()
        self._log = RequestLog()

    @property
    def tenant(self) -> Tenant:
        """The directory being served; it may be changed (or replaced) between requests."""
        return self._cache.tenant

    @tenant.setter
    def tenant(self, tenant: Tenant) -> None:
        self._cache = IndexCache(tenant)

    # lifecycle

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler bound to this emulator."""
        return _handler_class(self)

    # faults and log

    def inject(
        self,
        path_prefix: str,
        status: int,
        *,
        count: int = 1,
        retry_after: float | None = None,
        code: str | None = None,
    ) -> None:
        """Answer the next `count` requests (or $batch sub-requests) whose versionless path starts with path_prefix
        with `status`: 429 always carries Retry-After (default 1 s); 403 is Authorization_RequestDenied."""
        self._faults.inject(path_prefix, status, count, retry_after, code)

    def deny(self, path_prefix: str) -> None:
        """Answer every request under path_prefix with 403 Authorization_RequestDenied, until clear_faults()."""
        self._faults.deny(path_prefix)

    def clear_faults(self) -> None:
        """Remove injected and permanent faults."""
        self._faults.clear()

    def requests(self) -> list[RequestRecord]:
        """Every request answered so far, $batch sub-requests included (in_batch=True); never any header."""
        return self._log.records()

    def request_count(self, *, include_sub_requests: bool = False) -> int:
        """HTTP requests received (a $batch counts once unless include_sub_requests)."""
        return sum(1 for r in self._log.records() if include_sub_requests or not r.in_batch)

    def reset_log(self) -> None:
        """Forget the request log."""
        self._log.clear()

    # request processing

    def _run(self, method: str, version: str, path: str, query: str, body: bytes, in_batch: bool) -> Reply:
        """Faults, then routing, for one (sub-)request; logs it."""
        try:
            fault = self._faults.take(path)
            if fault is not None:
                raise fault
            call = Call(
                method,
                version,
                path,
                parse_query(query),
                body,
                self.url,
                self.page_cap_with_expand,
                self._cache.get(),
                self.tenant,
            )
            reply = dispatch(call)
        except GraphError as error:
            reply = error_reply(error)
        self._log.add(RequestRecord(method, path, query, reply.status, version, in_batch=in_batch))
        return reply

    def _batch(self, method: str, version: str, query: str, body: bytes) -> Reply:
        try:
            if method != "POST":
                raise method_not_allowed()
            fault = self._faults.take("/$batch")
            if fault is not None:
                raise fault
            if query:
                raise bad_request("Query options are not supported on $batch.")
            items = parse_batch(body, version)
        except GraphError as error:
            reply, size = error_reply(error), 0
        else:
            reply = run_batch(items, lambda m, v, p, q, b: self._run(m, v, p, q, b, True))
            size = len(items)
        self._log.add(RequestRecord(method, "/$batch", query, reply.status, version, is_batch=True, batch_size=size))
        return reply

    def handle(self, method: str, target: str, authorization: str | None, body: bytes) -> Reply:
        """Answer one HTTP request: `target` is the request line's path and query."""
        parts = urlsplit(target)
        found = split_version(parts.path)
        if found is None:
            reply = error_reply(not_found(parts.path))
            self._log.add(RequestRecord(method, parts.path, parts.query, reply.status, ""))
            return reply
        version, path = found
        if not authorization or not _BEARER.match(authorization):
            error = GraphError(401, "InvalidAuthenticationToken", "Access token is empty.", dict(_CHALLENGE))
            reply = error_reply(error)
            self._log.add(RequestRecord(method, path, parts.query, reply.status, version))
            return reply
        if path.lower() == "/$batch":
            return self._batch(method, version, parts.query, body)
        return self._run(method, version, path, parts.query, body, False)


def _handler_class(emulator: GraphEmulator) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to one emulator (HTTP/1.1 keep-alive, so SDK connection pools work)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "GraphEmulator/1.0"
        timeout = 60

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = emulator.handle(self.command, self.path, self.headers.get("Authorization"), body)
            payload = b"" if reply.body is None else json.dumps(reply.body, ensure_ascii=False).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("request-id", str(uuid.uuid4()))
            self.send_header("client-request-id", self.headers.get("client-request-id") or str(uuid.uuid4()))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:
            """Silent: the request log is emulator.requests(); headers (and so tokens) are never logged."""

    return Handler
