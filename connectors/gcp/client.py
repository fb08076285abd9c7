"""REST calls to Google APIs: one authorized session, per-API rate limits, google-api-core retries."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession

APIS = ("resourcemanager", "iam", "apikeys", "cloudasset", "policyanalyzer")
DEFAULT_HOSTS = {
    "resourcemanager": "https://cloudresourcemanager.googleapis.com",
    "iam": "https://iam.googleapis.com",
    "apikeys": "https://apikeys.googleapis.com",
    "cloudasset": "https://cloudasset.googleapis.com",
    "policyanalyzer": "https://policyanalyzer.googleapis.com",
}
# Read quotas per minute (per consumer project); the limiter keeps each API under its own.
PER_MINUTE = {"resourcemanager": 600, "iam": 6000, "apikeys": 240, "cloudasset": 400, "policyanalyzer": 600}
TRANSIENT = gretry.if_exception_type(
    gexc.TooManyRequests,
    gexc.InternalServerError,
    gexc.BadGateway,
    gexc.ServiceUnavailable,
    gexc.GatewayTimeout,
    requests.ConnectionError,
)


class RateLimiter:
    """A token bucket per API: a scan never bursts past an API's per-minute quota."""

    def __init__(self, per_minute: int) -> None:
        self.interval = 60.0 / per_minute
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this API may be called again."""
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            time.sleep(delay)


@dataclass
class GoogleRest:
    """JSON over HTTP to every Google API this connector reads, with counted requests."""

    session: AuthorizedSession
    hosts: Mapping[str, str]
    quota_project: str | None = None
    retry: gretry.Retry = field(
        default_factory=lambda: gretry.Retry(predicate=TRANSIENT, initial=0.5, maximum=10, timeout=60)
    )
    limiters: dict[str, RateLimiter] = field(default_factory=lambda: {a: RateLimiter(PER_MINUTE[a]) for a in APIS})
    calls: Counter[str] = field(default_factory=Counter)  # by scope (project, folder, organization)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def create(
        cls,
        credentials: Credentials,
        hosts: Mapping[str, str],
        quota_project: str | None,
        *,
        deadline: float = 60.0,
        quotas: Mapping[str, int] | None = None,
    ) -> GoogleRest:
        """A session that refreshes the credentials as needed, retrying transient errors for `deadline` seconds."""
        session = AuthorizedSession(credentials)
        retry = gretry.Retry(predicate=TRANSIENT, initial=0.5, maximum=10, timeout=deadline)
        limits = {api: RateLimiter((quotas or {}).get(api, PER_MINUTE[api])) for api in APIS}
        return cls(
            session=session, hosts={**DEFAULT_HOSTS, **hosts}, quota_project=quota_project, retry=retry, limiters=limits
        )

    def _count(self, scope: str) -> None:
        with self._lock:
            self.calls[scope] += 1

    def call(self, api: str, method: str, path: str, *, scope: str, params: Any = None, body: Any = None) -> Any:
        """One request with retries on transient errors; a final failure raises GoogleAPICallError."""

        def attempt() -> Any:
            self.limiters[api].wait()
            self._count(scope)
            headers = {"X-Goog-User-Project": self.quota_project} if self.quota_project else {}
            response = self.session.request(
                method, f"{self.hosts[api]}{path}", params=params, json=body, headers=headers, timeout=60
            )
            if response.status_code >= 400:
                raise gexc.from_http_response(response)
            return response.json() if response.content else {}

        return self.retry(attempt)()

    def pages(
        self, api: str, path: str, key: str, *, scope: str, params: dict[str, Any] | None = None
    ) -> Iterator[Any]:
        """Every item of a paged list, following nextPageToken."""
        query = dict(params or {})
        while True:
            page = self.call(api, "GET", path, scope=scope, params=query)
            yield from page.get(key, [])
            token = page.get("nextPageToken")
            if not token:
                return
            query["pageToken"] = token
