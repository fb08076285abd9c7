"""The emulator's routing table: which API a path belongs to, its handler, its permission and its parameters."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from connectors.gcp import emulator_activity as activity
from connectors.gcp import emulator_cai as cai
from connectors.gcp import emulator_crm as crm
from connectors.gcp import emulator_iam as iam
from connectors.gcp.emulator_call import Call, Json

Handler = Callable[[Call, re.Match[str]], Json]
SERVICES: dict[str, str] = {
    "cloudresourcemanager": "cloudresourcemanager.googleapis.com",
    "iam": "iam.googleapis.com",
    "apikeys": "apikeys.googleapis.com",
    "cloudasset": "cloudasset.googleapis.com",
    "policyanalyzer": "policyanalyzer.googleapis.com",
}
_PAGE = frozenset({"pageSize", "pageToken"})
_POLICY = frozenset({"options.requestedPolicyVersion"})
_SEG = r"[^/:]+"
_PROJECT = rf"projects/(?P<project>{_SEG})"
_ACCOUNT = rf"/v1/{_PROJECT}/serviceAccounts/(?P<account>{_SEG})"
_SCOPE = rf"(?P<scope>(?:organizations|folders|projects)/{_SEG})"


@dataclass(frozen=True)
class Route:
    """One REST method: HTTP verb, path pattern, API, permission checked, accepted query parameters, handler."""

    method: str
    pattern: re.Pattern[str]
    api: str
    permission: str
    params: frozenset[str]
    handler: Handler

    @property
    def service(self) -> str:
        """The service name whose enablement and quota the method uses."""
        return SERVICES[self.api]


def _r(method: str, pattern: str, api: str, permission: str, params: frozenset[str], handler: Handler) -> Route:
    return Route(method, re.compile(f"^{pattern}$"), api, permission, params, handler)


_CRM, _IAM, _CAI = "cloudresourcemanager", "iam", "cloudasset"
ROUTES: tuple[Route, ...] = (
    _r("GET", "/v3/projects:search", _CRM, "resourcemanager.projects.get", _PAGE | {"query"}, crm.search_projects),
    _r(
        "GET",
        "/v3/projects",
        _CRM,
        "resourcemanager.projects.list",
        _PAGE | {"parent", "showDeleted"},
        crm.list_projects,
    ),
    _r("GET", f"/v3/{_PROJECT}", _CRM, "resourcemanager.projects.get", frozenset(), crm.get_project),
    _r(
        "POST",
        f"/v3/{_PROJECT}:getIamPolicy",
        _CRM,
        "resourcemanager.projects.getIamPolicy",
        _POLICY,
        crm.project_policy,
    ),
    _r("GET", "/v3/folders:search", _CRM, "resourcemanager.folders.get", _PAGE | {"query"}, crm.search_folders),
    _r("GET", "/v3/folders", _CRM, "resourcemanager.folders.list", _PAGE | {"parent", "showDeleted"}, crm.list_folders),
    _r("GET", r"/v3/folders/(?P<folder>\d+)", _CRM, "resourcemanager.folders.get", frozenset(), crm.get_folder),
    _r(
        "POST",
        r"/v3/folders/(?P<folder>\d+):getIamPolicy",
        _CRM,
        "resourcemanager.folders.getIamPolicy",
        _POLICY,
        crm.folder_policy,
    ),
    _r(
        "GET",
        "/v3/organizations:search",
        _CRM,
        "resourcemanager.organizations.get",
        _PAGE | {"query"},
        crm.search_organizations,
    ),
    _r(
        "GET",
        r"/v3/organizations/(?P<org>\d+)",
        _CRM,
        "resourcemanager.organizations.get",
        frozenset(),
        crm.get_organization,
    ),
    _r(
        "POST",
        r"/v3/organizations/(?P<org>\d+):getIamPolicy",
        _CRM,
        "resourcemanager.organizations.getIamPolicy",
        _POLICY,
        crm.organization_policy,
    ),
    _r("GET", f"/v1/{_PROJECT}/serviceAccounts", _IAM, "iam.serviceAccounts.list", _PAGE, iam.list_service_accounts),
    _r("GET", _ACCOUNT, _IAM, "iam.serviceAccounts.get", frozenset(), iam.get_service_account),
    _r("GET", f"{_ACCOUNT}/keys", _IAM, "iam.serviceAccountKeys.list", frozenset({"keyTypes"}), iam.list_keys),
    _r(
        "POST",
        f"{_ACCOUNT}:getIamPolicy",
        _IAM,
        "iam.serviceAccounts.getIamPolicy",
        _POLICY,
        iam.service_account_policy,
    ),
    _r(
        "GET",
        f"/v1/{_PROJECT}/locations/global/workloadIdentityPools",
        _IAM,
        "iam.workloadIdentityPools.list",
        _PAGE | {"showDeleted"},
        iam.list_pools,
    ),
    _r(
        "GET",
        f"/v1/{_PROJECT}/locations/global/workloadIdentityPools/(?P<pool>{_SEG})/providers",
        _IAM,
        "iam.workloadIdentityPoolProviders.list",
        _PAGE | {"showDeleted"},
        iam.list_providers,
    ),
    _r(
        "GET",
        f"/v2/{_PROJECT}/locations/global/keys",
        "apikeys",
        "apikeys.keys.list",
        _PAGE | {"showDeleted", "filter"},
        activity.list_api_keys,
    ),
    _r(
        "GET",
        f"/v1/{_SCOPE}:searchAllIamPolicies",
        _CAI,
        "cloudasset.assets.searchAllIamPolicies",
        _PAGE | {"query", "assetTypes", "orderBy"},
        cai.search_all_iam_policies,
    ),
    _r(
        "GET",
        f"/v1/{_SCOPE}:searchAllResources",
        _CAI,
        "cloudasset.assets.searchAllResources",
        _PAGE | {"query", "assetTypes", "orderBy", "readMask"},
        cai.search_all_resources,
    ),
    _r(
        "GET",
        f"/v1/{_PROJECT}/locations/global/activityTypes/(?P<activity>{_SEG})/activities:query",
        "policyanalyzer",
        "policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query",
        _PAGE | {"filter"},
        activity.query_activities,
    ),
)


def find_route(method: str, path: str) -> tuple[Route, re.Match[str]] | None:
    """The route serving this method and path; None when there is none (GCP answers 404 for both)."""
    for route in ROUTES:
        match = route.pattern.match(path)
        if match is not None and route.method == method:
            return route, match
    return None


def api_of(path: str) -> str | None:
    """The API a path belongs to whatever the method, so that a wrong-method 404 is still attributed."""
    return next((r.api for r in ROUTES if r.pattern.match(path)), None)


def project_ref(match: re.Match[str]) -> str | None:
    """The project a path names ("projects/<ref>" or a CAI project scope), as written."""
    groups = match.groupdict()
    if groups.get("project"):
        return groups["project"]
    scope = groups.get("scope") or ""
    return scope.removeprefix("projects/") if scope.startswith("projects/") else None
