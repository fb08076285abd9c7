"""Pure mappers for one project's reads: service accounts, keys, impersonation, federation, API keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from connectors.gcp.normalize import (
    IMPERSONATION_ROLES,
    POOL,
    PROVIDER,
    binding_grants,
    member_identities,
    member_ref,
    parse_time,
)
from connectors.gcp.project import ProjectData
from scanner.model import Credential, Federation, Identity, Record, Trust, TrustKind


def _issuer(provider: dict[str, Any]) -> str:
    if "oidc" in provider:
        uri = str(provider["oidc"].get("issuerUri", ""))
        return urlsplit(uri).hostname or uri
    if "aws" in provider:
        return f"aws-account:{provider['aws'].get('accountId', '')}"
    return "saml" if "saml" in provider else "unknown"


def _federated_trusts(member: str, role: str, data: ProjectData) -> Iterator[Trust]:
    """A principalSet of a workload identity pool: one trust per provider of that pool."""
    pool = POOL.match(member)
    if not pool:
        return
    for provider in data.providers:
        if provider.get("pool", "").endswith(pool.group(1).split("/", 2)[-1]) and not provider.get("disabled"):
            condition = str(provider.get("attributeCondition") or "")
            yield Trust(
                kind=TrustKind.FEDERATED,
                principal=_issuer(provider),
                action=role,
                conditions=(f"attributeCondition: {condition}",) if condition else (),
                subjects=(condition,) if condition else (),
            )


def _trusts(email: str, data: ProjectData) -> tuple[Trust, ...]:
    """Who can act as a service account: impersonation grants and federated pools on its own policy."""
    trusts: list[Trust] = []
    for binding in data.account_bindings.get(email, []):
        role = binding.get("role", "")
        if role not in IMPERSONATION_ROLES:
            continue
        for member in binding.get("members", []):
            if member.startswith("principalSet://"):
                trusts.extend(_federated_trusts(member, role, data))
            else:
                trusts.append(Trust(kind=TrustKind.PRINCIPAL, principal=member_ref(member), action=role))
    return tuple(trusts)


def _account(account: dict[str, Any], data: ProjectData) -> Identity:
    email = account["email"]
    return Identity(
        uid=f"{PROVIDER}:service_account:{account['uniqueId']}",
        provider=PROVIDER,
        kind="service_account",
        scope=data.project_id,
        name=email,
        native_ids=(email, account["uniqueId"], f"serviceAccount:{email}"),
        enabled=not account.get("disabled", False),
        description=str(account.get("description") or ""),
        trusts=_trusts(email, data),
        attributes={"display_name": account.get("displayName", ""), "project_number": data.number},
    )


def _key(email: str, key: dict[str, Any], data: ProjectData, now: datetime) -> Credential:
    key_id = key["name"].rsplit("/", 1)[-1]
    expires = parse_time(key.get("validBeforeTime"))
    used = (data.key_use or {}).get(key_id)
    return Credential(
        uid=f"{PROVIDER}:sa-key:{key_id}",
        identity_uid=email,
        provider=PROVIDER,
        scope=data.project_id,
        kind="access_key",
        native_id=key_id,
        created_at=parse_time(key.get("validAfterTime")),
        expires_at=expires,
        last_used_at=parse_time(used),
        active=not key.get("disabled", False) and (expires is None or expires > now),
    )


def _api_key(key: dict[str, Any], data: ProjectData) -> Iterator[Record]:
    uid = str(key.get("uid") or key["name"].rsplit("/", 1)[-1])
    targets = [t.get("service", "") for t in (key.get("restrictions") or {}).get("apiTargets", [])]
    identity = Identity(
        uid=f"{PROVIDER}:api_key:{uid}",
        provider=PROVIDER,
        kind="api_key",
        scope=data.project_id,
        name=str(key.get("displayName") or uid),
        native_ids=(key["name"], uid),
        created_at=parse_time(key.get("createTime")),
        attributes={
            "api_targets": targets,
            "unrestricted": not targets,
            "service_account": key.get("serviceAccountEmail", ""),
        },
    )
    yield identity
    yield Credential(
        uid=f"{PROVIDER}:api-key:{uid}",
        identity_uid=identity.uid,
        provider=PROVIDER,
        scope=data.project_id,
        kind="api_key",
        native_id=uid,
        created_at=identity.created_at,
        usage_visible=False,
    )


def project_records(data: ProjectData, scanned: set[str], now: datetime) -> Iterator[Record]:
    """Every record of one project."""
    container = f"projects/{data.number or data.project_id}"
    yield from member_identities(data.bindings, data.project_id, scanned)
    yield from binding_grants(data.bindings, container, data.project_id)
    for account in data.accounts:
        yield _account(account, data)
        for key in data.keys.get(account["email"], []):
            if key.get("keyType", "USER_MANAGED") == "USER_MANAGED":
                yield _key(account["email"], key, data, now)
    for provider in data.providers:
        yield Federation(
            uid=f"{PROVIDER}:wif-provider:{provider['name']}",
            provider=PROVIDER,
            scope=data.project_id,
            issuer=_issuer(provider),
            audiences=tuple((provider.get("oidc") or {}).get("allowedAudiences", [])),
        )
    for key in data.api_keys:
        yield from _api_key(key, data)
