"""Wire-level helpers for the AWS emulator: request classification, AWS error bodies, a reader-writer lock."""

from __future__ import annotations

import io
import json
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from botocore.exceptions import DataNotFoundError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.request import Request
from moto.core.routing import get_service_router
from moto.core.utils import get_service_model
from werkzeug.exceptions import HTTPException

# One SigV4 signing name can front several botocore services; moto's dispatcher tries them in this order too.
SIGNING_NAME_SERVICES: dict[str, tuple[str, ...]] = {
    "bedrock": ("bedrock", "bedrock-agent", "bedrock-runtime", "bedrock-agent-runtime"),
    "bedrock-agentcore": ("bedrock-agentcore", "bedrock-agentcore-control"),
    "sagemaker": ("sagemaker", "sagemaker-runtime"),
    "agent-registry": ("agent-registry-control", "agent-registry"),
}
UNSIGNED_ACTIONS = {"AssumeRoleWithWebIdentity": "sts", "AssumeRoleWithSAML": "sts"}
READ_PREFIXES = ("Get", "List", "Describe", "Search", "Query", "Scan", "Head", "Lookup", "Generate", "Simulate")


@dataclass(frozen=True)
class RequestInfo:
    """What one HTTP request to the emulator is: account, service, operation and protocol."""

    account: str
    service: str
    operation: str
    protocol: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The "service:Operation" counting key."""
        return f"{self.service}:{self.operation}"

    @property
    def is_read(self) -> bool:
        """Whether moto serves it without mutating state (safe to run concurrently)."""
        return self.operation.startswith(READ_PREFIXES)


def buffer_body(environ: dict[str, Any]) -> bytes:
    """Read the request body once and put a rewindable copy back into the WSGI environ."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    if length > 0:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    return bytes(body)


def _form_params(environ: dict[str, Any], body: bytes) -> dict[str, str]:
    params = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        params.update({k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()})
    return params


def _credential_scope(environ: dict[str, Any]) -> tuple[str | None, str | None]:
    """(access key id, signing service) from a SigV4 Authorization header."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" not in auth:
        return None, None
    scope = auth.split("Credential=", 1)[1].split(",", 1)[0].strip().split("/")
    if len(scope) < 4:
        return scope[0], None
    return scope[0], scope[3].lower()


def account_of(environ: dict[str, Any], access_key: str | None) -> str:
    """The account moto serves this request from, resolved the way moto resolves it."""
    from moto.iam.models import get_account_id_from

    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
        return str(environ["HTTP_X_MOTO_ACCOUNT_ID"])
    return get_account_id_from(access_key) if access_key else DEFAULT_ACCOUNT_ID


def _model_protocol(service: str) -> str | None:
    try:
        return str(get_service_model(service).protocol)
    except DataNotFoundError:
        return None


def _has_operation(service: str, operation: str) -> bool:
    try:
        return operation in get_service_model(service).operation_names
    except DataNotFoundError:
        return False


def _route(service: str, environ: dict[str, Any], body: bytes) -> str | None:
    """Operation name of a REST request, from botocore's method + requestUri via moto's router."""
    env = dict(environ)
    env["wsgi.input"] = io.BytesIO(body)
    try:
        operation, _ = get_service_router(service).match(Request(env))
    except (HTTPException, NotImplementedError, DataNotFoundError):
        return None
    return str(operation.name)


def classify(environ: dict[str, Any], body: bytes) -> RequestInfo:
    """Classify a request as account + "service:Operation", as a client-side counter would name it."""
    access_key, signing = _credential_scope(environ)
    account = account_of(environ, access_key)
    params = _form_params(environ, body)
    candidates = SIGNING_NAME_SERVICES.get(signing or "", (signing or "unknown",))
    if "Action" in params:
        service = signing or UNSIGNED_ACTIONS.get(params["Action"], "unknown")
        protocol = "ec2" if service == "ec2" else "query"
        return RequestInfo(account, service, params["Action"], protocol, params)
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        operation = target.rsplit(".", 1)[-1]
        service = next((s for s in candidates if _has_operation(s, operation)), candidates[0])
        return RequestInfo(account, service, operation, "json", params)
    for service in candidates:
        operation = _route(service, environ, body)
        if operation:
            return RequestInfo(account, service, operation, _model_protocol(service) or "rest-json", params)
    label = f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '/')}"
    return RequestInfo(account, candidates[0], label, _model_protocol(candidates[0]) or "rest-json", params)


def error_response(protocol: str, service: str, code: str, message: str) -> tuple[dict[str, str], bytes]:
    """Headers and body of an AWS error in the protocol's own wire format."""
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id}
    if protocol in ("json", "rest-json"):
        headers["x-amzn-ErrorType"] = code
        headers["Content-Type"] = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
        payload: dict[str, str] = {"__type": code, "message": message} if protocol == "json" else {"message": message}
        return headers, json.dumps(payload).encode()
    code_x, message_x = escape(code), escape(message)
    headers["Content-Type"] = "text/xml"
    if protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code_x}</Code><Message>{message_x}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
    elif protocol == "query":
        namespace = (_xml_namespace(service) or "").strip()
        body = (
            f'<ErrorResponse xmlns="{escape(namespace)}"><Error><Type>Sender</Type><Code>{code_x}</Code>'
            f"<Message>{message_x}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    else:
        body = f"<Error><Code>{code_x}</Code><Message>{message_x}</Message><RequestId>{request_id}</RequestId></Error>"
    return headers, body.encode()


def _xml_namespace(service: str) -> str | None:
    try:
        model = get_service_model(service)
    except DataNotFoundError:
        return None
    api_version = model.metadata.get("apiVersion", "")
    return f"https://{model.metadata.get('endpointPrefix', service)}.amazonaws.com/doc/{api_version}/"


class RWLock:
    """Many readers or one writer, writers first; moto's reads are safe together, its writes are not."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        """Hold a shared read lock."""
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        """Hold the exclusive write lock."""
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()
