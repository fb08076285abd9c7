"""Google Cloud connector: hierarchy, service accounts and keys, IAM bindings, Vertex AI agents, federation."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from scanner.config import ConfigSection
from scanner.errors import PluginError
from scanner.logsafe import pin_wire_loggers
from scanner.model import Facet, Gap, GapReason, Record, ScopeReport
from scanner.plugins import ScopePlan, install_hint

log = logging.getLogger(__name__)

PERMISSIONS = (
    "roles/iam.securityReviewer (service accounts, keys, IAM policies, workload identity pools)",
    "roles/resourcemanager.folderViewer and roles/resourcemanager.organizationViewer (the hierarchy)",
    "roles/browser (list projects under the organization and folders)",
    "roles/serviceusage.apiKeysViewer (API keys and their restrictions)",
    "roles/policyanalyzer.activityAnalysisViewer (service account key last authentication)",
    "roles/cloudasset.viewer (optional: organization-wide search when Cloud Asset Inventory is enabled)",
)
API_NAMES = ("resourcemanager", "iam", "apikeys", "cloudasset", "policyanalyzer")
_KEYS = {"organization", "projects", "token_env", "endpoints", "quota_project", "retry_deadline", "quotas"}
READ_ONLY_SCOPE = "https://www.googleapis.com/auth/cloud-platform.read-only"


@dataclass(frozen=True, kw_only=True)
class GcpSettings:
    """The validated `[connectors.gcp]` table."""

    organization: str | None = None
    projects: tuple[str, ...] = ()
    token_env: str | None = None
    endpoints: dict[str, str] = field(default_factory=dict)
    quota_project: str | None = None
    retry_deadline: float = 60.0  # seconds of google-api-core retries on 429 and 5xx before a call becomes a gap
    quotas: dict[str, int] = field(default_factory=dict)  # read requests per minute per API, when raised above default


def parse_settings(section: ConfigSection) -> GcpSettings:
    """Validate the table: organization or projects, endpoints per API, secrets only by variable name."""
    section.check_keys(_KEYS)
    organization = section.get_optional_str("organization")
    if organization and not organization.startswith("organizations/"):
        organization = f"organizations/{organization}"
    projects = section.get_str_list("projects") or ()
    if not organization and not projects:
        raise section.error(None, "set organization or projects")
    endpoints = section.subsection("endpoints")
    endpoints.check_keys(set(API_NAMES))
    urls = {name: str(endpoints.get(name, str, "")).rstrip("/") for name in endpoints.values}
    return GcpSettings(
        organization=organization,
        projects=projects,
        token_env=section.get_optional_str("token_env"),
        endpoints=urls,
        quota_project=section.get_optional_str("quota_project"),
        retry_deadline=_deadline(section),
        quotas=_quotas(section),
    )


def _quotas(section: ConfigSection) -> dict[str, int]:
    table = section.subsection("quotas")
    table.check_keys(set(API_NAMES))
    quotas = {name: table.get(name, int, 0) for name in table.values}
    for name, value in quotas.items():
        if value <= 0:
            raise table.error(name, "must be a positive number of requests per minute")
    return quotas


def _deadline(section: ConfigSection) -> float:
    value = section.get("retry_deadline", float, 60.0)
    if not 1 <= value <= 600:
        raise section.error("retry_deadline", "must be between 1 and 600 seconds")
    return value


class GcpConnector:
    """Walks an organization (or the configured projects) over REST and collects each project."""

    name: ClassVar[str] = "gcp"
    extra: ClassVar[str] = "gcp"
    requires: ClassVar[tuple[str, ...]] = ("google.cloud.resourcemanager_v3", "google.auth")
    permissions: ClassVar[tuple[str, ...]] = PERMISSIONS

    def __init__(self, settings: GcpSettings, credentials: Any = None) -> None:
        try:
            import google.auth  # noqa: F401
            from google.cloud import resourcemanager_v3  # noqa: F401
        except ModuleNotFoundError as exc:
            raise PluginError(f"the gcp connector needs google-cloud-resource-manager: {install_hint('gcp')}") from exc
        pin_wire_loggers()
        self.settings = settings
        self.credentials = credentials
        self.numbers: dict[str, str] = {}
        self.scanned: set[str] = set()
        self._rest: Any = None
        self.prefetched: dict[str, Any] = {}  # projectId -> ProjectData, when Cloud Asset Inventory answered
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        """Picklable for distributed workers: the live session and its lock are rebuilt where it runs."""
        state = dict(self.__dict__)
        state["_rest"], state["_lock"] = None, None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, section: ConfigSection) -> GcpConnector:
        """Build from `[connectors.gcp]`."""
        return cls(parse_settings(section))

    def _credentials(self) -> Any:
        if self.credentials is not None:
            return self.credentials
        if self.settings.token_env:
            from google.oauth2.credentials import Credentials

            return Credentials(token=os.environ.get(self.settings.token_env, ""))
        import google.auth

        credentials, _ = google.auth.default(scopes=[READ_ONLY_SCOPE])
        return credentials

    def rest(self) -> Any:
        """The shared REST client (created once; thread-safe for reads)."""
        from connectors.gcp.client import GoogleRest

        with self._lock:
            if self._rest is None:
                self._rest = GoogleRest.create(
                    self._credentials(),
                    self.settings.endpoints,
                    self.settings.quota_project,
                    deadline=self.settings.retry_deadline,
                    quotas=self.settings.quotas,
                )
            return self._rest

    def plan(self) -> ScopePlan:
        """The hierarchy (organization and folder policies) and the projects to collect."""
        from connectors.gcp.planning import plan

        if self.settings.token_env and not os.environ.get(self.settings.token_env):
            scope = self.settings.organization or "gcp"
            detail = f"environment variable {self.settings.token_env} is not set or empty"
            gap = Gap(
                provider="gcp",
                scope=scope,
                resource="token_env",
                reason=GapReason.DENIED,
                detail=detail,
                facets=frozenset({Facet.SCOPE}),
            )
            return ScopePlan(
                scopes=(), records=(gap, ScopeReport(provider="gcp", connector="gcp", scope=scope, api_calls=0))
            )
        return plan(self)

    def collect(self, scope: str) -> Iterator[Record]:
        """Every record of one project, ending with its call count."""
        from connectors.gcp.normalize_project import project_records
        from connectors.gcp.project import fetch_key_use, fetch_project

        rest = self.rest()
        prefetched = self.prefetched.get(scope)
        if prefetched is not None:
            data = fetch_key_use(rest, prefetched)
        else:
            data = fetch_project(rest, scope, self.numbers.get(scope, ""))
        yield from project_records(data, self.scanned, datetime.now(UTC))
        yield from data.gaps
        yield ScopeReport(provider="gcp", connector="gcp", scope=scope, api_calls=rest.calls[scope])
