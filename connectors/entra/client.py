"""Graph over msgraph-sdk's request adapter, read as raw JSON: auth, retries and national clouds kept."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from azure.core.exceptions import ClientAuthenticationError
from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator
from kiota_abstractions.authentication.authentication_provider import AuthenticationProvider
from kiota_abstractions.authentication.base_bearer_token_authentication_provider import (
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from kiota_abstractions.request_option import RequestOption
from kiota_http.kiota_client_factory import KiotaClientFactory
from kiota_http.middleware import BaseMiddleware
from kiota_http.middleware.options import RetryHandlerOption
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph_core import GraphClientFactory

log = logging.getLogger(__name__)

BATCH_LIMIT = 20
BATCH_RETRY_ROUNDS = 4
MAX_RETRY_AFTER = 60.0


@dataclass
class GraphError(Exception):
    """A Graph request that failed after the SDK's own retries."""

    status: int
    code: str
    message: str
    path: str

    def __str__(self) -> str:
        return f"HTTP {self.status} {self.code}: {self.message}"[:300]


class StaticTokenProvider(AccessTokenProvider):
    """A pre-issued bearer token (token_env): sent as it is, and never logged."""

    def __init__(self, token: str, hosts: list[str]) -> None:
        self._token = token
        self._validator = AllowedHostsValidator(hosts)

    async def get_authorization_token(self, uri: str, additional_authentication_context: Any = None) -> str:
        return self._token if self._validator.is_url_host_valid(uri) else ""

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._validator

    def __repr__(self) -> str:
        return "StaticTokenProvider(<redacted>)"


class _Counter(BaseMiddleware):
    """The last middleware: sees every HTTP attempt, retries included."""

    def __init__(self, tally: Callable[[], None]) -> None:
        super().__init__()
        self._tally = tally

    async def send(self, request: httpx.Request, transport: httpx.AsyncBaseTransport) -> httpx.Response:
        self._tally()
        return await super().send(request, transport)


@dataclass
class GraphClient:
    """Raw-JSON Graph calls through the SDK's adapter; counts requests; translates failures."""

    adapter: GraphRequestAdapter
    root: str  # e.g. https://graph.microsoft.com
    calls: int = 0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def create(cls, auth: AuthenticationProvider, root: str, *, max_retries: int = 5) -> GraphClient:
        """An adapter with the Graph middleware (retry honours Retry-After) plus our call counter."""
        client = cls.__new__(cls)
        client.root, client.calls = root.rstrip("/"), 0
        options: dict[str, RequestOption] = {
            RetryHandlerOption.get_key(): RetryHandlerOption(delay=1.0, max_retries=max_retries)
        }
        middleware = KiotaClientFactory.get_default_middleware(options) + [_Counter(client._tally)]
        http = GraphClientFactory.create_with_custom_middleware(middleware)
        client.adapter = GraphRequestAdapter(auth, client=http)
        client.adapter.base_url = f"{client.root}/v1.0"
        client._lock = asyncio.Lock()
        return client

    def _tally(self) -> None:
        self.calls += 1

    def url(self, path: str, version: str = "v1.0") -> str:
        """An absolute URL for a Graph path."""
        return path if path.startswith("http") else f"{self.root}/{version}{path}"

    async def request(self, method: Method, url: str, body: Any = None) -> Any:
        """One request; returns the parsed JSON body or raises GraphError."""
        info = RequestInformation()
        info.http_method = method
        info.url = url
        info.headers.try_add("Accept", "application/json")
        info.headers.try_add("ConsistencyLevel", "eventual")
        if body is not None:
            info.headers.try_add("Content-Type", "application/json")
            info.content = json.dumps(body).encode("utf-8")
        span = self.adapter.start_tracing_span(info, "shadowsweep")
        try:
            response = await self.adapter.get_http_response_message(info, span)
        except ClientAuthenticationError as exc:
            raise GraphError(401, "AuthenticationFailed", type(exc).__name__, urlsplit(url).path) from exc
        except httpx.HTTPError as exc:
            raise GraphError(0, type(exc).__name__, "the request did not complete", urlsplit(url).path) from exc
        finally:
            span.end()
        payload = _json(response.content)
        if response.status_code >= 400:
            error = payload.get("error", {}) if isinstance(payload, dict) else {}
            raise GraphError(response.status_code, error.get("code", ""), error.get("message", ""), urlsplit(url).path)
        return payload

    async def pages(self, path: str, params: dict[str, str] | None = None, version: str = "v1.0") -> AsyncIterator[Any]:
        """Every item of a collection, following @odata.nextLink."""
        query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
        url: str | None = self.url(path, version) + (f"?{query}" if query else "")
        while url:
            page = await self.request(Method.GET, url)
            for item in page.get("value", []):
                yield item
            url = page.get("@odata.nextLink")

    async def collect(self, path: str, params: dict[str, str] | None = None, version: str = "v1.0") -> list[Any]:
        """A whole collection as a list."""
        return [item async for item in self.pages(path, params, version)]

    async def batch_get(self, paths: list[str]) -> list[tuple[int, Any]]:
        """GETs in $batch requests of 20, retrying throttled items after their own Retry-After."""
        results: dict[int, tuple[int, Any]] = {}
        pending = list(range(len(paths)))
        for _ in range(BATCH_RETRY_ROUNDS):
            throttled: list[int] = []
            wait = 0.0
            for start in range(0, len(pending), BATCH_LIMIT):
                chunk = pending[start : start + BATCH_LIMIT]
                body = {"requests": [{"id": str(i), "method": "GET", "url": paths[i]} for i in chunk]}
                answer = await self.request(Method.POST, self.url("/$batch"), body)
                for item in answer.get("responses", []):
                    index = int(item["id"])
                    if item.get("status") == 429:
                        throttled.append(index)
                        wait = max(wait, _retry_after(item.get("headers", {})))
                    else:
                        results[index] = (int(item.get("status", 500)), item.get("body"))
            if not throttled:
                break
            await asyncio.sleep(min(wait, MAX_RETRY_AFTER))
            pending = throttled
        for index in pending:
            results.setdefault(index, (429, {"error": {"code": "TooManyRequests", "message": "throttled in $batch"}}))
        return [results[i] for i in range(len(paths))]


def _json(content: bytes) -> Any:
    if not content:
        return {}
    try:
        return json.loads(content)
    except ValueError:
        return {}


def _retry_after(headers: dict[str, str]) -> float:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), "1")
    try:
        return max(0.0, float(value))
    except ValueError:
        return 1.0


def token_auth(token: str, root: str) -> AuthenticationProvider:
    """Bearer auth from a pre-issued token, limited to the Graph host."""
    host = urlsplit(root).hostname or ""
    return BaseBearerTokenAuthenticationProvider(StaticTokenProvider(token, [host]))


def credential_auth(credential: Any, root: str) -> AuthenticationProvider:
    """azure-identity credential (DefaultAzureCredential by default) for the Graph root's .default scope."""
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )

    host = urlsplit(root).hostname or ""
    return AzureIdentityAuthenticationProvider(credential, scopes=[f"{root}/.default"], allowed_hosts=[host])
