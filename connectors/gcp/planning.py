"""Plan a GCP scan: walk the hierarchy once, then hand each project to the engine as a scope."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from connectors.gcp.cai import inventory
from connectors.gcp.errors import API_ERRORS
from connectors.gcp.hierarchy import Hierarchy, ResourceManager, explicit_projects, walk_organization
from connectors.gcp.normalize import container_records
from scanner.model import Record, ScopeReport
from scanner.plugins import ScopePlan

if TYPE_CHECKING:
    from connectors.gcp import GcpConnector

log = logging.getLogger(__name__)


def _from_inventory(connector: GcpConnector, organization: str) -> Hierarchy | None:
    """The organization from Cloud Asset Inventory, or None when CAI is disabled or denied (then walk it)."""
    try:
        inv = inventory(connector.rest(), organization)
    except API_ERRORS as exc:
        log.info("Cloud Asset Inventory unavailable for %s (%s): reading project by project", organization, exc)
        return None
    connector.prefetched = inv.projects
    return Hierarchy(containers=inv.containers)


def plan(connector: GcpConnector) -> ScopePlan:
    """Organization and folder policies as records; projects as scopes, labelled by display name."""
    rest = connector.rest()
    settings = connector.settings
    top = settings.organization or "projects"
    endpoint = rest.hosts["resourcemanager"]
    rm = ResourceManager(rest.session.credentials, endpoint, lambda: rest._count(top))
    walk = _from_inventory(connector, settings.organization) if settings.organization else None
    if walk is None and settings.organization:
        walk = walk_organization(rm, settings.organization)
    if walk is None:
        walk = explicit_projects(rm, settings.projects)
    projects = walk.projects
    if settings.organization and settings.projects:
        projects = [p for p in projects if p.project_id in settings.projects]
    connector.numbers = {p.project_id: p.name.split("/", 1)[1] for p in projects}
    connector.scanned = set(connector.numbers)
    records: list[Record] = list(container_records(walk.containers.values(), connector.scanned, top))
    records += walk.gaps
    records.append(ScopeReport(provider="gcp", connector="gcp", scope=top, api_calls=rest.calls[top]))
    labels = {p.project_id: p.display_name for p in projects if p.display_name}
    return ScopePlan(scopes=tuple(connector.numbers), records=tuple(records), labels=labels)
