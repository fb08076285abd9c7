"""Cloud Resource Manager v3: projects, folders and the organization, their searches and their IAM policies.

Page sizes are not documented for v3 lists and searches ("server picks an appropriate default"), so the emulator
picks 500 by default and clamps at 1000. Search queries follow the documented v3 syntax (`field:value`, `*`
wildcards) and, as documented, match a project or folder when *any* term matches; only ACTIVE ones are returned
unless the query names a state.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import TypeVar

from connectors.gcp.emulator_call import Call, Json, PageRule, paged, requested_version, require_project
from connectors.gcp.emulator_faults import invalid_argument, permission_denied
from connectors.gcp.emulator_model import Folder, Policy, Project
from connectors.gcp.emulator_wire import folder_json, organization_json, policy_json, project_json

T = TypeVar("T")
RM_PAGE = PageRule(default=500, maximum=1000)
_TERM = re.compile(r'(?P<field>[A-Za-z][\w.]*)\s*[:=]\s*(?P<value>"[^"]*"|[^\s"]+)')
_PROJECT_FIELDS = frozenset(
    {"displayname", "name", "parent", "parent.type", "parent.id", "id", "projectid", "state", "lifecyclestate"}
)
_FOLDER_FIELDS = frozenset({"displayname", "parent", "state"})


def parse_terms(query: str, fields: frozenset[str]) -> list[tuple[str, str]]:
    """(field, value) terms of a search query; free text, or a field the method does not know, is a 400."""
    terms = [(m["field"].lower(), m["value"].strip('"')) for m in _TERM.finditer(query)]
    rest = _TERM.sub(" ", query).replace(" AND ", " ").replace(" OR ", " ").strip()
    unknown = [f for f, _ in terms if f not in fields and not f.startswith("labels.")]
    if rest or unknown:
        raise invalid_argument(f"Invalid query: {query!r}.", "query")
    return terms


def _matches(values: list[str], pattern: str) -> bool:
    return any(fnmatch.fnmatchcase(v.lower(), pattern.lower()) for v in values)


def _project_values(p: Project, field: str) -> list[str]:
    if field.startswith("labels."):
        label = p.labels.get(field.removeprefix("labels."))
        return [] if label is None else [label]
    kind, _, parent_id = p.parent.partition("/")
    by_field = {"displayname": p.display_name, "name": p.display_name, "parent": p.parent, "id": p.project_id}
    by_field |= {"parent.type": kind.removesuffix("s"), "parent.id": parent_id, "projectid": p.project_id}
    by_field |= {"state": p.state, "lifecyclestate": p.state}
    return [by_field[field]]


def _folder_values(f: Folder, field: str) -> list[str]:
    return [{"displayname": f.display_name, "parent": f.parent, "state": f.state}[field]]


def _filter(items: list[T], query: str, fields: frozenset[str], values: Callable[[T, str], list[str]]) -> list[T]:
    """Items matching any term; ACTIVE ones only unless a state is asked for."""
    terms = parse_terms(query, fields)
    if not any(field in ("state", "lifecyclestate") for field, _ in terms):
        items = [i for i in items if "ACTIVE" in values(i, "state")]
    if not terms:
        return items
    return [i for i in items if any(_matches(values(i, field), pattern) for field, pattern in terms)]


def search_projects(call: Call, match: re.Match[str]) -> Json:
    """GET /v3/projects:search: every visible project matching the query."""
    visible = [p for p in call.org.projects.values() if p.visible]
    found = _filter(visible, call.one("query"), _PROJECT_FIELDS, _project_values)
    return paged(call, found, RM_PAGE, "projects", project_json)


def _parent(call: Call, permission: str) -> str:
    """The required ?parent= of a list, which must name the organization or a folder the caller can see."""
    parent = call.one("parent")
    if not parent:
        raise invalid_argument("parent is required.", "parent")
    if parent != call.org.organization.name and call.org.folder(parent) is None:
        raise permission_denied(permission, parent)
    return parent


def list_projects(call: Call, match: re.Match[str]) -> Json:
    """GET /v3/projects?parent=: direct children (DELETE_REQUESTED ones only with showDeleted)."""
    parent = _parent(call, "resourcemanager.projects.list")
    deleted = call.one("showDeleted").lower() == "true"
    found = [
        p for p in call.org.projects.values() if p.parent == parent and p.visible and (deleted or p.state == "ACTIVE")
    ]
    return paged(call, found, RM_PAGE, "projects", project_json)


def get_project(call: Call, match: re.Match[str]) -> Json:
    """GET /v3/projects/{id or number}."""
    return project_json(require_project(call, match["project"], "resourcemanager.projects.get"))


def list_folders(call: Call, match: re.Match[str]) -> Json:
    """GET /v3/folders?parent=: direct child folders."""
    parent = _parent(call, "resourcemanager.folders.list")
    deleted = call.one("showDeleted").lower() == "true"
    found = [f for f in call.org.folders.values() if f.parent == parent and (deleted or f.state == "ACTIVE")]
    return paged(call, found, RM_PAGE, "folders", folder_json)


def search_folders(call: Call, match: re.Match[str]) -> Json:
    """GET /v3/folders:search."""
    found = _filter(list(call.org.folders.values()), call.one("query"), _FOLDER_FIELDS, _folder_values)
    return paged(call, found, RM_PAGE, "folders", folder_json)


def _folder(call: Call, folder_id: str, permission: str) -> Folder:
    folder = call.org.folder(folder_id)
    if folder is None:
        raise permission_denied(permission, f"folders/{folder_id}")
    return folder


def get_folder(call: Call, match: re.Match[str]) -> Json:
    """GET /v3/folders/{id}."""
    return folder_json(_folder(call, match["folder"], "resourcemanager.folders.get"))


def _organization_policy(call: Call, org_id: str, permission: str) -> Policy:
    if org_id != call.org.organization.id:
        raise permission_denied(permission, f"organizations/{org_id}")
    return call.org.organization.policy


def get_organization(call: Call, match: re.Match[str]) -> Json:
    """GET /v3/organizations/{id}."""
    _organization_policy(call, match["org"], "resourcemanager.organizations.get")
    return organization_json(call.org.organization)


def search_organizations(call: Call, match: re.Match[str]) -> Json:
    """GET /v3/organizations:search: the one organization (its query is accepted and not interpreted)."""
    return paged(call, [call.org.organization], RM_PAGE, "organizations", organization_json)


def organization_policy(call: Call, match: re.Match[str]) -> Json:
    """POST /v3/organizations/{id}:getIamPolicy."""
    policy = _organization_policy(call, match["org"], "resourcemanager.organizations.getIamPolicy")
    return policy_json(policy, requested_version(call))


def folder_policy(call: Call, match: re.Match[str]) -> Json:
    """POST /v3/folders/{id}:getIamPolicy."""
    folder = _folder(call, match["folder"], "resourcemanager.folders.getIamPolicy")
    return policy_json(folder.policy, requested_version(call))


def project_policy(call: Call, match: re.Match[str]) -> Json:
    """POST /v3/projects/{id or number}:getIamPolicy."""
    project = require_project(call, match["project"], "resourcemanager.projects.getIamPolicy")
    return policy_json(project.policy, requested_version(call))
