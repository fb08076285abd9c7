"""Pure mappers from Microsoft Graph JSON to normalized records; no SDK calls here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from connectors.entra.agent_normalize import agent_records, blueprint_names, lifecycle_attributes
from scanner.model import Credential, Identity, Record, Trust, TrustKind
from scanner.times import parse_timestamp

PROVIDER = "entra"
MICROSOFT_TENANTS = frozenset({"f8cdef31-a31e-4b4a-93e4-5f571e91255a", "72f988bf-86f1-41af-91ab-2d7cd011db47"})
DEFAULT_ACCESS_ROLE = "00000000-0000-0000-0000-000000000000"
SP_KINDS = {
    "#microsoft.graph.agentIdentity": "agent_identity",
    "#microsoft.graph.agentIdentityBlueprintPrincipal": "agent_blueprint_principal",
}


def parse_time(value: Any) -> datetime | None:
    """Graph's ISO 8601 timestamps (with Z and up to 7 fractional digits) as aware datetimes."""
    return parse_timestamp(value)


def sp_uid(object_id: str) -> str:
    """Identity uid of a service principal."""
    return f"{PROVIDER}:service_principal:{object_id}"


def app_uid(object_id: str) -> str:
    """Identity uid of an application with no service principal in the tenant."""
    return f"{PROVIDER}:application:{object_id}"


def user_uid(object_id: str) -> str:
    """Identity uid of a user (owners and sponsors)."""
    return f"{PROVIDER}:user:{object_id}"


@dataclass
class Snapshot:
    """What one tenant's collection returned, before normalization."""

    tenant_id: str
    domains: tuple[str, ...] = ()
    service_principals: list[dict[str, Any]] = field(default_factory=list)
    applications: list[dict[str, Any]] = field(default_factory=list)
    federated: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # application object id -> FICs
    app_role_assignments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sp id -> assignments
    grants: list[dict[str, Any]] = field(default_factory=list)
    role_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    role_assignments: list[dict[str, Any]] = field(default_factory=list)
    sign_ins: dict[str, dict[str, Any]] | None = None  # appId -> activity; None when it could not be read
    owners: dict[str, list[str]] = field(default_factory=dict)  # object id (app or sp) -> owner object ids
    sponsors: dict[str, list[str]] = field(default_factory=dict)  # object id -> sponsor object ids
    people: dict[str, dict[str, Any]] = field(default_factory=dict)  # user object id -> user
    lifecycles: dict[str, dict[str, Any] | None] | None = None  # agent identity id -> lifecycle; None: not read
    instances: list[dict[str, Any]] = field(default_factory=list)  # beta agent registry instances
    agent_users: dict[str, dict[str, Any]] = field(default_factory=dict)  # agentUser objects instances name
    absent: list[str] = field(default_factory=list)  # ids the directory answered 404 for

    @cached_property
    def sp_by_id(self) -> dict[str, dict[str, Any]]:
        """Service principals by object id (read after collection is complete)."""
        return {sp["id"]: sp for sp in self.service_principals}

    @cached_property
    def blueprint_names(self) -> dict[str, str]:
        """Agent identity blueprints' names by appId (read after collection is complete)."""
        return blueprint_names(self)


def owner_class(sp: Mapping[str, Any], tenant_id: str) -> str:
    """Who publishes the app: this tenant, Microsoft, or a third party."""
    owner = sp.get("appOwnerOrganizationId")
    if not owner or owner == tenant_id:
        return "tenant"
    return "microsoft" if owner in MICROSOFT_TENANTS else "third-party"


def _domains(sp: Mapping[str, Any]) -> list[str]:
    urls = [sp.get("homepage") or "", *(sp.get("replyUrls") or [])]
    return sorted({(urlsplit(u).hostname or "").lower() for u in urls if u} - {""})


def _trusts(fics: list[dict[str, Any]]) -> tuple[Trust, ...]:
    return tuple(
        Trust(
            kind=TrustKind.FEDERATED,
            principal=str(f.get("issuer", "")).removeprefix("https://").rstrip("/"),
            action="federatedIdentityCredential",
            conditions=(f"audiences = {', '.join(f.get('audiences') or [])}",),
            subjects=(str(f.get("subject", "")),),
        )
        for f in fics
    )


def _sp_identity(sp: dict[str, Any], app: dict[str, Any] | None, snap: Snapshot) -> Identity:
    odata = str(sp.get("@odata.type", ""))
    sp_type = str(sp.get("servicePrincipalType", ""))
    kind = SP_KINDS.get(odata, "managed_identity" if sp_type == "ManagedIdentity" else "service_principal")
    activity = (snap.sign_ins or {}).get(sp.get("appId", ""), {})
    publisher = (sp.get("verifiedPublisher") or {}).get("displayName") or ""
    natives = [sp["id"], sp.get("appId", "")] + ([app["id"]] if app else [])
    return Identity(
        uid=sp_uid(sp["id"]),
        provider=PROVIDER,
        kind=kind,
        scope=snap.tenant_id,
        name=str(sp.get("displayName") or sp.get("appDisplayName") or sp["id"]),
        native_ids=tuple(n for n in natives if n),
        created_at=parse_time(sp.get("createdDateTime") or (app or {}).get("createdDateTime")),
        last_used_at=parse_time((activity.get("lastSignInActivity") or {}).get("lastSignInDateTime")),
        enabled=sp.get("accountEnabled", True) is not False,
        description=str(sp.get("notes") or (app or {}).get("notes") or ""),
        tags={str(t): "" for t in sp.get("tags") or []},
        trusts=_trusts(snap.federated.get(app["id"], [])) if app else (),
        owners=tuple(snap.owners.get(sp["id"], []) + (snap.owners.get(app["id"], []) if app else [])),
        sponsors=tuple(snap.sponsors.get(sp["id"], []) + (snap.sponsors.get(app["id"], []) if app else [])),
        attributes={
            "app_id": sp.get("appId", ""),
            "app_owner_class": owner_class(sp, snap.tenant_id),
            "app_owner_organization_id": sp.get("appOwnerOrganizationId") or "",
            "service_principal_type": sp_type,
            "odata_type": odata,
            "publisher": publisher or sp.get("publisherName") or "",
            "verified_publisher": bool(publisher),
            "domains": _domains(sp),
            "agent_blueprint_id": sp.get("agentIdentityBlueprintId") or "",
            "agent_blueprint_name": snap.blueprint_names.get(sp.get("agentIdentityBlueprintId") or "", ""),
            **lifecycle_attributes(sp, snap),
        },
    )


def _app_identity(app: dict[str, Any], snap: Snapshot) -> Identity:
    return Identity(
        uid=app_uid(app["id"]),
        provider=PROVIDER,
        kind="application",
        scope=snap.tenant_id,
        name=str(app.get("displayName") or app["id"]),
        native_ids=(app["id"], app.get("appId", "")),
        created_at=parse_time(app.get("createdDateTime")),
        description=str(app.get("notes") or ""),
        tags={str(t): "" for t in app.get("tags") or []},
        trusts=_trusts(snap.federated.get(app["id"], [])),
        owners=tuple(snap.owners.get(app["id"], [])),
        sponsors=tuple(snap.sponsors.get(app["id"], [])),
        attributes={
            "app_id": app.get("appId", ""),
            "app_owner_class": "tenant",
            "odata_type": app.get("@odata.type", ""),
        },
    )


def _secret(
    owner_uid: str, cred: Mapping[str, Any], kind: str, snap: Snapshot, app_id: str, now: datetime
) -> Credential:
    """A client secret or certificate: key id, dates and (for secrets) Graph's 3-character hint; never a value."""
    activity = (snap.sign_ins or {}).get(app_id, {})
    used = (activity.get("applicationAuthenticationClientSignInActivity") or {}).get("lastSignInDateTime")
    expires = parse_time(cred.get("endDateTime"))
    return Credential(
        uid=f"{PROVIDER}:{kind}:{cred['keyId']}",
        identity_uid=owner_uid,
        provider=PROVIDER,
        scope=snap.tenant_id,
        kind=kind,
        native_id=str(cred["keyId"]),
        created_at=parse_time(cred.get("startDateTime")),
        expires_at=expires,
        last_used_at=parse_time(used),
        active=expires is None or expires > now,
    )


def _fic_credential(owner_uid: str, fic: Mapping[str, Any], snap: Snapshot) -> Credential:
    return Credential(
        uid=f"{PROVIDER}:federated:{fic['id']}",
        identity_uid=owner_uid,
        provider=PROVIDER,
        scope=snap.tenant_id,
        kind="federated",
        native_id=str(fic["id"]),
        service=str(fic.get("issuer", "")),
        usage_visible=False,
    )


def credentials_of(owner_uid: str, holder: Mapping[str, Any], snap: Snapshot, now: datetime) -> Iterator[Credential]:
    """Secrets and client-authentication certificates (signing certificates are Entra's own, not client keys)."""
    app_id = str(holder.get("appId", ""))
    for cred in holder.get("passwordCredentials") or []:
        yield _secret(owner_uid, cred, "secret", snap, app_id, now)
    for cred in holder.get("keyCredentials") or []:
        if cred.get("usage", "Verify") == "Verify":
            yield _secret(owner_uid, cred, "certificate", snap, app_id, now)


def person(user: Mapping[str, Any], tenant_id: str) -> Identity:
    """A person named as an owner or sponsor."""
    natives = (user["id"], user.get("userPrincipalName") or "", user.get("mail") or "")
    return Identity(
        uid=user_uid(user["id"]),
        provider=PROVIDER,
        kind="user",
        scope=tenant_id,
        name=str(user.get("displayName") or user.get("userPrincipalName") or user["id"]),
        native_ids=tuple(dict.fromkeys(n for n in natives if n)),
        enabled=user.get("accountEnabled", True) is not False,
        human=True,
        attributes={"directory_only": True},
    )


def records(snap: Snapshot, now: datetime) -> Iterator[Record]:
    """Every record of a tenant snapshot."""
    from connectors.entra.grants import app_role_grants, consent_grants, role_grants

    apps = {a["appId"]: a for a in snap.applications if a.get("appId")}
    roles = {
        sp["id"]: {r["id"]: r.get("value") or r.get("displayName") or r["id"] for r in sp.get("appRoles") or []}
        for sp in snap.service_principals
    }
    with_sp: set[str] = set()
    for sp in snap.service_principals:
        app = apps.get(sp.get("appId", "")) if owner_class(sp, snap.tenant_id) == "tenant" else None
        identity = _sp_identity(sp, app, snap)
        yield identity
        yield from credentials_of(identity.uid, sp, snap, now)
        if app is not None:
            with_sp.add(app["id"])
            yield from credentials_of(identity.uid, app, snap, now)
            for fic in snap.federated.get(app["id"], []):
                yield _fic_credential(identity.uid, fic, snap)
        yield from app_role_grants(sp, snap, roles)
    for app in snap.applications:
        if app["id"] not in with_sp:
            identity = _app_identity(app, snap)
            yield identity
            yield from credentials_of(identity.uid, app, snap, now)
            for fic in snap.federated.get(app["id"], []):
                yield _fic_credential(identity.uid, fic, snap)
    yield from consent_grants(snap)
    yield from role_grants(snap)
    for user in snap.people.values():
        yield person(user, snap.tenant_id)
    yield from agent_records(snap)
