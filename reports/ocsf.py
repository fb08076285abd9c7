"""OCSF 1.5.0 NDJSON: Detection Findings (2004) for SIEMs, and a User Inventory Info (5003) stream of agents.

Mapping choices (see also ocsf_common):
- activity from the finding's delta: new or absent -> 1 Create, persisting/unverified -> 2 Update, resolved -> 3 Close;
  status: New, In Progress, Resolved. `is_alert` only on Create.
- confidence: a `fail` verdict is High (3), except unregistered-agent, whose verdict rests on the classifier's
  score (>= 0.8 High, else Medium, with confidence_score = score x 100); an `unknown` verdict is Low (1).
- profiles: every event declares `datetime` (the *_dt twins are filled); `cloud` only when the provider is known,
  since the profile makes `cloud.provider` required.
- User Inventory Info: OCSF 1.5.0 has no user type "Service" (4 arrives in 1.6.0), so `user.type_id` is 99 Other
  with `type` "Service".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from reports.ocsf_common import (
    FINDING_TYPES,
    Event,
    cloud,
    event_uid,
    metadata,
    ndjson,
    partition,
    principal_account,
    scan_time,
    stamp,
    tags,
)

DETECTION_FINDING = 2004
USER_INVENTORY = 5003
ACTIVITIES: dict[str | None, tuple[int, str]] = {
    None: (1, "Create"),
    "new": (1, "Create"),
    "persisting": (2, "Update"),
    "unverified": (2, "Update"),
    "resolved": (3, "Close"),
}
STATUSES: dict[str | None, tuple[int, str]] = {
    None: (1, "New"),
    "new": (1, "New"),
    "persisting": (2, "In Progress"),
    "unverified": (2, "In Progress"),
    "resolved": (4, "Resolved"),
}
SEVERITIES = {
    "info": (1, "Informational"),
    "low": (2, "Low"),
    "medium": (3, "Medium"),
    "high": (4, "High"),
    "critical": (5, "Critical"),
}
CONFIDENCES = {1: "Low", 2: "Medium", 3: "High"}
Lookup = dict[str, Mapping[str, Any]]


def _by_key(items: Any, key: str) -> Lookup:
    """Index report entries (identities, registry records) by their id for lookups from findings."""
    return {str(item[key]): item for item in items or [] if item.get(key) is not None}


def _place(finding: Mapping[str, Any], ident: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """Provider and scope of a finding: its own, else its identity's (minimal reports carry only the latter)."""
    provider = finding.get("provider") or (ident or {}).get("provider")
    scope = finding.get("scope") or (ident or {}).get("scope")
    return (str(provider) if provider else None), (str(scope) if scope else None)


def _confidence(finding: Mapping[str, Any], ident: Mapping[str, Any] | None) -> tuple[int, int | None]:
    """How sure the verdict is: unknown is Low; a classifier-based verdict follows the agent score."""
    if finding.get("status") != "fail":
        return 1, None
    score = ((ident or {}).get("agent") or {}).get("score")
    if finding.get("rule") != "unregistered-agent" or not isinstance(score, int | float):
        return 3, None
    return (3 if score >= 0.8 else 2), round(float(score) * 100)


def _seen_times(finding: Mapping[str, Any]) -> Event:
    """finding_info first/last seen, in ms and as datetime-profile text, when the state store supplied them."""
    out: Event = {}
    for key, attr in (("first_seen", "first_seen_time"), ("last_seen", "last_seen_time")):
        found = stamp(finding.get(key))
        if found is not None:
            out[attr], out[f"{attr}_dt"] = found
    return out


def _finding_info(finding: Mapping[str, Any]) -> Event:
    """finding_info: the stable id, title, rule as analytic, and a type SIEM rules can key on."""
    rule = str(finding["rule"])
    info: Event = {
        "uid": str(finding["id"]),
        "title": str(finding.get("title") or rule),
        "desc": "; ".join(str(e) for e in finding.get("evidence") or []) or None,
        "types": FINDING_TYPES.get(rule, ["Non-Human Identity"]),
        "analytic": {"uid": rule, "name": rule, "type_id": 1, "type": "Rule"},
    }
    info.update(_seen_times(finding))
    return info


def _identity_resource(ident: Mapping[str, Any], record: Mapping[str, Any] | None, in_cloud: bool) -> Event:
    """The identity as a resource: uid, name, provider:kind type, tags, partition and registry owner."""
    native = [str(n) for n in ident.get("native_ids") or []]
    agent = ident.get("agent") or {}
    created = stamp(ident.get("created_at"))
    resource: Event = {
        "uid": str(ident["uid"]),
        "uid_alt": native[0] if native else None,
        "name": str(ident.get("name") or ""),
        "type": f"{ident['provider']}:{ident['kind']}",
        "cloud_partition": partition([str(ident["uid"]), *native]) if in_cloud else None,
        "labels": ["ai-agent"] if agent.get("is_agent") else None,
        "tags": tags(ident.get("tags")) or None,
        "owner": {"name": str(record["owner"])} if record and record.get("owner") else None,
        "data": {"native_ids": native, "enabled": ident.get("enabled"), "agent_score": agent.get("score")},
    }
    if created is not None:
        resource["created_time"], resource["created_time_dt"] = created
    return resource


def _resources(finding: Mapping[str, Any], ident: Mapping[str, Any] | None, records: Lookup, in_cloud: bool) -> Any:
    """What the finding is about: the identity, else the registry record, else the scope that was not read."""
    rid = finding.get("registry_id")
    record = records.get(str(rid)) if rid else None
    if ident is not None:
        return [_identity_resource(ident, record, in_cloud)]
    if uid := finding.get("identity_uid"):
        return [{"uid": str(uid), "type": ":".join(str(uid).split(":")[:2])}]
    if rid:
        owner = {"name": str(record["owner"])} if record and record.get("owner") else None
        return [{"uid": str(rid), "name": str(rid), "type": "shadowsweep:registry-record", "owner": owner}]
    provider, scope = _place(finding, None)
    return [{"uid": scope, "name": scope, "type": f"{provider}:scope"}] if provider and scope else None


def _scope_status(report: Mapping[str, Any], place: tuple[str | None, str | None]) -> Any:
    """The coverage status (complete, partial, failed) of the scope a finding sits in, if it was scanned."""
    for cov in report["scan"].get("coverage", []):
        if (cov.get("provider", cov.get("connector")), cov.get("scope")) == place:
            return cov.get("status")
    return None


def _unmapped(report: Mapping[str, Any], finding: Mapping[str, Any], place: tuple[str | None, str | None]) -> Event:
    """What OCSF 1.5.0 has no attribute for: evidence, registry id, path, verdict, delta and coverage."""
    return {
        "evidence": [str(e) for e in finding.get("evidence") or []],
        "registry_id": finding.get("registry_id"),
        "path": list(finding.get("path") or []),
        "finding_status": finding.get("status"),
        "delta": finding.get("delta"),
        "provider": place[0],
        "scope": place[1],
        "coverage": {"complete": bool(report["scan"].get("complete")), "scope_status": _scope_status(report, place)},
    }


def _verdict(finding: Mapping[str, Any], ident: Mapping[str, Any] | None) -> Event:
    """Lifecycle and judgement: activity and status from the delta, severity, confidence, alert flag."""
    delta = finding.get("delta")
    activity_id, activity = ACTIVITIES.get(delta, (99, "Other"))
    status_id, status = STATUSES.get(delta, (99, "Other"))
    severity_id, severity = SEVERITIES.get(str(finding["severity"]), (0, "Unknown"))
    confidence_id, confidence_score = _confidence(finding, ident)
    return {
        "activity_id": activity_id,
        "activity_name": activity,
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": DETECTION_FINDING,
        "class_name": "Detection Finding",
        "type_uid": DETECTION_FINDING * 100 + activity_id,
        "type_name": f"Detection Finding: {activity}",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status_id,
        "status": status,
        "status_detail": str(finding.get("status")),
        "confidence_id": confidence_id,
        "confidence": CONFIDENCES[confidence_id],
        "confidence_score": confidence_score,
        "is_alert": activity_id == 1,
    }


def finding_event(report: Mapping[str, Any], finding: Mapping[str, Any], idents: Lookup, records: Lookup) -> Event:
    """One Detection Finding for one report finding."""
    ident = idents.get(str(finding.get("identity_uid")))
    place = _place(finding, ident)
    profiles = ["cloud", "datetime"] if place[0] else ["datetime"]
    millis, when = scan_time(report)
    uid = event_uid(str(report["scan"]["id"]), str(finding["id"]))
    event = _verdict(finding, ident)
    event.update(
        time=millis,
        time_dt=when,
        message=str(finding.get("title") or finding["rule"]),
        finding_info=_finding_info(finding),
        metadata=metadata(report, str(finding["rule"]), uid, profiles),
        resources=_resources(finding, ident, records, "cloud" in profiles),
        cloud=cloud(report, place[0], place[1]) if place[0] else None,
        remediation={"desc": str(finding["remediation"])} if finding.get("remediation") else None,
        unmapped=_unmapped(report, finding, place),
    )
    return event


def is_agent(ident: Mapping[str, Any]) -> bool:
    """An identity counts as an agent when classified as one or registered as one (as the rules count it)."""
    return bool((ident.get("agent") or {}).get("is_agent") or ident.get("registry_id"))


def _inventory_unmapped(ident: Mapping[str, Any], record: Mapping[str, Any] | None) -> Event:
    """The classifier verdict, registry record and credentials, which User Inventory Info has no place for."""
    keys = ("kind", "provider", "scope", "enabled", "human", "native_ids", "credentials", "workloads", "description")
    out: Event = {k: ident.get(k) for k in keys}
    out.update(agent=ident.get("agent"), registry_id=ident.get("registry_id"), tags=dict(ident.get("tags") or {}))
    out.update(created_at=ident.get("created_at"), last_used_at=ident.get("last_used_at"))
    out["first_seen"] = ident.get("first_seen")
    if record:
        out["registry"] = {k: record.get(k) for k in ("owner", "purpose", "status", "environment", "expires")}
    return out


def inventory_event(report: Mapping[str, Any], ident: Mapping[str, Any], records: Lookup) -> Event:
    """One User Inventory Info event for one agent identity, typed as a service user."""
    rid = ident.get("registry_id")
    record = records.get(str(rid)) if rid else None
    millis, when = scan_time(report)
    name = str(ident.get("name") or ident["uid"])
    message = f"AI agent {name}: " + (f"registered as {rid}" if rid else "no registry record (shadow AI)")
    uid = event_uid(str(report["scan"]["id"]), "inventory", str(ident["uid"]))
    return {
        "activity_id": 2,
        "activity_name": "Collect",
        "category_uid": 5,
        "category_name": "Discovery",
        "class_uid": USER_INVENTORY,
        "class_name": "User Inventory Info",
        "type_uid": USER_INVENTORY * 100 + 2,
        "type_name": "User Inventory Info: Collect",
        "time": millis,
        "time_dt": when,
        "severity_id": 1,
        "severity": "Informational",
        "status_id": 1,
        "status": "Success",
        "message": message,
        "metadata": metadata(report, "agent-inventory", uid, ["cloud", "datetime"]),
        "user": {
            "uid": str(ident["uid"]),
            "name": name,
            "type_id": 99,
            "type": "Service",
            "account": principal_account(ident),
        },
        "cloud": cloud(report, str(ident["provider"]), str(ident.get("scope") or "") or None),
        "unmapped": _inventory_unmapped(ident, record),
    }


def finding_events(report: Mapping[str, Any]) -> list[Event]:
    """One Detection Finding per finding, as dicts: what the file holds and what sinks deliver."""
    idents = _by_key(report.get("identities"), "uid")
    records = _by_key(report.get("registry_records"), "id")
    return [finding_event(report, f, idents, records) for f in report.get("findings") or []]


class OcsfRenderer:
    """findings.ocsf.jsonl: one OCSF Detection Finding per finding, for SIEM pipelines wired for class 2004."""

    name: ClassVar[str] = "ocsf"
    filename: ClassVar[str] = "findings.ocsf.jsonl"

    def render(self, report: Mapping[str, Any]) -> bytes:
        """NDJSON in report order; deterministic for the same report."""
        return ndjson(finding_events(report))


class OcsfInventoryRenderer:
    """inventory.ocsf.jsonl: one OCSF User Inventory Info per agent identity, so a SIEM holds the agent estate."""

    name: ClassVar[str] = "ocsf-inventory"
    filename: ClassVar[str] = "inventory.ocsf.jsonl"

    def render(self, report: Mapping[str, Any]) -> bytes:
        """NDJSON of agents in report order; deterministic for the same report."""
        records = _by_key(report.get("registry_records"), "id")
        return ndjson(inventory_event(report, i, records) for i in report.get("identities") or [] if is_agent(i))
