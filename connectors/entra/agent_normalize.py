"""Pure mappers for Entra Agent ID governance: lifecycle (attestation), agent registry instances, agent users."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from scanner.model import Absent, AgentInstance, Attestation, Identity, Record
from scanner.times import parse_timestamp

if TYPE_CHECKING:
    from connectors.entra.normalize import Snapshot

PROVIDER = "entra"
AGENT_IDENTITY_TYPE = "#microsoft.graph.agentIdentity"
AGENT_USER_TYPE = "#microsoft.graph.agentUser"
BLUEPRINT_TYPES = frozenset(
    {"#microsoft.graph.agentIdentityBlueprint", "#microsoft.graph.agentIdentityBlueprintPrincipal"}
)


def attestation(lifecycle: Mapping[str, Any] | None) -> Attestation:
    """An agentIdentityLifecycle as an Attestation; no lifecycle state at all means it was never attested."""
    if not lifecycle:
        return Attestation(last_attested_at=None)
    issues = tuple(
        f"{issue.get('issueCode') or 'unnamed issue'}: {issue.get('description') or ''}".rstrip(": ")
        for issue in lifecycle.get("complianceIssues") or []
    )
    policy = lifecycle.get("effectiveGoverningPolicy") or {}
    return Attestation(
        last_attested_at=parse_timestamp(lifecycle.get("lastAttestationDateTime")),
        compliance_issues=issues,
        governing_policy=str(policy.get("displayName") or policy.get("id") or ""),
    )


def lifecycle_attributes(sp: Mapping[str, Any], snap: Snapshot) -> dict[str, Any]:
    """The "lifecycle" attribute of an agent identity whose lifecycle was read; absent means it could not be."""
    if sp.get("@odata.type") != AGENT_IDENTITY_TYPE or snap.lifecycles is None or sp["id"] not in snap.lifecycles:
        return {}
    return {"lifecycle": attestation(snap.lifecycles[sp["id"]])}


def blueprint_names(snap: Snapshot) -> dict[str, str]:
    """Agent identity blueprints' display names by appId, from the blueprint application or its principal."""
    names: dict[str, str] = {}
    for obj in (*snap.service_principals, *snap.applications):
        if obj.get("@odata.type") in BLUEPRINT_TYPES and obj.get("appId") and obj.get("displayName"):
            names.setdefault(str(obj["appId"]), str(obj["displayName"]))
    return names


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def instance(item: Mapping[str, Any], tenant_id: str) -> AgentInstance:
    """One beta agentInstance of the agent registry."""
    return AgentInstance(
        uid=f"{PROVIDER}:agent_instance:{item['id']}",
        provider=PROVIDER,
        scope=tenant_id,
        instance_id=str(item["id"]),
        name=_text(item.get("displayName")) or str(item["id"]),
        agent_identity_id=_text(item.get("agentIdentityId")),
        agent_user_id=_text(item.get("agentUserId")),
        blueprint_id=_text(item.get("agentIdentityBlueprintId")),
        owners=tuple(str(o) for o in item.get("ownerIds") or [] if o),
        originating_store=_text(item.get("originatingStore")),
        managed_by=_text(item.get("managedBy")),
        created_by=_text(item.get("createdBy")),
        created_at=parse_timestamp(item.get("createdDateTime")),
    )


def agent_user(user: Mapping[str, Any], tenant_id: str) -> Identity:
    """An agent's user account (agentUser) that an agent registry instance names: an agent, not a person."""
    natives = (user["id"], user.get("userPrincipalName") or "", user.get("mail") or "")
    return Identity(
        uid=f"{PROVIDER}:agent_user:{user['id']}",
        provider=PROVIDER,
        kind="agent_user",
        scope=tenant_id,
        name=str(user.get("displayName") or user.get("userPrincipalName") or user["id"]),
        native_ids=tuple(dict.fromkeys(n for n in natives if n)),
        enabled=user.get("accountEnabled", True) is not False,
        attributes={"odata_type": str(user.get("@odata.type") or AGENT_USER_TYPE), "directory_only": True},
    )


def agent_records(snap: Snapshot) -> Iterator[Record]:
    """Agent registry instances, the agent users they name, and ids the directory proved absent."""
    for item in snap.instances:
        yield instance(item, snap.tenant_id)
    for user in snap.agent_users.values():
        yield agent_user(user, snap.tenant_id)
    for identifier in snap.absent:
        yield Absent(provider=PROVIDER, scope=snap.tenant_id, identifier=identifier, detail="no such directory object")
