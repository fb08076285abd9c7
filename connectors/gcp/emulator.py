"""A local Google Cloud REST emulator (stdlib only): the GCP connector's test and demo target, with faults and a log.

One base URL serves Resource Manager v3, IAM v1, API Keys v2, Cloud Asset v1 and Policy Analyzer v1 for an `Org`:
proto3 JSON, opaque page tokens, google.rpc.Status errors (401 without a bearer token, which is never stored), 403
IAM_PERMISSION_DENIED or SERVICE_DISABLED, 429 RESOURCE_EXHAUSTED. The consumer project of a call (whose enabled
APIs and quota apply) is the X-Goog-User-Project header's, else the project the path names, else `org.quota_project`
(default: the first project). Unknown projects, folders and organizations answer 403 "(or it may not exist)", as GCP
does; unknown accounts, pools and methods under them answer 404.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from connectors.gcp.emulator_call import Call, parse_params
from connectors.gcp.emulator_faults import (
    FaultPlan,
    GcpError,
    RequestLog,
    RequestRecord,
    injected,
    invalid_argument,
    not_found,
    permission_denied,
    service_disabled,
    unauthenticated,
)
from connectors.gcp.emulator_model import Project
from connectors.gcp.emulator_org import Org
from connectors.gcp.emulator_routes import Route, api_of, find_route, project_ref
from connectors.loopback import LoopbackServer

__all__ = ["GcpEmulator", "Org", "RequestRecord"]

CONTENT_TYPE = "application/json; charset=UTF-8"
_BEARER = re.compile(r"Bearer\s+\S", re.IGNORECASE)
_ACCESS_TOKEN = re.compile(r"(^|&)access_token=[^&]*")


@dataclass
class Reply:
    """An HTTP answer: status, JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Incoming:
    """The parts of an HTTP request the emulator reads (the Authorization value is checked, never kept)."""

    method: str
    target: str
    authorization: str | None = None
    user_project: str | None = None
    body: bytes = b""


class GcpEmulator(LoopbackServer):
    """Google Cloud REST APIs on loopback for one Org; use as a context manager or start()/stop()."""

    def __init__(self, org: Org | None = None) -> None:
        self.org = org if org is not None else Org()
        self.url = ""
        self.thread_name = "gcp-emulator"
        self._faults = FaultPlan()
        self._log = RequestLog()

    # lifecycle

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler bound to this emulator."""
        return _handler_class(self)

    # faults and log

    def inject(self, path_prefix: str, status: int, *, count: int = 1, reason: str | None = None) -> None:
        """Fail the next `count` requests whose decoded path starts with path_prefix (429: RESOURCE_EXHAUSTED)."""
        self._faults.inject(path_prefix, status, count, reason)

    def deny(self, path_prefix: str) -> None:
        """Answer every request under path_prefix with 403 IAM_PERMISSION_DENIED until clear_faults()."""
        self._faults.deny(path_prefix)

    def disable_api(self, service: str, project: str | None = None) -> None:
        """Answer 403 SERVICE_DISABLED for `service` when one project (id or number), or any, is the consumer."""
        found = self.org.project(project) if project is not None else None
        self._faults.disable(service, found.project_id if found else project)

    def clear_faults(self) -> None:
        """Remove injected and permanent faults and re-enable disabled APIs."""
        self._faults.clear()

    def requests(self) -> list[RequestRecord]:
        """Every request answered so far, in order; never any header."""
        return self._log.records()

    def request_count(self, api: str | None = None) -> int:
        """Requests received, all of them or those of one API ("iam", "cloudasset", ...)."""
        return sum(1 for r in self._log.records() if api is None or r.api == api)

    def reset_log(self) -> None:
        """Forget the request log."""
        self._log.clear()

    # request processing

    def handle(self, request: Incoming) -> Reply:
        """Answer one HTTP request and log it (without its headers)."""
        parts = urlsplit(request.target)
        path = unquote(parts.path)
        found = find_route(request.method, path)
        project = self._project_named(found[1]) if found else None
        try:
            reply = self._answer(request, path, parse_qsl(parts.query, keep_blank_values=True), found, project)
        except GcpError as error:
            reply = Reply(error.code, error.body(), dict(error.headers))
        api = found[0].api if found else api_of(path)
        named = project.project_id if project else (project_ref(found[1]) if found else None)
        query = _ACCESS_TOKEN.sub("", parts.query).lstrip("&")
        self._log.add(RequestRecord(request.method, path, query, reply.status, api, named))
        return reply

    def _answer(
        self,
        request: Incoming,
        path: str,
        pairs: list[tuple[str, str]],
        found: tuple[Route, re.Match[str]] | None,
        project: Project | None,
    ) -> Reply:
        """Auth, routing, faults, parameters, enabled APIs, then the handler."""
        service = found[0].service if found else "googleapis.com"
        token = dict(pairs).get("access_token", "")
        if not (request.authorization and _BEARER.match(request.authorization)) and not token:
            raise unauthenticated(service)
        if found is None:
            raise not_found(f"The requested URL {path} was not found on this server.")
        route, match = found
        consumer = self._consumer(request.user_project, project)
        query = "&".join(f"{k}={v}" for k, v in pairs)
        self._fault(route, f"{path}?{query}" if query else path, consumer)
        params = parse_params(pairs, route.params)
        call = Call(request.method, path, params, _json_body(request.body), self.org)
        if consumer is not None and (
            self._faults.is_disabled(route.service, consumer.project_id)
            or route.service not in consumer.enabled_services
        ):
            raise service_disabled(route.service, consumer.number)
        return Reply(200, route.handler(call, match))

    def _fault(self, route: Route, path: str, consumer: Project | None) -> None:
        """Raise the planned fault for this path, if any."""
        fault = self._faults.take(path)  # a prefix may include the query: /v3/projects?parent=folders/1
        if fault is None:
            return
        status, reason, permanent = fault
        if permanent:
            raise permission_denied(route.permission, path.split("?", 1)[0].split("/", 2)[-1].split(":", 1)[0])
        raise injected(status, route.service, consumer.number if consumer else "0", reason)

    def _project_named(self, match: re.Match[str]) -> Project | None:
        """The project a routed path names; for projects/-/serviceAccounts/{account}, the account's."""
        ref = project_ref(match)
        if ref == "-":
            account = self.org.service_account(match.groupdict().get("account") or "")
            return self.org.project(account.project_id) if account else None
        return self.org.project(ref) if ref else None

    def _consumer(self, user_project: str | None, named: Project | None) -> Project | None:
        """The project whose enabled APIs and quota a call uses."""
        if user_project:
            return self.org.project(user_project) or named or self.org.consumer()
        return named or self.org.consumer()


def _json_body(raw: bytes) -> dict[str, Any]:
    """A request's JSON object body ({} when empty)."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise invalid_argument("Invalid JSON payload received. Expected an object.")
    return body


def _handler_class(emulator: GcpEmulator) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to one emulator (HTTP/1.1 keep-alive, so client connection pools work)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ESF"
        timeout = 60

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Incoming(
                self.command,
                self.path,
                self.headers.get("Authorization"),
                self.headers.get("X-Goog-User-Project"),
                body,
            )
            reply = emulator.handle(request)
            payload = json.dumps(reply.body, ensure_ascii=False, indent=2).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Vary", "Origin, X-Origin, Referer")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:
            """Silent: the request log is emulator.requests(); headers (and so tokens) are never logged."""

    return Handler
