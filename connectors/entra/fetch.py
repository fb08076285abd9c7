"""Collect one tenant with the fewest Graph requests: $select, $top=999, $expand, concurrent collections."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from connectors.entra.client import GraphClient, GraphError
from connectors.entra.normalize import Snapshot
from scanner.model import Facet, Gap, GapReason

log = logging.getLogger(__name__)
T = TypeVar("T")

SP_FIELDS = (
    "id,appId,displayName,appDisplayName,servicePrincipalType,appOwnerOrganizationId,verifiedPublisher,"
    "publisherName,accountEnabled,tags,createdDateTime,homepage,replyUrls,notes,appRoles,passwordCredentials,"
    "keyCredentials,agentIdentityBlueprintId"
)
APP_FIELDS = (
    "id,appId,displayName,createdDateTime,signInAudience,publisherDomain,notes,tags,passwordCredentials,keyCredentials"
)
PERSON_FIELDS = "id,displayName,userPrincipalName,mail,accountEnabled"
OWNER_EXPAND = f"owners($select={PERSON_FIELDS})"
AGENT_TYPES = frozenset({"#microsoft.graph.agentIdentity", "#microsoft.graph.agentIdentityBlueprintPrincipal"})

# The least-privilege application permission each read needs, named in the gap when it is denied.
PERMISSION = {
    "/organization": "Organization.Read.All",
    "/servicePrincipals": "Application.Read.All",
    "/applications": "Application.Read.All",
    "/oauth2PermissionGrants": "DelegatedPermissionGrant.Read.All",
    "/roleManagement": "RoleManagement.Read.Directory",
    "/reports": "AuditLog.Read.All",
    "/users": "User.Read.All",
    "/agentRegistry": "AgentInstance.Read.All",
    "sponsors": "AgentIdentity.Read.All",
}


def permission_for(path: str) -> str:
    """The Graph permission a path needs."""
    if "sponsors" in path or "microsoft.graph.agentIdentity" in path:  # the cast's listing, with its lifecycle
        return PERMISSION["sponsors"]
    return next((perm for prefix, perm in PERMISSION.items() if path.startswith(prefix)), "Directory.Read.All")


def gap_reason(status: int) -> GapReason:
    """HTTP status to gap reason."""
    if status in (401, 403):
        return GapReason.DENIED
    if status == 429:
        return GapReason.THROTTLED
    if status in (400, 404, 501):
        return GapReason.UNSUPPORTED
    return GapReason.ERROR


@dataclass
class TenantFetch:
    """One tenant's reads; failures accumulate as gaps."""

    client: GraphClient
    tenant_id: str
    gaps: list[Gap] = field(default_factory=list)

    def gap(self, path: str, error: GraphError, facets: frozenset[Facet], target: str = "") -> None:
        """Record a failed read, naming the permission when it was denied."""
        reason = gap_reason(error.status)
        hint = f"; needs {permission_for(path)}" if reason is GapReason.DENIED else ""
        log.warning("entra %s: %s %s: %s", self.tenant_id, path, reason.value, error)
        self.gaps.append(
            Gap(
                provider="entra",
                scope=self.tenant_id,
                resource=f"GET {path}",
                reason=reason,
                detail=f"{error}{hint}",
                facets=facets,
                target=target,
            )
        )

    async def guarded(self, path: str, call: Awaitable[T], facets: frozenset[Facet]) -> T | None:
        """Await one read; a Graph failure becomes a gap and None."""
        try:
            return await call
        except GraphError as error:
            self.gap(path, error, facets)
            return None

    async def listing(self, path: str, params: dict[str, str], facets: frozenset[Facet], version: str = "v1.0") -> Any:
        """A whole collection, or None (and a gap) if it could not be read."""
        return await self.guarded(path, self.client.collect(path, params, version), facets)


ALL_FACETS = frozenset({Facet.SCOPE})
CREDS = frozenset({Facet.CREDENTIALS, Facet.IDENTITIES})
GRANTS = frozenset({Facet.GRANTS})
USAGE = frozenset({Facet.CREDENTIAL_USAGE, Facet.IDENTITY_USAGE})
PEOPLE = frozenset({Facet.DIRECTORY})


async def _collections(f: TenantFetch) -> dict[str, Any]:
    """The independent tenant-wide listings, run concurrently."""
    top = "999"
    jobs = {
        "sps": f.listing("/servicePrincipals", {"$select": SP_FIELDS, "$top": top}, ALL_FACETS),
        "apps": f.listing("/applications", {"$select": APP_FIELDS, "$expand": OWNER_EXPAND, "$top": top}, CREDS),
        "fics": f.listing(
            "/applications", {"$select": "id", "$expand": "federatedIdentityCredentials", "$top": top}, CREDS
        ),
        "assignments": f.listing(
            "/servicePrincipals", {"$select": "id", "$expand": "appRoleAssignments", "$top": top}, GRANTS
        ),
        "grants": f.listing("/oauth2PermissionGrants", {"$top": top}, GRANTS),
        "role_defs": f.listing(
            "/roleManagement/directory/roleDefinitions", {"$select": "id,displayName,templateId"}, GRANTS
        ),
        "role_assignments": f.listing(
            "/roleManagement/directory/roleAssignments",
            {"$select": "id,principalId,roleDefinitionId,directoryScopeId", "$top": top},
            GRANTS,
        ),
        "sign_ins": f.listing("/reports/servicePrincipalSignInActivities", {"$top": top}, USAGE, version="beta"),
    }
    results = await asyncio.gather(*jobs.values())
    return dict(zip(jobs, results, strict=True))


def _people_paths(snap: Snapshot) -> list[tuple[str, str, str]]:
    """(object id, path template, path) for owners and sponsors of Agent ID objects."""
    wanted: list[tuple[str, str, str]] = []
    for sp in snap.service_principals:
        kind = sp.get("@odata.type")
        if kind in AGENT_TYPES:
            wanted.append((sp["id"], "/servicePrincipals/{id}/owners", f"/servicePrincipals/{sp['id']}/owners"))
        if kind == "#microsoft.graph.agentIdentity":
            template = "/servicePrincipals/{id}/microsoft.graph.agentIdentity/sponsors"
            wanted.append((sp["id"], template, template.replace("{id}", sp["id"])))
    for app in snap.applications:
        if app.get("@odata.type") == "#microsoft.graph.agentIdentityBlueprint":
            template = "/applications/{id}/microsoft.graph.agentIdentityBlueprint/sponsors"
            wanted.append((app["id"], template, template.replace("{id}", app["id"])))
    return wanted


async def _agent_people(f: TenantFetch, snap: Snapshot) -> None:
    """Owners and sponsors of agent identities and blueprints, read in $batch requests of 20."""
    wanted = _people_paths(snap)
    if not wanted:
        return
    paths = [f"{path}?$select={PERSON_FIELDS}" for _, _, path in wanted]
    answers = await f.guarded("/$batch", f.client.batch_get(paths), PEOPLE) or []
    for (object_id, template, path), (status, body) in zip(wanted, answers, strict=False):
        if status >= 400:
            error = (body or {}).get("error", {})
            failure = GraphError(status, error.get("code", ""), error.get("message", ""), path)
            f.gap(template, failure, PEOPLE, target=object_id)
            continue
        objects = (body or {}).get("value", [])
        target = snap.sponsors if template.endswith("sponsors") else snap.owners
        target.setdefault(object_id, []).extend(o["id"] for o in objects)
        _remember_people(snap, objects)


def _remember_people(snap: Snapshot, objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        if obj.get("@odata.type", "#microsoft.graph.user") == "#microsoft.graph.user" and "userPrincipalName" in obj:
            snap.people[obj["id"]] = obj


def _fill(snap: Snapshot, found: dict[str, Any]) -> None:
    snap.service_principals = found["sps"] or []
    snap.applications = found["apps"] or []
    for app in snap.applications:
        owners = app.pop("owners", None) or []
        snap.owners[app["id"]] = [o["id"] for o in owners]
        _remember_people(snap, owners)
    snap.federated = {a["id"]: a.get("federatedIdentityCredentials") or [] for a in found["fics"] or []}
    snap.app_role_assignments = {s["id"]: s.get("appRoleAssignments") or [] for s in found["assignments"] or []}
    snap.grants = found["grants"] or []
    snap.role_definitions = {r["id"]: r for r in found["role_defs"] or []}
    snap.role_assignments = found["role_assignments"] or []
    if found["sign_ins"] is not None:
        snap.sign_ins = {a.get("appId", ""): a for a in found["sign_ins"]}


async def fetch_tenant(
    client: GraphClient, tenant_hint: str, *, expected: str | None = None, agent_registry: bool = True
) -> tuple[Snapshot, list[Gap]]:
    """Everything shadowsweep reads from one tenant, and the gaps where it could not read."""
    from connectors.entra.agent_fetch import agent_governance, instance_people

    f = TenantFetch(client=client, tenant_id=tenant_hint)
    orgs = await f.listing("/organization", {"$select": "id,displayName,verifiedDomains"}, frozenset())
    org = (orgs or [{}])[0]
    if expected and org.get("id") and org["id"] != expected:
        wrong = GraphError(403, "WrongTenant", f"the token is for tenant {org['id']}, not {expected}", "/organization")
        f.gap("/organization", wrong, ALL_FACETS)
        return Snapshot(tenant_id=expected), f.gaps
    f.tenant_id = org.get("id") or tenant_hint
    f.gaps = [replace(gap, scope=f.tenant_id) for gap in f.gaps]
    snap = Snapshot(tenant_id=f.tenant_id, domains=tuple(d["name"] for d in org.get("verifiedDomains", [])))
    _fill(snap, await _collections(f))
    await asyncio.gather(_agent_people(f, snap), agent_governance(f, snap, agent_registry=agent_registry))
    await instance_people(f, snap)
    return snap, f.gaps
