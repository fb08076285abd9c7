"""Organization -> folders -> projects through google-cloud-resource-manager's REST transport."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from google.api_core.client_options import ClientOptions
from google.auth.credentials import Credentials
from google.cloud import resourcemanager_v3
from google.protobuf.json_format import MessageToDict

from connectors.gcp.errors import API_ERRORS, gap_detail, gap_reason
from scanner.model import Facet, Gap

log = logging.getLogger(__name__)
HIERARCHY_FACETS = frozenset({Facet.IDENTITIES, Facet.GRANTS})


@dataclass
class Container:
    """An organization, folder or project with its IAM bindings."""

    name: str  # organizations/N, folders/N, projects/N
    display_name: str = ""
    project_id: str = ""
    parent: str = ""
    bindings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Hierarchy:
    """What the walk found, and where it could not look."""

    containers: dict[str, Container] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    calls: int = 0

    @property
    def projects(self) -> list[Container]:
        """The ACTIVE projects found."""
        return [c for c in self.containers.values() if c.name.startswith("projects/")]


class ResourceManager:
    """Thin wrappers over the v3 clients; every request is counted through the transport's session."""

    def __init__(self, credentials: Credentials, endpoint: str, count: Callable[[], None]) -> None:
        options = ClientOptions(api_endpoint=endpoint)
        kwargs: dict[str, Any] = {"transport": "rest", "credentials": credentials, "client_options": options}
        self.projects = resourcemanager_v3.ProjectsClient(**kwargs)
        self.folders = resourcemanager_v3.FoldersClient(**kwargs)
        self.organizations = resourcemanager_v3.OrganizationsClient(**kwargs)
        for client in (self.projects, self.folders, self.organizations):
            transport: Any = client._transport  # the REST transport's requests session counts every response
            transport._session.hooks["response"].append(lambda response, *a, **k: count())

    def policy(self, resource: str) -> list[dict[str, Any]]:
        """IAM bindings, asking for version 3 so conditional bindings are not downgraded."""
        clients: dict[str, Any] = {"organizations": self.organizations, "folders": self.folders}
        client: Any = clients.get(resource.split("/")[0], self.projects)
        policy = client.get_iam_policy(request={"resource": resource, "options": {"requested_policy_version": 3}})
        return list(MessageToDict(policy).get("bindings", []))

    def children(self, parent: str) -> tuple[list[Any], list[Any]]:
        """Folders and projects directly under a container."""
        folders = list(self.folders.list_folders(parent=parent))
        projects = list(self.projects.list_projects(parent=parent))
        return folders, projects


def _gap(walk: Hierarchy, scope: str, resource: str, exc: BaseException) -> None:
    log.warning("gcp %s: %s %s", scope, resource, gap_detail(exc))
    walk.gaps.append(
        Gap(
            provider="gcp",
            scope=scope,
            resource=resource,
            reason=gap_reason(exc),
            detail=gap_detail(exc),
            facets=HIERARCHY_FACETS,
        )
    )


def walk_organization(rm: ResourceManager, organization: str) -> Hierarchy:
    """Breadth-first over folders: policies at each level, projects with their parents."""
    walk = Hierarchy()
    queue = [organization]
    walk.containers[organization] = Container(name=organization)
    while queue:
        parent = queue.pop(0)
        try:
            walk.containers[parent].bindings = rm.policy(parent)
        except API_ERRORS as exc:
            _gap(walk, parent, f"{parent}:getIamPolicy", exc)
        try:
            folders, projects = rm.children(parent)
        except API_ERRORS as exc:
            _gap(walk, parent, f"{parent} children", exc)
            continue
        for folder in folders:
            walk.containers[folder.name] = Container(name=folder.name, display_name=folder.display_name, parent=parent)
            queue.append(folder.name)
        for project in projects:
            if project.state == resourcemanager_v3.Project.State.ACTIVE:
                walk.containers[project.name] = Container(
                    name=project.name, display_name=project.display_name, project_id=project.project_id, parent=parent
                )
    return walk


def explicit_projects(rm: ResourceManager, project_ids: tuple[str, ...]) -> Hierarchy:
    """The configured projects only (no organization walk)."""
    walk = Hierarchy()
    for project_id in project_ids:
        try:
            project = rm.projects.get_project(name=f"projects/{project_id}")
        except API_ERRORS as exc:
            _gap(walk, project_id, f"projects/{project_id}:get", exc)
            continue
        walk.containers[project.name] = Container(
            name=project.name, display_name=project.display_name, project_id=project.project_id, parent=project.parent
        )
    return walk
