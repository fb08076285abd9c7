"""Sample report.json dicts for renderer and schema tests, so every test starts from one realistic estate."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from typing import Any

ACCOUNT = "111111111111"
TENANT = "0f1e2d3c-0000-4000-8000-000000000001"
PROJECT = "acme-ml"
SEVERITIES = ("critical", "high", "medium", "low", "info")
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/invoice-reconciler"
BOT_ARN = f"arn:aws:iam::{ACCOUNT}:user/support-bot"
UIDS = {
    "reconciler": f"aws:role:{ROLE_ARN}",
    "bot": f"aws:user:{BOT_ARN}",
    "copilot": f"entra:sp:{TENANT}:5a5a",
    "alice": f"aws:user:arn:aws:iam::{ACCOUNT}:user/alice",
    "ci": f"gcp:sa:ci@{PROJECT}.iam.gserviceaccount.com",
}
COPILOT_APP = "5a5a0000-0000-4000-8000-000000000005"

# Strings with a fixed format (enums, timestamps, hex ids), by (parent key, key): poisoning them only breaks the shape.
TIMESTAMP_KEYS = frozenset({"created_at", "last_used_at", "expires_at", "started_at", "finished_at"})
DATE_KEYS = frozenset({"expires", "retired_on"})
FIXED_FORMAT = frozenset(
    {("findings", "id"), ("findings", "severity"), ("findings", "status"), ("credentials", "kind")}
    | {("coverage", "status"), ("gaps", "reason"), ("registry_records", "status"), (None, "schema_version")}
)


def _identity(key: str, kind: str, scope: str, name: str, **extra: Any) -> dict[str, Any]:
    """An identity with contract defaults, overridden by extra."""
    uid = UIDS[key]
    ident: dict[str, Any] = dict(uid=uid, provider=uid.split(":")[0], kind=kind, scope=scope, name=name, native_ids=[])
    ident.update(created_at="2025-01-10T08:00:00Z", last_used_at=None, enabled=True, human=False, description="")
    ident.update(tags={}, workloads=[], registry_id=None, credentials=[])
    ident.update(agent={"score": 0.05, "is_agent": False, "evidence": []})
    ident.update(extra)
    return ident


def _agent(score: float, is_agent: bool, *signals: tuple[str, str, float, str, str]) -> dict[str, Any]:
    """Classifier verdict from (signal, family, weight, detail, source) tuples."""
    keys = ("signal", "family", "weight", "detail", "source")
    return {"score": score, "is_agent": is_agent, "evidence": [dict(zip(keys, s, strict=True)) for s in signals]}


def _identities() -> list[dict[str, Any]]:
    """Two registered agents, one shadow agent, a human user and a CI service account."""
    bedrock = {"uid": "aws:bedrock-agent:INV1", "kind": "bedrock-agent", "name": "inv", "region": "us-east-1"}
    return [
        _identity(
            "reconciler", "role", ACCOUNT, "invoice-reconciler", native_ids=[ROLE_ARN, "AROAEXAMPLE1"],
            last_used_at="2026-11-27T09:00:00Z", description="Reconciles supplier invoices", tags={"team": "finance"},
            registry_id="invoice-reconciler", workloads=[bedrock],
            agent=_agent(
                0.93, True,
                ("trusts-ai-service", "trust", 0.6, "trust policy allows bedrock.amazonaws.com", "trust-policy"),
                ("runs-ai-workload", "workload", 0.3, "Bedrock agent INV1 runs as this role", "bedrock"),
            ),
        ),
        _identity(
            "bot", "user", ACCOUNT, "support-bot", native_ids=[BOT_ARN, "AIDAEXAMPLE2"],
            credentials=["aws:access-key:AKIAEXAMPLE2"], tags={"owner": "unknown", "homepage": "https://example.com"},
            agent=_agent(
                0.81, True,
                ("calls-ai-api", "usage", 0.7, "access key last used with bedrock-runtime", "credential-report"),
                ("name-hint", "naming", 0.15, "name contains 'bot'", "name"),
            ),
        ),
        _identity(
            "copilot", "service_principal", TENANT, "Copilot Helper", native_ids=[COPILOT_APP],
            registry_id="legacy-helper", credentials=["entra:secret:5a5a:1"], description="Helps with tickets",
            agent=_agent(0.88, True, ("ai-permission", "grants", 0.5, "holds Sites.Read.All for an LLM", "graph")),
        ),
        _identity(
            "alice", "user", ACCOUNT, "alice", human=True,
            agent=_agent(0.02, False, ("console-password", "human", -0.5, "console password enabled", "iam")),
        ),
        _identity("ci", "service_account", PROJECT, "ci-deployer"),
    ]  # fmt: skip


def _credential(uid: str, kind: str, owner: str, created: str, expires: str | None, used: str | None) -> dict[str, Any]:
    """A credential of one identity."""
    cred: dict[str, Any] = dict(uid=uid, kind=kind, identity_uid=UIDS[owner], native_id=uid.rsplit(":", 1)[-1])
    cred.update(service="", created_at=created, expires_at=expires, last_used_at=used, last_used_service="")
    cred["active"] = True
    return cred


def _credentials() -> list[dict[str, Any]]:
    """An old access key and an Entra secret whose last use is unknown."""
    key = _credential("aws:access-key:AKIAEXAMPLE2", "access_key", "bot", "2024-02-01T00:00:00Z", None, None)
    key["last_used_at"], key["last_used_service"] = "2026-11-20T00:00:00Z", "bedrock"
    secret = _credential(
        "entra:secret:5a5a:1", "secret", "copilot", "2025-06-01T00:00:00Z", "2027-06-01T00:00:00Z", None
    )
    return [key, secret]


def _finding(rule: str, severity: str, status: str, key: str | None, title: str, **extra: Any) -> dict[str, Any]:
    """A finding with contract defaults, overridden by extra."""
    subject = UIDS[key] if key else None
    digest = hashlib.sha256(f"{rule}\0{subject or extra.get('registry_id')}".encode()).hexdigest()[:16]
    item: dict[str, Any] = dict(id=digest, rule=rule, severity=severity, status=status, identity_uid=subject)
    item.update(registry_id=None, title=title, evidence=[], remediation="Review it.", provider="aws", scope=ACCOUNT)
    item.update(extra)
    return item


def _findings(complete: bool) -> list[dict[str, Any]]:
    """One finding per severity at least, with a privilege path and an unknown verdict."""
    admin = f"arn:aws:iam::{ACCOUNT}:role/admin"
    path = [
        {"source": UIDS["reconciler"], "target": admin, "relation": "can-assume", "reason": "trust"},
        {"source": admin, "target": "admin", "relation": "holds", "reason": "AdministratorAccess"},
    ]
    entra = {"provider": "entra", "scope": TENANT, "registry_id": "legacy-helper"}
    items = [
        _finding("agent-privilege-path", "critical", "fail", "reconciler", "Agent can reach admin", path=path,
                 registry_id="invoice-reconciler", evidence=["2 hops to AdministratorAccess"]),
        _finding("retired-agent-active", "critical", "fail", "copilot", "Retired agent still enabled", **entra,
                 evidence=["record retired on 2026-10-01"]),
        _finding("unregistered-agent", "high", "fail", "bot", "Shadow agent support-bot",
                 evidence=["score 0.81", "no registry record matches"], remediation="Register or disable it."),
        _finding("long-lived-agent-credential", "medium", "fail", "bot", "Access key older than 365 days"),
        _finding("stale-agent-credential", "low", "unknown", "copilot", "Secret last use unknown", **entra,
                 evidence=["signInActivity could not be read"]),
        _finding("orphaned-registry-entry", "info", "fail", None, "Orphaned record", registry_id="orphan-bot"),
    ]  # fmt: skip
    if not complete:
        gap = ["iam.serviceAccounts.list: error"]
        items.append(_finding("collection-gap", "info", "unknown", None, "Project could not be read", evidence=gap))
        items[-1].update(provider="gcp", scope=PROJECT)
    return items


def _record(rid: str, owner: str | None, purpose: str, status: str, identity: str, **extra: Any) -> dict[str, Any]:
    """A registry record as the engine reports it."""
    record: dict[str, Any] = dict(id=rid, owner=owner, purpose=purpose, status=status, environment="prod")
    record.update(expires=None, retired_on=None, allowed_permissions=None, identities=[identity], provenance=None)
    record.update(extra)
    return record


def _records() -> list[dict[str, Any]]:
    """An active, a retired and an orphaned registry record."""
    return [
        _record("invoice-reconciler", "jane.doe@example.com", "Reconcile invoices", "active", ROLE_ARN,
                expires="2027-01-31", allowed_permissions=["bedrock:InvokeModel"], source="agents.yaml:3"),
        _record("legacy-helper", "bob@example.com", "Ticket triage", "retired", COPILOT_APP, retired_on="2026-10-01",
                source="agents.yaml:14"),
        _record("orphan-bot", None, "Old experiment", "active", f"arn:aws:iam::{ACCOUNT}:role/gone", source=None,
                provenance={"imported": "cmdb"}),
    ]  # fmt: skip


def _scope(connector: str, scope: str, label: str, calls: int, gap: dict[str, Any] | None) -> dict[str, Any]:
    """One coverage entry; a gap makes it partial, or failed when the gap hides the whole scope."""
    status = "complete" if gap is None else "failed" if gap["facets"] == ["scope"] else "partial"
    item = dict(connector=connector, provider=connector, scope=scope, label=label, status=status, api_calls=calls)
    return {**item, "gaps": [] if gap is None else [gap]}


def _gap(resource: str, reason: str, detail: str, facet: str) -> dict[str, Any]:
    """A gap record with the engine's additions."""
    return dict(resource=resource, reason=reason, detail=detail, subject_uid=None, facets=[facet], region="")


def _coverage(complete: bool) -> list[dict[str, Any]]:
    """Three scopes; when incomplete, Entra is partial and GCP failed."""
    denied = (
        None if complete else _gap("auditLogs/signIns", "denied", "AuditLog.Read.All not granted", "credential_usage")
    )
    failed = (
        None if complete else _gap("iam.serviceAccounts.list", "error", "HTTP 500 from iam.googleapis.com", "scope")
    )
    return [
        _scope("aws", ACCOUNT, "prod", 42, None),
        _scope("entra", TENANT, "acme", 17, denied),
        _scope("gcp", PROJECT, "", 3, failed),
    ]


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    """Counts derived from the lists, so samples stay self-consistent."""
    agents = [i for i in report["identities"] if i["agent"]["is_agent"]]
    findings = report["findings"]
    return {
        "identities": len(report["identities"]),
        "agents": len(agents),
        "registered_agents": sum(1 for i in agents if i["registry_id"]),
        "shadow_agents": sum(1 for i in agents if not i["registry_id"]),
        "api_calls": sum(c["api_calls"] for c in report["scan"]["coverage"]),
        "findings": {s: sum(1 for f in findings if f["severity"] == s) for s in SEVERITIES},
        "statuses": {s: sum(1 for f in findings if f["status"] == s) for s in ("fail", "unknown")},
    }


def sample_report(*, complete: bool = True) -> dict[str, Any]:
    """A realistic multi-cloud report with every addition the engine emits."""
    scan: dict[str, Any] = dict(id="scan-20261128-0001", started_at="2026-11-28T10:00:00Z", complete=complete)
    scan.update(finished_at="2026-11-28T10:02:30Z", coverage=_coverage(complete))
    scan["settings"] = {"stale_after_days": 90, "max_credential_age_days": 365, "agent_threshold": 0.6}
    scan["registry"] = {"sources": ["agents.yaml"], "records": 3}
    report: dict[str, Any] = {"schema_version": "1", "tool": {"name": "shadowsweep", "version": "0.1.0"}, "scan": scan}
    report.update(identities=_identities(), credentials=_credentials(), findings=_findings(complete))
    report["registry_records"] = _records()
    report["summary"] = _summary(report)
    return report


def minimal_report() -> dict[str, Any]:
    """Only what CONTRACT.md lists: additions are optional for consumers."""
    report = sample_report()
    del report["registry_records"], report["scan"]["settings"], report["scan"]["registry"]
    for key in ("registered_agents", "shadow_agents", "api_calls", "statuses"):
        del report["summary"][key]
    for item in report["scan"]["coverage"]:
        del item["provider"], item["label"]
    for ident in report["identities"]:
        for key in ("human", "description", "tags", "workloads"):
            del ident[key]
        for ev in ident["agent"]["evidence"]:
            del ev["family"], ev["source"]
    for cred in report["credentials"]:
        del cred["native_id"], cred["service"], cred["last_used_service"]
    for finding in report["findings"]:
        finding.pop("path", None)
        del finding["provider"], finding["scope"]
    return report


def xss_payloads(base_url: str) -> dict[str, str]:
    """Hostile strings keyed by the beacon path each one fetches when it executes."""
    b = base_url
    return {
        "/x1": f"<script>fetch('{b}/x1')</script>",
        "/x2": f"<img src=x onerror=\"fetch('{b}/x2')\">",
        "/x3": f'"><svg onload="fetch(\'{b}/x3\')">',
        "/x4": f"</script><script>fetch('{b}/x4')</script>",
        "/x5": f"javascript:fetch('{b}/x5')",
        "/x6": f"' autofocus onfocus='fetch(\"{b}/x6\")' x='",
        "/x7": f"</style></textarea>--><script>fetch('{b}/x7')</script>",
        "rlo": "\u202egpj.exe",
        "tpl": "{{7*7}}${7*7}",
    }


def _fixed(path: tuple[str | None, ...]) -> bool:
    """Whether the string at this key path has a format the schema pins down."""
    return path[-1] in TIMESTAMP_KEYS | DATE_KEYS or (path[-2], path[-1]) in FIXED_FORMAT


def poison(report: dict[str, Any], suffix: str) -> dict[str, Any]:
    """Append suffix to every free-text string and tag key, consistently, so cross-references still resolve."""

    def walk(value: Any, path: tuple[str | None, ...]) -> Any:
        if isinstance(value, dict):
            hostile_keys = path[-1] in ("tags", "provenance")
            return {(k + suffix if hostile_keys else k): walk(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, path) for v in value]
        if isinstance(value, str) and not _fixed(path):
            return value + suffix
        return value

    result: dict[str, Any] = walk(copy.deepcopy(report), (None,))
    return result


def hostile_report(base_url: str, mutate: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """An incomplete report with every payload in every provider-sourced field, and bare javascript: URLs."""
    payloads = xss_payloads(base_url)
    report = poison(sample_report(complete=False), "".join(payloads.values()))
    js = payloads["/x5"]
    report["identities"][1]["tags"]["homepage"] = js
    report["identities"][0]["description"] = js
    report["registry_records"][0]["source"] = js
    report["registry_records"][2]["provenance"] = {"url": js, js: js}
    if mutate:
        mutate(report)
    return report
