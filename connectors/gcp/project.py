"""Collect one project: its policy, service accounts, keys, impersonation, federation, API keys, key use."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote

from connectors.gcp.client import GoogleRest
from connectors.gcp.errors import API_ERRORS, gap_detail, gap_reason
from scanner.model import Facet, Gap

log = logging.getLogger(__name__)
T = TypeVar("T")
KEY_ACTIVITY = "serviceAccountKeyLastAuthentication"


@dataclass
class ProjectData:
    """Raw JSON of one project's reads."""

    project_id: str
    number: str
    bindings: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # SA email -> user-managed keys
    account_bindings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # SA email -> its policy
    providers: list[dict[str, Any]] = field(default_factory=list)  # WIF providers, with "pool"
    api_keys: list[dict[str, Any]] = field(default_factory=list)
    key_use: dict[str, str] | None = None  # key id -> last authenticated time; None when unreadable
    gaps: list[Gap] = field(default_factory=list)


@dataclass
class ProjectFetch:
    """One project's reads; a failed call becomes a gap at the project, the scan goes on."""

    rest: GoogleRest
    data: ProjectData

    def attempt(self, call: Callable[[], T], resource: str, facets: frozenset[Facet], subject: str = "") -> T | None:
        """Run one read; an API error becomes a gap (a disabled API is 'unsupported')."""
        try:
            return call()
        except API_ERRORS as exc:
            log.warning("gcp %s: %s %s", self.data.project_id, resource, gap_detail(exc))
            self.data.gaps.append(
                Gap(
                    provider="gcp",
                    scope=self.data.project_id,
                    resource=resource,
                    reason=gap_reason(exc),
                    detail=gap_detail(exc),
                    facets=facets,
                    target=subject,
                )
            )
            return None

    def list(self, api: str, path: str, key: str, params: dict[str, Any] | None = None) -> list[Any]:
        """A whole paged list, counted against this project."""
        return list(self.rest.pages(api, path, key, scope=self.data.project_id, params=params))

    def post(self, api: str, path: str, body: Any) -> Any:
        """A read-only POST (getIamPolicy), counted against this project."""
        return self.rest.call(api, "POST", path, scope=self.data.project_id, body=body)


POLICY_V3 = {"options": {"requestedPolicyVersion": 3}}


def _accounts(f: ProjectFetch) -> None:
    p = f.data.project_id
    found = f.attempt(
        lambda: f.list("iam", f"/v1/projects/{p}/serviceAccounts", "accounts", {"pageSize": 100}),
        "iam:serviceAccounts.list",
        frozenset({Facet.IDENTITIES, Facet.CREDENTIALS, Facet.GRANTS}),
    )
    f.data.accounts = found or []
    for account in f.data.accounts:
        email = account["email"]
        base = f"/v1/projects/{p}/serviceAccounts/{quote(email)}"
        keys = f.attempt(
            partial(f.list, "iam", f"{base}/keys", "keys", {"keyTypes": "USER_MANAGED"}),
            "iam:serviceAccounts.keys.list",
            frozenset({Facet.CREDENTIALS}),
            subject=email,
        )
        f.data.keys[email] = keys or []
        policy = f.attempt(
            partial(f.post, "iam", f"{base}:getIamPolicy", POLICY_V3),
            "iam:serviceAccounts.getIamPolicy",
            frozenset({Facet.GRANTS}),
            subject=email,
        )
        f.data.account_bindings[email] = (policy or {}).get("bindings", [])


def _federation(f: ProjectFetch) -> None:
    base = f"/v1/projects/{f.data.project_id}/locations/global/workloadIdentityPools"
    pools = f.attempt(
        lambda: f.list("iam", base, "workloadIdentityPools"),
        "iam:workloadIdentityPools.list",
        frozenset({Facet.GRANTS}),
    )
    for pool in pools or []:
        providers = f.attempt(
            partial(f.list, "iam", f"/v1/{pool['name']}/providers", "workloadIdentityPoolProviders"),
            "iam:workloadIdentityPools.providers.list",
            frozenset({Facet.GRANTS}),
            subject=pool["name"],
        )
        f.data.providers += [{**p, "pool": pool["name"]} for p in providers or []]


def _api_keys(f: ProjectFetch) -> None:
    path = f"/v2/projects/{f.data.project_id}/locations/global/keys"
    keys = f.attempt(
        lambda: f.list("apikeys", path, "keys", {"pageSize": 300}),
        "apikeys:keys.list",
        frozenset({Facet.CREDENTIALS, Facet.IDENTITIES}),
    )
    f.data.api_keys = keys or []


def _key_use(f: ProjectFetch) -> None:
    path = f"/v1/projects/{f.data.project_id}/locations/global/activityTypes/{KEY_ACTIVITY}/activities:query"
    found = f.attempt(
        lambda: f.list("policyanalyzer", path, "activities", {"pageSize": 1000}),
        "policyanalyzer:activities.query",
        frozenset({Facet.CREDENTIAL_USAGE}),
    )
    if found is None:
        return
    f.data.key_use = {}
    for item in found:
        key_id = str(item.get("fullResourceName", "")).rsplit("/", 1)[-1]
        when = (item.get("activity") or {}).get("lastAuthenticatedTime")
        if key_id and when:
            f.data.key_use[key_id] = when


def fetch_key_use(rest: GoogleRest, data: ProjectData) -> ProjectData:
    """Only the per-project read Cloud Asset Inventory cannot answer: when each key last authenticated."""
    _key_use(ProjectFetch(rest=rest, data=data))
    return data


def fetch_project(rest: GoogleRest, project_id: str, number: str) -> ProjectData:
    """Every read of one project, in the order that keeps the fewest calls."""
    f = ProjectFetch(rest=rest, data=ProjectData(project_id=project_id, number=number))
    policy = f.attempt(
        lambda: f.post("resourcemanager", f"/v3/projects/{project_id}:getIamPolicy", POLICY_V3),
        "resourcemanager:projects.getIamPolicy",
        frozenset({Facet.GRANTS, Facet.IDENTITIES}),
    )
    f.data.bindings = (policy or {}).get("bindings", [])
    _accounts(f)
    _federation(f)
    _api_keys(f)
    _key_use(f)
    return f.data
