"""Lookup tables over a Tenant, rebuilt when its collections grow or shrink, so 100k-object tenants serve fast."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field

from connectors.entra.emulator_model import (
    Application,
    AppRoleAssignment,
    OAuth2PermissionGrant,
    ServicePrincipal,
    User,
)
from connectors.entra.emulator_tenant import Tenant

DirectoryObject = User | ServicePrincipal | Application


@dataclass
class Index:
    """Objects by id and appId, relationships by endpoint, and subtype (cast) collections."""

    users: dict[str, User] = field(default_factory=dict)
    service_principals: dict[str, ServicePrincipal] = field(default_factory=dict)
    sps_by_app_id: dict[str, ServicePrincipal] = field(default_factory=dict)
    applications: dict[str, Application] = field(default_factory=dict)
    apps_by_app_id: dict[str, Application] = field(default_factory=dict)
    assignments_by_principal: dict[str, list[AppRoleAssignment]] = field(default_factory=dict)
    assignments_by_resource: dict[str, list[AppRoleAssignment]] = field(default_factory=dict)
    grants_by_client: dict[str, list[OAuth2PermissionGrant]] = field(default_factory=dict)
    sp_casts: dict[str, list[ServicePrincipal]] = field(default_factory=dict)
    app_casts: dict[str, list[Application]] = field(default_factory=dict)

    def directory_object(self, object_id: str) -> DirectoryObject | None:
        """A user, service principal or application by object id; None when deleted or unknown."""
        key = object_id.lower()
        return self.users.get(key) or self.service_principals.get(key) or self.applications.get(key)

    def existing(self, object_ids: tuple[str, ...]) -> list[DirectoryObject]:
        """The objects behind these ids that still exist (Graph drops deleted members from relationships)."""
        found = (self.directory_object(i) for i in object_ids)
        return [o for o in found if o is not None]


def build_index(tenant: Tenant) -> Index:
    """Index every collection of the tenant (ids compared case-insensitively, as Graph does)."""
    ix = Index()
    ix.users = {u.id.lower(): u for u in tenant.users}
    ix.service_principals = {s.id.lower(): s for s in tenant.service_principals}
    ix.sps_by_app_id = {s.app_id.lower(): s for s in tenant.service_principals}
    ix.applications = {a.id.lower(): a for a in tenant.applications}
    ix.apps_by_app_id = {a.app_id.lower(): a for a in tenant.applications}
    by_principal: dict[str, list[AppRoleAssignment]] = defaultdict(list)
    by_resource: dict[str, list[AppRoleAssignment]] = defaultdict(list)
    for assignment in tenant.app_role_assignments:
        by_principal[assignment.principal_id.lower()].append(assignment)
        by_resource[assignment.resource_id.lower()].append(assignment)
    grants: dict[str, list[OAuth2PermissionGrant]] = defaultdict(list)
    for g in tenant.oauth2_permission_grants:
        grants[g.client_id.lower()].append(g)
    ix.assignments_by_principal, ix.assignments_by_resource, ix.grants_by_client = by_principal, by_resource, grants
    sp_casts: dict[str, list[ServicePrincipal]] = defaultdict(list)
    for s in tenant.service_principals:
        if s.odata_type:
            sp_casts[s.odata_type.lower()].append(s)
    app_casts: dict[str, list[Application]] = defaultdict(list)
    for a in tenant.applications:
        if a.odata_type:
            app_casts[a.odata_type.lower()].append(a)
    ix.sp_casts, ix.app_casts = sp_casts, app_casts
    return ix


def _fingerprint(tenant: Tenant) -> tuple[int, ...]:
    collections = (
        tenant.users,
        tenant.applications,
        tenant.service_principals,
        tenant.app_role_assignments,
        tenant.oauth2_permission_grants,
    )
    return tuple(x for c in collections for x in (id(c), len(c)))


class IndexCache:
    """The current Index of a tenant; objects may be added or removed between requests (tests do)."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self._lock = threading.Lock()
        self._key: tuple[int, ...] = ()
        self._index = Index()

    def get(self) -> Index:
        """The index, rebuilt if a collection changed size or was replaced since the last request."""
        key = _fingerprint(self.tenant)
        with self._lock:
            if key != self._key:
                self._index, self._key = build_index(self.tenant), key
            return self._index
