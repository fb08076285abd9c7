"""Pure mappers for what Entra service principals are granted: application permissions, consents, roles."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from connectors.entra.normalize import DEFAULT_ACCESS_ROLE, PROVIDER, Snapshot, sp_uid
from scanner.model import Grant


def app_role_grants(sp: Mapping[str, Any], snap: Snapshot, roles: dict[str, dict[str, str]]) -> Iterator[Grant]:
    for assignment in snap.app_role_assignments.get(sp["id"], []):
        resource = str(assignment.get("resourceId", ""))
        role_id = str(assignment.get("appRoleId", ""))
        value = "default access" if role_id == DEFAULT_ACCESS_ROLE else roles.get(resource, {}).get(role_id, role_id)
        yield Grant(
            uid=f"{PROVIDER}:app-role:{assignment['id']}",
            subject_uid=sp_uid(sp["id"]),
            provider=PROVIDER,
            scope=snap.tenant_id,
            kind="app-role",
            target=sp_uid(resource),
            name=f"application permission {value} on {assignment.get('resourceDisplayName') or resource}",
            permissions=(value,),
            attributes={"resource_app_id": snap.sp_by_id.get(resource, {}).get("appId", ""), "app_role_id": role_id},
        )


def consent_grants(snap: Snapshot) -> Iterator[Grant]:
    """Delegated consents (oauth2PermissionGrants), each held by its client service principal."""
    sps = snap.sp_by_id
    for grant in snap.grants:
        resource = sps.get(grant.get("resourceId", ""), {})
        everyone = grant.get("consentType") == "AllPrincipals"
        who = "all users (admin consent)" if everyone else f"user {grant.get('principalId')}"
        yield Grant(
            uid=f"{PROVIDER}:consent:{grant['id']}",
            subject_uid=sp_uid(grant["clientId"]),
            provider=PROVIDER,
            scope=snap.tenant_id,
            kind="delegated-consent",
            target=sp_uid(grant.get("resourceId", "")),
            name=f"delegated consent to {resource.get('displayName', grant.get('resourceId'))} for {who}",
            permissions=tuple(str(grant.get("scope") or "").split()),
            attributes={
                "consent_type": grant.get("consentType", ""),
                "principal_id": grant.get("principalId") or "",
                "resource_app_id": resource.get("appId", ""),
            },
        )


def role_grants(snap: Snapshot) -> Iterator[Grant]:
    """Directory role assignments of service principals (users' roles are out of scope)."""
    sps = snap.sp_by_id
    for assignment in snap.role_assignments:
        principal = str(assignment.get("principalId", ""))
        if principal not in sps:
            continue
        role = snap.role_definitions.get(str(assignment.get("roleDefinitionId", "")), {})
        name = str(role.get("displayName") or assignment.get("roleDefinitionId"))
        yield Grant(
            uid=f"{PROVIDER}:directory-role:{assignment['id']}",
            subject_uid=sp_uid(principal),
            provider=PROVIDER,
            scope=snap.tenant_id,
            kind="directory-role",
            target=f"{PROVIDER}:directory:{assignment.get('directoryScopeId', '/')}",
            name=f"directory role {name}",
            permissions=(name,),
            attributes={"role_template_id": role.get("templateId", ""), "scope": assignment.get("directoryScopeId")},
        )
