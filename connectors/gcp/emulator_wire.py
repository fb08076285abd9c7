"""GCP's proto3 JSON for the emulated records: camelCase, RFC 3339 'Z' times, default values (false, "") left out."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from connectors.gcp.emulator_model import (
    ApiKey,
    Binding,
    Folder,
    Organization,
    Policy,
    Project,
    ServiceAccount,
    ServiceAccountKey,
    WorkloadIdentityPool,
    WorkloadIdentityProvider,
)

Json = dict[str, Any]


def iso(value: datetime) -> str:
    """RFC 3339 in UTC with a 'Z' suffix and whole seconds."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def weak_etag(*parts: object) -> str:
    """The W/"..." etag Resource Manager v3 and API Keys put on resources."""
    digest = hashlib.sha256(repr(parts).encode()).digest()[:12]
    return f'W/"{base64.b64encode(digest).decode()}"'


def _sparse(out: Json) -> Json:
    """Drop proto3 default values (None, "", False, empty containers) as GCP's JSON does."""
    return {k: v for k, v in out.items() if v not in (None, "", False, [], {})}


def organization_json(o: Organization) -> Json:
    """A Resource Manager v3 Organization."""
    created = iso(o.created)
    return {
        "name": o.name,
        "displayName": o.display_name,
        "directoryCustomerId": o.directory_customer_id,
        "state": "ACTIVE",
        "createTime": created,
        "updateTime": created,
        "etag": weak_etag(o.name, created),
    }


def folder_json(f: Folder) -> Json:
    """A Resource Manager v3 Folder."""
    created = iso(f.created)
    return {
        "name": f.name,
        "parent": f.parent,
        "displayName": f.display_name,
        "state": f.state,
        "createTime": created,
        "updateTime": created,
        "etag": weak_etag(f.name, f.parent, f.display_name),
    }


def project_json(p: Project) -> Json:
    """A Resource Manager v3 Project (its name carries the number, projectId is separate)."""
    created = iso(p.created)
    out: Json = {
        "name": p.name,
        "parent": p.parent,
        "projectId": p.project_id,
        "state": p.state,
        "displayName": p.display_name,
        "createTime": created,
        "updateTime": created,
        "etag": weak_etag(p.name, p.parent, p.display_name, p.state),
        "labels": dict(p.labels),
    }
    return _sparse(out)


def service_account_json(sa: ServiceAccount) -> Json:
    """An IAM v1 ServiceAccount; oauth2ClientId equals uniqueId, as for real accounts."""
    return _sparse(
        {
            "name": sa.name,
            "projectId": sa.project_id,
            "uniqueId": sa.unique_id,
            "email": sa.email,
            "displayName": sa.display_name,
            "etag": base64.b64encode(sa.unique_id.encode()[-8:]).decode(),
            "description": sa.description,
            "oauth2ClientId": sa.unique_id,
            "disabled": sa.disabled,
        }
    )


def key_name(sa: ServiceAccount, key: ServiceAccountKey) -> str:
    """projects/<projectId>/serviceAccounts/<email>/keys/<keyId>."""
    return f"{sa.name}/keys/{key.key_id}"


def key_json(sa: ServiceAccount, key: ServiceAccountKey) -> Json:
    """An IAM v1 ServiceAccountKey: metadata only, never privateKeyData."""
    return _sparse(
        {
            "name": key_name(sa, key),
            "validAfterTime": iso(key.valid_after),
            "validBeforeTime": iso(key.valid_before),
            "keyAlgorithm": key.key_algorithm,
            "keyOrigin": key.key_origin,
            "keyType": key.key_type,
            "disabled": key.disabled,
        }
    )


def pool_name(project: Project, pool: WorkloadIdentityPool) -> str:
    """Pool names carry the project number even when listed by projectId."""
    return f"projects/{project.number}/locations/global/workloadIdentityPools/{pool.pool_id}"


def pool_json(project: Project, pool: WorkloadIdentityPool) -> Json:
    """An IAM v1 WorkloadIdentityPool."""
    out = {"name": pool_name(project, pool), "displayName": pool.display_name, "description": pool.description}
    return _sparse(out | {"state": "ACTIVE", "disabled": pool.disabled})


def provider_json(project: Project, pool: WorkloadIdentityPool, provider: WorkloadIdentityProvider) -> Json:
    """An IAM v1 WorkloadIdentityPoolProvider (oidc or aws); attributeCondition is absent when empty."""
    out: Json = {
        "name": f"{pool_name(project, pool)}/providers/{provider.provider_id}",
        "displayName": provider.display_name,
        "description": provider.description,
        "state": "ACTIVE",
        "disabled": provider.disabled,
        "attributeMapping": dict(provider.attribute_mapping),
        "attributeCondition": provider.attribute_condition,
    }
    if provider.issuer_uri is not None:
        out["oidc"] = _sparse({"issuerUri": provider.issuer_uri, "allowedAudiences": list(provider.allowed_audiences)})
    if provider.aws_account_id is not None:
        out["aws"] = {"accountId": provider.aws_account_id}
    return _sparse(out)


def api_key_name(project: Project, key: ApiKey) -> str:
    """projects/<number>/locations/global/keys/<uid>."""
    return f"{project.name}/locations/global/keys/{key.uid}"


def api_key_json(project: Project, key: ApiKey) -> Json:
    """An API Keys v2 Key without keyString (only GetKeyString returns it)."""
    restrictions: Json = {}
    if key.allowed_referrers:
        restrictions["browserKeyRestrictions"] = {"allowedReferrers": list(key.allowed_referrers)}
    if key.api_targets:
        restrictions["apiTargets"] = [{"service": s} for s in key.api_targets]
    out: Json = {
        "name": api_key_name(project, key),
        "displayName": key.display_name,
        "createTime": iso(key.created),
        "uid": key.uid,
        "updateTime": iso(key.last_updated or key.created),
        "restrictions": restrictions,
        "etag": weak_etag(key.uid, key.display_name, tuple(key.api_targets)),
        "serviceAccountEmail": key.service_account_email,
    }
    return _sparse(out)


def _binding_json(binding: Binding, requested_version: int) -> Json:
    """A binding; below version 3 a conditional one is renamed "<role>_withcond_<hash>" without its condition."""
    out: Json = {"role": binding.role, "members": sorted(binding.members)}
    condition = binding.condition
    if condition is None:
        return out
    if requested_version < 3:
        digest = hashlib.sha256(repr(condition).encode()).hexdigest()[:20]
        out["role"] = f"{binding.role}_withcond_{digest}"
        return out
    out["condition"] = _sparse(
        {"title": condition.title, "description": condition.description, "expression": condition.expression}
    )
    return out


def policy_json(policy: Policy, requested_version: int = 0) -> Json:
    """A google.iam.v1.Policy: version 3 only when asked for and conditional; an empty policy is {"etag": "ACAB"}."""
    if not policy.bindings:
        return {"etag": policy.etag}
    version = 3 if requested_version >= 3 and policy.has_conditions else 1
    bindings = [_binding_json(b, requested_version) for b in sorted(policy.bindings, key=lambda b: b.role)]
    return {"version": version, "etag": policy.etag, "bindings": bindings}


def bindings_json(bindings: list[Binding]) -> list[Json]:
    """Bindings as Cloud Asset search results carry them: conditions always included."""
    return [_binding_json(b, 3) for b in bindings]
