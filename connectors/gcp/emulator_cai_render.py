"""Cloud Asset Inventory search results for the emulated records, and the search query language subset.

ResourceSearchResult shapes follow Google's samples: service accounts are named by uniqueId
(`//iam.googleapis.com/projects/<projectId>/serviceAccounts/<uniqueId>`), keys by `.../<uniqueId>/keys/<keyId>` with the
IAM key name as displayName and the account (by email) as parent. additionalAttributes: Project {projectId};
ServiceAccount {email, oauth2ClientId}; ServiceAccountKey {keyType, keyOrigin, keyAlgorithm, validAfterTime,
validBeforeTime} (Google documents no list for keys; gcloud samples search `keyType=USER_MANAGED`, so keyType at least
is searchable); apikeys Key {uid}. The full resource (with API key restrictions) is in versionedResources, returned
only when readMask asks for it ("*" or "versionedResources"), as CAI does.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.gcp.emulator_faults import invalid_argument
from connectors.gcp.emulator_model import (
    ApiKey,
    Folder,
    Project,
    ServiceAccount,
    ServiceAccountKey,
    WorkloadIdentityPool,
    WorkloadIdentityProvider,
)
from connectors.gcp.emulator_org import Org
from connectors.gcp.emulator_wire import (
    api_key_json,
    folder_json,
    iso,
    key_json,
    key_name,
    organization_json,
    pool_json,
    pool_name,
    project_json,
    provider_json,
    service_account_json,
)

Json = dict[str, Any]
CRM = "//cloudresourcemanager.googleapis.com/"
IAM = "//iam.googleapis.com/"
PROJECT_TYPE = "cloudresourcemanager.googleapis.com/Project"
FOLDER_TYPE = "cloudresourcemanager.googleapis.com/Folder"
ORGANIZATION_TYPE = "cloudresourcemanager.googleapis.com/Organization"
SA_TYPE = "iam.googleapis.com/ServiceAccount"
KEY_TYPE = "iam.googleapis.com/ServiceAccountKey"
API_KEY_TYPE = "apikeys.googleapis.com/Key"
POOL_TYPE = "iam.googleapis.com/WorkloadIdentityPool"
PROVIDER_TYPE = "iam.googleapis.com/WorkloadIdentityPoolProvider"
RESULT_FIELDS = frozenset(
    {"name", "assettype", "project", "folders", "organization", "displayname", "description", "location", "state"}
    | {"parentfullresourcename", "parentassettype", "email", "oauth2clientid", "keytype", "keyorigin", "keyalgorithm"}
    | {"validaftertime", "validbeforetime", "projectid", "uid"}
)
_TERM = re.compile(r'(?:(?P<field>[A-Za-z][\w.]*)\s*(?P<op>[:=])\s*)?(?P<value>"[^"]*"|[^\s"]+)')


def parse_query(query: str, fields: frozenset[str]) -> list[tuple[str | None, str, str]]:
    """AND-ed (field, op, value) terms; field None is free text. An unknown field is a 400, as in CAI."""
    terms: list[tuple[str | None, str, str]] = []
    for m in _TERM.finditer(query):
        if m["field"] is None and m["value"] in ("AND", "OR", "NOT"):
            if m["value"] != "AND":
                raise invalid_argument(f"Unsupported query operator in {query!r}.", "query")
            continue
        field = m["field"].lower() if m["field"] else None
        if field is not None and field not in fields:
            raise invalid_argument(f"Invalid query: unknown field {m['field']!r}.", "query")
        terms.append((field, m["op"] or ":", m["value"].strip('"').lower()))
    return terms


def term_hit(values: list[str], op: str, value: str) -> bool:
    """`=` is an exact (case-insensitive) match, `:` a substring match."""
    return any(v.lower() == value for v in values) if op == "=" else any(value in v.lower() for v in values)


def located(org: Org, project: Project) -> Json:
    """The project, folders and organization fields of anything inside `project`."""
    return {"project": project.name, "folders": org.ancestors(project.parent), "organization": org.organization.name}


def _result(asset_type: str, name: str, where: Json, full: Json, **fields: Any) -> Json:
    out: Json = {"name": name, "assetType": asset_type, **where}
    out.update({k: v for k, v in fields.items() if v not in (None, "", {}, [])})
    out["_full"] = full  # becomes versionedResources when readMask asks for it
    return out


def organization_result(org: Org) -> Json:
    """The organization node as a Cloud Asset resource."""
    o = org.organization
    where = {"organization": o.name}
    return _result(
        ORGANIZATION_TYPE, CRM + o.name, where, organization_json(o), displayName=o.display_name, state="ACTIVE"
    )


def folder_result(org: Org, folder: Folder) -> Json:
    """A folder; its folders field lists itself and its ancestors."""
    where = {"folders": [folder.name, *org.ancestors(folder.parent)], "organization": org.organization.name}
    parent = CRM + folder.parent
    return _result(
        FOLDER_TYPE, CRM + folder.name, where, folder_json(folder), displayName=folder.display_name,
        state=folder.state, createTime=iso(folder.created), parentFullResourceName=parent,
    )  # fmt: skip


def project_result(org: Org, project: Project) -> Json:
    """A project, named by number, with projectId as an additional attribute."""
    return _result(
        PROJECT_TYPE, CRM + project.name, located(org, project), project_json(project),
        displayName=project.display_name, state=project.state, createTime=iso(project.created),
        additionalAttributes={"projectId": project.project_id}, parentFullResourceName=CRM + project.parent,
        parentAssetType=FOLDER_TYPE if project.parent.startswith("folders/") else ORGANIZATION_TYPE,
    )  # fmt: skip


def account_name(account: ServiceAccount) -> str:
    """CAI's full resource name of a service account: by uniqueId, not email."""
    return f"{IAM}projects/{account.project_id}/serviceAccounts/{account.unique_id}"


def account_result(org: Org, project: Project, account: ServiceAccount) -> Json:
    """A service account, named by uniqueId, with email and oauth2ClientId as attributes."""
    attributes = {"email": account.email, "oauth2ClientId": account.unique_id}
    return _result(
        SA_TYPE, account_name(account), located(org, project), service_account_json(account),
        displayName=account.display_name, description=account.description, location="global",
        state="DISABLED" if account.disabled else "ENABLED", additionalAttributes=attributes,
        parentFullResourceName=CRM + project.name, parentAssetType=PROJECT_TYPE,
    )  # fmt: skip


def key_result(org: Org, project: Project, account: ServiceAccount, key: ServiceAccountKey) -> Json:
    """A service-account key; its type and validity are attributes so that a query can select them."""
    attributes = {"keyType": key.key_type, "keyOrigin": key.key_origin, "keyAlgorithm": key.key_algorithm}
    attributes |= {"validAfterTime": iso(key.valid_after), "validBeforeTime": iso(key.valid_before)}
    return _result(
        KEY_TYPE, f"{account_name(account)}/keys/{key.key_id}", located(org, project), key_json(account, key),
        displayName=key_name(account, key), location="global", createTime=iso(key.valid_after),
        state="DISABLED" if key.disabled else "ENABLED", additionalAttributes=attributes,
        parentFullResourceName=IAM + account.name, parentAssetType=SA_TYPE,
    )  # fmt: skip


def api_key_result(org: Org, project: Project, key: ApiKey) -> Json:
    """An API key; its restrictions are only in versionedResources."""
    full = api_key_json(project, key)
    return _result(
        API_KEY_TYPE, "//apikeys.googleapis.com/" + full["name"], located(org, project), full,
        displayName=key.display_name, location="global", createTime=full["createTime"],
        updateTime=full["updateTime"], additionalAttributes={"uid": key.uid},
        parentFullResourceName=CRM + project.name, parentAssetType=PROJECT_TYPE,
    )  # fmt: skip


def pool_result(org: Org, project: Project, pool: WorkloadIdentityPool) -> Json:
    """A workload identity pool."""
    return _result(
        POOL_TYPE, IAM + pool_name(project, pool), located(org, project), pool_json(project, pool),
        displayName=pool.display_name, description=pool.description, location="global", state="ACTIVE",
        parentFullResourceName=CRM + project.name, parentAssetType=PROJECT_TYPE,
    )  # fmt: skip


def provider_result(org: Org, project: Project, pool: WorkloadIdentityPool, provider: WorkloadIdentityProvider) -> Json:
    """A workload identity pool provider."""
    full = provider_json(project, pool, provider)
    return _result(
        PROVIDER_TYPE, IAM + full["name"], located(org, project), full, displayName=provider.display_name,
        location="global", state="ACTIVE", parentFullResourceName=IAM + pool_name(project, pool),
        parentAssetType=POOL_TYPE,
    )  # fmt: skip


def resource_matches(result: Json, terms: list[tuple[str | None, str, str]]) -> bool:
    """Every term matches a field of the result (free text: any field)."""
    flat: dict[str, list[str]] = {}
    for key, value in {**result, **result.get("additionalAttributes", {})}.items():
        if isinstance(value, str):
            flat[key.lower()] = [value]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            flat[key.lower()] = value
    anywhere = [v for values in flat.values() for v in values]
    return all(term_hit(flat.get(f, []) if f else anywhere, op, value) for f, op, value in terms)


def finish(result: Json, versioned: bool) -> Json:
    """Drop the private full copy, or expose it as versionedResources."""
    full = result.pop("_full")
    if versioned:
        result["versionedResources"] = [{"version": "v1", "resource": full}]
    return result
