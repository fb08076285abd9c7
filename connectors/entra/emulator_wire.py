"""Graph's JSON wire format for the emulated objects: camelCase, ISO 8601 'Z' timestamps, @odata.type on subtypes."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from connectors.entra.emulator_model import (
    Application,
    AppRole,
    AppRoleAssignment,
    FederatedIdentityCredential,
    KeyCredential,
    OAuth2PermissionGrant,
    PasswordCredential,
    RoleAssignment,
    RoleDefinition,
    ServicePrincipal,
    SignInActivity,
    User,
)

Json = dict[str, Any]


def iso(value: datetime | None) -> str | None:
    """Graph's DateTimeOffset form: UTC with a 'Z' suffix."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"


def user_json(u: User) -> Json:
    """A user (an agentUser with its @odata.type); accountEnabled always, though v1.0 Graph needs $select for it."""
    return {
        **({"@odata.type": u.odata_type} if u.odata_type else {}),
        "id": u.id,
        "businessPhones": [],
        "displayName": u.display_name,
        "givenName": u.display_name.split(" ")[0],
        "jobTitle": u.job_title,
        "mail": u.mail,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
        "surname": u.display_name.split(" ")[-1],
        "userPrincipalName": u.user_principal_name,
        "accountEnabled": u.account_enabled,
    }


def password_json(c: PasswordCredential) -> Json:
    """Secret metadata only; Graph returns secretText solely when a secret is created, so it is never here."""
    return {
        "customKeyIdentifier": None,
        "displayName": c.display_name,
        "endDateTime": iso(c.end),
        "hint": c.hint,
        "keyId": c.key_id,
        "startDateTime": iso(c.start),
    }


def key_json(c: KeyCredential) -> Json:
    """Certificate metadata; the public key blob is null in list responses, as in Graph."""
    return {
        "customKeyIdentifier": c.custom_key_identifier,
        "displayName": c.display_name,
        "endDateTime": iso(c.end),
        "key": None,
        "keyId": c.key_id,
        "startDateTime": iso(c.start),
        "type": c.type,
        "usage": c.usage,
    }


def fic_json(c: FederatedIdentityCredential) -> Json:
    """A federatedIdentityCredential."""
    return {
        "id": c.id,
        "name": c.name,
        "issuer": c.issuer,
        "subject": c.subject,
        "description": c.description,
        "audiences": list(c.audiences),
    }


def app_role_json(r: AppRole) -> Json:
    """An appRole of a resource service principal."""
    return {
        "allowedMemberTypes": list(r.allowed_member_types),
        "description": r.description or r.display_name,
        "displayName": r.display_name,
        "id": r.id,
        "isEnabled": r.is_enabled,
        "origin": "Application",
        "value": r.value,
    }


def application_json(a: Application) -> Json:
    """An application (app registration); navigation properties are added only by $expand."""
    out: Json = {"@odata.type": a.odata_type} if a.odata_type else {}
    out.update(
        id=a.id,
        deletedDateTime=None,
        appId=a.app_id,
        createdDateTime=iso(a.created),
        description=a.description,
        displayName=a.display_name,
        identifierUris=[],
        notes=a.notes,
        publisherDomain=a.publisher_domain,
        signInAudience=a.sign_in_audience,
        tags=list(a.tags),
        keyCredentials=[key_json(c) for c in a.key_credentials],
        passwordCredentials=[password_json(c) for c in a.password_credentials],
        requiredResourceAccess=_required_access_json(a),
    )
    return out


def _required_access_json(a: Application) -> list[Json]:
    by_resource: dict[str, list[Json]] = {}
    for ra in a.required_resource_access:
        by_resource.setdefault(ra.resource_app_id, []).append({"id": ra.id, "type": ra.type})
    return [{"resourceAppId": rid, "resourceAccess": access} for rid, access in by_resource.items()]


def service_principal_json(s: ServicePrincipal) -> Json:
    """A servicePrincipal, or an agentIdentity (its subtype) with @odata.type and agentIdentityBlueprintId."""
    out: Json = {"@odata.type": s.odata_type} if s.odata_type else {}
    vp = s.verified_publisher
    out.update(
        id=s.id,
        deletedDateTime=None,
        accountEnabled=s.account_enabled,
        alternativeNames=list(s.alternative_names),
        appDisplayName=s.app_display_name,
        appId=s.app_id,
        appOwnerOrganizationId=s.app_owner_organization_id,
        createdDateTime=iso(s.created),
        description=s.description,
        displayName=s.display_name,
        homepage=s.homepage,
        notes=s.notes,
        publisherName=s.publisher_name,
        replyUrls=list(s.reply_urls),
        servicePrincipalNames=[s.app_id],
        servicePrincipalType=s.service_principal_type,
        signInAudience="AzureADMultipleOrgs" if s.service_principal_type == "Application" else None,
        tags=list(s.tags),
        verifiedPublisher={
            "displayName": vp.display_name if vp else None,
            "verifiedPublisherId": vp.verified_publisher_id if vp else None,
            "addedDateTime": iso(vp.added) if vp else None,
        },
        appRoles=[app_role_json(r) for r in s.app_roles],
        keyCredentials=[key_json(c) for c in s.key_credentials],
        passwordCredentials=[password_json(c) for c in s.password_credentials],
    )
    if s.agent_identity_blueprint_id is not None:
        out["agentIdentityBlueprintId"] = s.agent_identity_blueprint_id
    return out


def app_role_assignment_json(a: AppRoleAssignment) -> Json:
    """An appRoleAssignment (application permission grant)."""
    return {
        "id": a.id,
        "deletedDateTime": None,
        "appRoleId": a.app_role_id,
        "createdDateTime": iso(a.created),
        "principalDisplayName": a.principal_display_name,
        "principalId": a.principal_id,
        "principalType": a.principal_type,
        "resourceDisplayName": a.resource_display_name,
        "resourceId": a.resource_id,
    }


def grant_json(g: OAuth2PermissionGrant) -> Json:
    """An oauth2PermissionGrant (delegated consent); principalId is null for admin consent."""
    return {
        "clientId": g.client_id,
        "consentType": g.consent_type,
        "id": g.id,
        "principalId": g.principal_id,
        "resourceId": g.resource_id,
        "scope": g.scope,
    }


def role_definition_json(d: RoleDefinition) -> Json:
    """A unifiedRoleDefinition."""
    return {
        "id": d.id,
        "description": d.description,
        "displayName": d.display_name,
        "isBuiltIn": d.is_built_in,
        "isEnabled": d.is_enabled,
        "templateId": d.template_id,
        "version": "1",
        "rolePermissions": [],
    }


def role_assignment_json(r: RoleAssignment) -> Json:
    """A unifiedRoleAssignment."""
    return {
        "id": r.id,
        "principalId": r.principal_id,
        "roleDefinitionId": r.role_definition_id,
        "directoryScopeId": r.directory_scope_id,
    }


def _activity(when: datetime | None, app_id: str, kind: int) -> Json:
    request_id = f"{app_id[:24]}{kind:012d}" if when else None
    return {"lastSignInDateTime": iso(when), "lastSignInRequestId": request_id}


def sign_in_activity_json(s: SignInActivity) -> Json:
    """A servicePrincipalSignInActivity; its id is the base64 of the appId, as in Graph's examples."""
    return {
        "id": base64.b64encode(s.app_id.encode()).decode(),
        "appId": s.app_id,
        "lastSignInActivity": _activity(s.last_sign_in, s.app_id, 0),
        "applicationAuthenticationClientSignInActivity": _activity(s.application_client, s.app_id, 1),
        "applicationAuthenticationResourceSignInActivity": _activity(s.application_resource, s.app_id, 2),
        "delegatedClientSignInActivity": _activity(s.delegated_client, s.app_id, 3),
        "delegatedResourceSignInActivity": _activity(s.delegated_resource, s.app_id, 4),
    }


def directory_object_json(obj: object) -> Json:
    """A member of a directoryObject collection (owners, sponsors), always with its @odata.type."""
    if isinstance(obj, User):
        return {"@odata.type": obj.odata_type or "#microsoft.graph.user", **user_json(obj)}
    if isinstance(obj, ServicePrincipal):
        return {"@odata.type": obj.odata_type or "#microsoft.graph.servicePrincipal", **service_principal_json(obj)}
    if isinstance(obj, Application):
        return {"@odata.type": obj.odata_type or "#microsoft.graph.application", **application_json(obj)}
    raise TypeError(f"not a directory object: {type(obj).__name__}")


SERIALIZERS: dict[type, Callable[[Any], Json]] = {
    User: user_json,
    Application: application_json,
    ServicePrincipal: service_principal_json,
    AppRoleAssignment: app_role_assignment_json,
    OAuth2PermissionGrant: grant_json,
    RoleDefinition: role_definition_json,
    RoleAssignment: role_assignment_json,
    SignInActivity: sign_in_activity_json,
    FederatedIdentityCredential: fic_json,
}
