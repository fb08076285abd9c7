"""Cloud Asset Inventory: the whole organization's identities, keys, API keys and policies in a few pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.gcp.client import GoogleRest
from connectors.gcp.hierarchy import Container
from connectors.gcp.project import ProjectData

CRM = "//cloudresourcemanager.googleapis.com/"
IAM = "//iam.googleapis.com/"
PROJECT, FOLDER, ORGANIZATION = (
    "cloudresourcemanager.googleapis.com/Project",
    "cloudresourcemanager.googleapis.com/Folder",
    "cloudresourcemanager.googleapis.com/Organization",
)
ACCOUNT, KEY = "iam.googleapis.com/ServiceAccount", "iam.googleapis.com/ServiceAccountKey"
API_KEY, PROVIDER = "apikeys.googleapis.com/Key", "iam.googleapis.com/WorkloadIdentityPoolProvider"
ASSET_TYPES = [PROJECT, FOLDER, ACCOUNT, KEY, API_KEY, PROVIDER]
PAGE_SIZE = 500


@dataclass
class Inventory:
    """The organization as Cloud Asset Inventory sees it, split per project."""

    containers: dict[str, Container] = field(default_factory=dict)
    projects: dict[str, ProjectData] = field(default_factory=dict)  # by projectId


def _full(result: dict[str, Any]) -> dict[str, Any]:
    versions = result.get("versionedResources") or [{}]
    return dict(versions[0].get("resource") or {})


def _project_of(result: dict[str, Any], numbers: dict[str, str]) -> str | None:
    return numbers.get(str(result.get("project", "")).removeprefix("projects/"))


def _containers(resources: list[dict[str, Any]], inv: Inventory) -> dict[str, str]:
    """Projects and folders; returns project number -> projectId."""
    numbers: dict[str, str] = {}
    for r in resources:
        name = str(r.get("name", "")).removeprefix(CRM)
        parent = str(r.get("parentFullResourceName", "")).removeprefix(CRM)
        if r["assetType"] == PROJECT and r.get("state", "ACTIVE") == "ACTIVE":
            project_id = (r.get("additionalAttributes") or {}).get("projectId") or _full(r).get("projectId", "")
            number = name.removeprefix("projects/")
            numbers[number] = project_id
            inv.projects[project_id] = ProjectData(project_id=project_id, number=number)
            inv.containers[name] = Container(
                name=name, display_name=r.get("displayName", ""), project_id=project_id, parent=parent
            )
        elif r["assetType"] == FOLDER:
            inv.containers[name] = Container(name=name, display_name=r.get("displayName", ""), parent=parent)
    return numbers


def _identities(resources: list[dict[str, Any]], inv: Inventory, numbers: dict[str, str]) -> dict[str, str]:
    """Accounts, keys, API keys and providers into their projects; returns uniqueId -> email."""
    emails: dict[str, str] = {}
    for r in resources:
        project = _project_of(r, numbers)
        data = inv.projects.get(project or "")
        if data is None:
            continue
        full = _full(r)
        if r["assetType"] == ACCOUNT:
            data.accounts.append(full)
            emails[str(full.get("uniqueId", ""))] = str(full.get("email", ""))
        elif r["assetType"] == KEY:
            email = str(full.get("name", "")).split("/serviceAccounts/", 1)[-1].split("/keys/", 1)[0]
            data.keys.setdefault(email, []).append(full)
        elif r["assetType"] == API_KEY:
            data.api_keys.append(full)
        elif r["assetType"] == PROVIDER:
            data.providers.append({**full, "pool": str(full.get("name", "")).split("/providers/", 1)[0]})
    return emails


def _policies(results: list[dict[str, Any]], inv: Inventory, numbers: dict[str, str], emails: dict[str, str]) -> None:
    for r in results:
        resource = str(r.get("resource", ""))
        bindings = list((r.get("policy") or {}).get("bindings", []))
        if resource.startswith(CRM):
            name = resource.removeprefix(CRM)
            project = numbers.get(name.removeprefix("projects/")) if name.startswith("projects/") else None
            if project:
                inv.projects[project].bindings = bindings
            elif name in inv.containers or name.startswith("organizations/"):
                inv.containers.setdefault(name, Container(name=name)).bindings = bindings
        elif resource.startswith(IAM) and "/serviceAccounts/" in resource:
            unique_id = resource.rsplit("/", 1)[-1]
            data = inv.projects.get(_project_of(r, numbers) or "")
            if data is not None and unique_id in emails:
                data.account_bindings[emails[unique_id]] = bindings


def inventory(rest: GoogleRest, organization: str) -> Inventory:
    """Two paged searches for the whole organization; raises the API error when CAI is unavailable."""
    params: dict[str, Any] = {"assetTypes": ASSET_TYPES, "pageSize": PAGE_SIZE, "readMask": "*"}
    resources = list(
        rest.pages("cloudasset", f"/v1/{organization}:searchAllResources", "results", scope=organization, params=params)
    )
    policies = list(
        rest.pages(
            "cloudasset",
            f"/v1/{organization}:searchAllIamPolicies",
            "results",
            scope=organization,
            params={"pageSize": PAGE_SIZE},
        )
    )
    inv = Inventory()
    inv.containers[organization] = Container(name=organization)
    numbers = _containers(resources, inv)
    emails = _identities(resources, inv, numbers)
    _policies(policies, inv, numbers, emails)
    return inv
