"""Build the canonical report.json document (schema_version "1") from a scan result."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from scanner import __version__
from scanner.config import Severity
from scanner.engine import ScanResult
from scanner.gcpause import without_gc
from scanner.model import Credential, Gap, Grant, Identity
from scanner.native import attestation_dict, attestation_of, native_dict
from scanner.registry import AgentRecord
from scanner.rules import Finding, Status

SCHEMA_VERSION = "1"


def rfc3339(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with a Z suffix, second precision."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    elif moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"  # isoformat: a third of strftime's cost


def _gap(gap: Gap) -> dict[str, Any]:
    return {
        "resource": gap.resource,
        "reason": gap.reason.value,
        "detail": gap.detail,
        "subject_uid": gap.subject_uid,
        "facets": sorted(f.value for f in gap.facets),
        "region": gap.region,
    }


def _coverage(result: ScanResult) -> list[dict[str, Any]]:
    rows = sorted(result.coverage.scopes.values(), key=lambda c: (c.provider, c.scope))
    return [
        {
            "connector": cov.connector,
            "provider": cov.provider,
            "scope": cov.scope,
            "label": cov.label,
            "status": cov.status.value,
            "gaps": [_gap(g) for g in cov.gaps],
            "api_calls": cov.api_calls,
        }
        for cov in rows
    ]


def _identity(result: ScanResult, ident: Identity) -> dict[str, Any]:
    verdict = result.verdicts[ident.uid]
    ctx = result.index.contexts[ident.uid]
    record = result.matches.get(ident.uid)
    return {
        "uid": ident.uid,
        "provider": ident.provider,
        "kind": ident.kind,
        "scope": ident.scope,
        "name": ident.name,
        "native_ids": list(ident.native_ids),
        "created_at": rfc3339(ident.created_at),
        "last_used_at": rfc3339(ident.last_used_at),
        "enabled": ident.enabled,
        "human": ident.human,
        "description": ident.description,
        "tags": dict(ident.tags),
        "agent": {
            "score": verdict.score,
            "is_agent": verdict.is_agent,
            "evidence": [
                {"signal": e.signal, "family": e.family, "weight": e.weight, "detail": e.detail, "source": e.source}
                for e in verdict.evidence
            ],
        },
        "registry_id": record.id if record else None,
        **({"attestation": attestation_dict(a)} if (a := attestation_of(ident)) else {}),
        "owners": [_person(result, o) for o in ident.owners],
        "sponsors": [_person(result, o) for o in ident.sponsors],
        "credentials": _sorted_uids(ctx.credentials),
        "workloads": [
            {"uid": w.uid, "kind": w.kind, "name": w.name, "region": w.region}
            for w in (sorted(ctx.workloads, key=lambda w: w.uid) if len(ctx.workloads) > 1 else ctx.workloads)
        ],
    }


def _sorted_uids(records: list[Credential]) -> list[str]:
    """Uids in order; most identities hold none or one, which need no sort."""
    uids = [r.uid for r in records]
    if len(uids) > 1:
        uids.sort()
    return uids


def _person(result: ScanResult, identifier: str) -> str:
    """An owner or sponsor by the most readable id the scan knows (a user's sign-in name), else as given."""
    uid = result.index.resolve(identifier)
    person = result.index.identities.get(uid) if uid else None
    if person is None:
        return identifier
    return next((n for n in person.native_ids if "@" in n), person.name)


def _credential(cred: Credential) -> dict[str, Any]:
    return {
        "uid": cred.uid,
        "kind": cred.kind,
        "identity_uid": cred.identity_uid,
        "created_at": rfc3339(cred.created_at),
        "expires_at": rfc3339(cred.expires_at),
        "last_used_at": rfc3339(cred.last_used_at),
        "active": cred.active,
        "native_id": cred.native_id,
        "service": cred.service,
        "last_used_service": cred.last_used_service,
    }


def _grant(grant: Grant) -> dict[str, Any]:
    return {
        "uid": grant.uid,
        "subject_uid": grant.subject_uid,
        "provider": grant.provider,
        "scope": grant.scope,
        "kind": grant.kind,
        "target": grant.target,
        "name": grant.name,
        "permissions": list(grant.permissions),
        "attributes": {k: v for k, v in grant.attributes.items() if isinstance(v, str | int | bool) or v is None},
    }


def finding_dict(f: Finding) -> dict[str, Any]:
    """One finding in report form."""
    return {
        "id": f.id,
        "rule": f.rule,
        "severity": f.severity.label,
        "status": f.status.value,
        "identity_uid": f.identity_uid,
        "registry_id": f.registry_id,
        "title": f.title,
        "evidence": list(f.evidence),
        "remediation": f.remediation,
        "provider": f.provider,
        "scope": f.scope,
        "path": [
            {"source": e.source, "target": e.target, "relation": e.relation.value, "reason": e.reason} for e in f.path
        ],
    }


def _record(rec: AgentRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "owner": rec.owner,
        "purpose": rec.purpose,
        "status": rec.status.value,
        "environment": rec.environment,
        "expires": rec.expires.isoformat() if rec.expires else None,
        "retired_on": rec.retired_on.isoformat() if rec.retired_on else None,
        "allowed_permissions": list(rec.allowed_permissions) if rec.allowed_permissions is not None else None,
        "identities": list(rec.identities),
        "source": f"{rec.source.file}:{rec.source.line}" if rec.source else None,
        "provenance": rec.provenance,
        **native_dict(rec.native),
    }


def _summary(result: ScanResult) -> dict[str, Any]:
    agents = [uid for uid, v in result.verdicts.items() if v.is_agent]
    by_severity = Counter(f.severity.label for f in result.findings)
    by_status = Counter(f.status.value for f in result.findings)
    return {
        "identities": len(result.index.identities),
        "agents": len(agents),
        "registered_agents": sum(1 for uid in agents if uid in result.matches),
        "shadow_agents": sum(1 for f in result.findings if f.rule == "unregistered-agent" and f.status is Status.FAIL),
        "api_calls": sum(c.api_calls for c in result.coverage.scopes.values()),
        "findings": {s.label: by_severity.get(s.label, 0) for s in sorted(Severity, reverse=True)},
        "statuses": {s.value: by_status.get(s.value, 0) for s in Status},
        "evaluated": dict(sorted(result.evaluated.items())),
    }


def _agent_grants(result: ScanResult) -> list[Grant]:
    """Grants of agents (classified or registered): what an offboarding plan must remove."""
    agents = {uid for uid, v in result.verdicts.items() if v.is_agent} | set(result.matches)
    return [g for uid in agents for g in result.index.contexts[uid].grants]


@without_gc
def build_report(result: ScanResult) -> dict[str, Any]:
    """The canonical report; every other format is rendered from this dict."""
    identities = sorted(result.index.identities.values(), key=lambda i: (i.provider, i.scope, i.uid))
    settings = result.settings
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "shadowsweep", "version": __version__},
        "scan": {
            "id": result.scan_id,
            "started_at": rfc3339(result.started_at),
            "finished_at": rfc3339(result.finished_at),
            "complete": result.coverage.complete,
            "coverage": _coverage(result),
            "settings": {
                "stale_after_days": settings.stale_after_days,
                "max_credential_age_days": settings.max_credential_age_days,
                "attestation_max_age_days": settings.attestation_max_age_days,
                "agent_threshold": settings.agent_threshold,
            },
            "registry": {"sources": list(result.registry.sources), "records": len(result.registry)},
        },
        "summary": _summary(result),
        "identities": [_identity(result, i) for i in identities],
        "credentials": [_credential(c) for c in sorted(result.index.credentials.values(), key=lambda c: c.uid)],
        "grants": [_grant(g) for g in sorted(_agent_grants(result), key=lambda g: g.uid)],
        "findings": [finding_dict(f) for f in result.findings],
        "registry_records": [
            {**_record(r), **({"offboarding": result.offboarding[r.id]} if r.id in result.offboarding else {})}
            for r in result.registry.records
        ],
    }
