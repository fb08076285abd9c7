"""IAM v1: service accounts (documented page size 20, max 100), their keys (unpaged), their policies, and
workload identity pools (default 50, max 1000) and providers (default 50, max 100)."""

from __future__ import annotations

import re

from connectors.gcp.emulator_call import Call, Json, PageRule, paged, requested_version, require_project
from connectors.gcp.emulator_faults import GcpError, invalid_argument, not_found, permission_denied
from connectors.gcp.emulator_model import SYSTEM_MANAGED, USER_MANAGED, Project, ServiceAccount, WorkloadIdentityPool
from connectors.gcp.emulator_wire import key_json, policy_json, pool_json, provider_json, service_account_json

SA_PAGE = PageRule(default=20, maximum=100)
POOL_PAGE = PageRule(default=50, maximum=1000)
PROVIDER_PAGE = PageRule(default=50, maximum=100)
# keyTypes arrive as names, or as numbers from clients that send `$alt=json;enum-encoding=int`.
_KEY_TYPES = {"USER_MANAGED": USER_MANAGED, "1": USER_MANAGED, "SYSTEM_MANAGED": SYSTEM_MANAGED, "2": SYSTEM_MANAGED}
_ANY_KEY_TYPE = ("KEY_TYPE_UNSPECIFIED", "0")


def list_service_accounts(call: Call, match: re.Match[str]) -> Json:
    """GET /v1/projects/{project}/serviceAccounts -> {"accounts": [...], "nextPageToken"}."""
    project = require_project(call, match["project"], "iam.serviceAccounts.list")
    return paged(call, project.service_accounts, SA_PAGE, "accounts", service_account_json)


def find_account(call: Call, project_ref: str, account_ref: str, permission: str) -> ServiceAccount:
    """The account a path names, by email or uniqueId; "-" as project finds it anywhere."""
    if project_ref == "-":
        account = call.org.service_account(account_ref)
        if account is None:  # documented: the wildcard turns "not found" into 403
            raise permission_denied(permission, f"projects/-/serviceAccounts/{account_ref}")
        return account
    project = require_project(call, project_ref, permission)
    account = call.org.service_account(account_ref)
    if account is None or account.project_id != project.project_id:
        raise GcpError(404, f"Unknown service account: {account_ref}")
    return account


def get_service_account(call: Call, match: re.Match[str]) -> Json:
    """GET /v1/projects/{project}/serviceAccounts/{email or uniqueId}."""
    return service_account_json(find_account(call, match["project"], match["account"], "iam.serviceAccounts.get"))


def _key_types(call: Call) -> set[str]:
    wanted: set[str] = set()
    for index, raw in enumerate(call.many("keyTypes")):
        if raw in _ANY_KEY_TYPE:
            continue
        if raw not in _KEY_TYPES:
            enum = "type.googleapis.com/google.iam.admin.v1.ListServiceAccountKeysRequest.KeyType"
            raise invalid_argument(f"Invalid value at 'key_types[{index}]' ({enum}), \"{raw}\"", f"key_types[{index}]")
        wanted.add(_KEY_TYPES[raw])
    return wanted or {USER_MANAGED, SYSTEM_MANAGED}


def list_keys(call: Call, match: re.Match[str]) -> Json:
    """GET .../serviceAccounts/{account}/keys?keyTypes=USER_MANAGED: every key at once (the method has no paging)."""
    account = find_account(call, match["project"], match["account"], "iam.serviceAccountKeys.list")
    wanted = _key_types(call)
    keys = [key_json(account, k) for k in account.keys if k.key_type in wanted]
    return {"keys": keys} if keys else {}


def service_account_policy(call: Call, match: re.Match[str]) -> Json:
    """POST .../serviceAccounts/{account}:getIamPolicy: who may act as, impersonate or manage the account."""
    account = find_account(call, match["project"], match["account"], "iam.serviceAccounts.getIamPolicy")
    return policy_json(account.policy, requested_version(call))


def list_pools(call: Call, match: re.Match[str]) -> Json:
    """GET /v1/projects/{project}/locations/global/workloadIdentityPools."""
    project = require_project(call, match["project"], "iam.workloadIdentityPools.list")
    return paged(call, project.pools, POOL_PAGE, "workloadIdentityPools", lambda pool: pool_json(project, pool))


def _pool(project: Project, pool_id: str) -> WorkloadIdentityPool:
    pool = next((p for p in project.pools if p.pool_id == pool_id), None)
    if pool is None:
        raise not_found()
    return pool


def list_providers(call: Call, match: re.Match[str]) -> Json:
    """GET .../workloadIdentityPools/{pool}/providers."""
    project = require_project(call, match["project"], "iam.workloadIdentityPoolProviders.list")
    pool = _pool(project, match["pool"])
    return paged(
        call, pool.providers, PROVIDER_PAGE, "workloadIdentityPoolProviders", lambda p: provider_json(project, pool, p)
    )
