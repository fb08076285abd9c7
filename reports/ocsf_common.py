"""Pieces shared by the OCSF renderers: version, times, cloud and account mapping, and NDJSON lines."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from scanner.times import parse_timestamp

OCSF_VERSION = "1.5.0"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PRODUCT_NAME = "shadowsweep"
VENDOR_NAME = "shadowsweep"

Event = dict[str, Any]

# OCSF `cloud.provider` is free text; these are the names the OCSF examples and Security Hub use.
CLOUD_PROVIDERS = {"aws": "AWS", "entra": "Azure", "azure": "Azure", "gcp": "GCP"}
# account.type_id for the identity itself (user.account): what kind of account the principal is.
PRINCIPAL_ACCOUNT_TYPES: dict[tuple[str, str], tuple[int, str]] = {
    ("aws", "role"): (4, "AWS IAM Role"),
    ("aws", "user"): (3, "AWS IAM User"),
    ("gcp", "service_account"): (5, "GCP Account"),
    ("entra", "service_principal"): (6, "Azure AD Account"),
    ("entra", "application"): (6, "Azure AD Account"),
    ("entra", "sp"): (6, "Azure AD Account"),
}
# finding_info.types per rule: the category a SIEM rule keys on ("Shadow AI" is the one this tool exists for).
FINDING_TYPES = {
    "unregistered-agent": ["Shadow AI", "Unmanaged Non-Human Identity"],
    "retired-agent-active": ["Agent Lifecycle", "Retired Identity Active"],
    "expired-agent-registration": ["Agent Lifecycle", "Expired Registration"],
    "agent-without-owner": ["Agent Lifecycle", "Missing Owner"],
    "orphaned-registry-entry": ["Agent Lifecycle", "Orphaned Registry Entry"],
    "agent-scope-drift": ["Excessive Privilege", "Scope Drift"],
    "agent-privilege-path": ["Excessive Privilege", "Privilege Escalation Path"],
    "stale-agent-credential": ["Credential Hygiene", "Stale Credential"],
    "long-lived-agent-credential": ["Credential Hygiene", "Long-Lived Credential"],
    "unconstrained-federation": ["Federation Misconfiguration"],
    "collection-gap": ["Coverage Gap"],
}
_ARN_PARTITION = re.compile(r"^(?:[a-z]+:[a-z_-]+:)?arn:(aws[a-z-]*):")
# json.dumps(ensure_ascii=False) leaves these raw, and str.splitlines() and some NDJSON readers break lines on them.
_LINE_BREAKERS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def epoch_ms(value: Any) -> int | None:
    """OCSF timestamp_t is milliseconds since the epoch, not seconds (Prowler's mistake)."""
    moment = parse_timestamp(value)
    if moment is None:
        return None
    return int(moment.timestamp()) * 1000 + moment.microsecond // 1000


def stamp(value: Any) -> tuple[int, str] | None:
    """A time as OCSF wants it twice: timestamp_t (ms) and, for the datetime profile, RFC 3339 text."""
    millis = epoch_ms(value)
    if millis is None:
        return None
    moment = EPOCH + timedelta(milliseconds=millis)
    text = moment.isoformat(timespec="milliseconds" if millis % 1000 else "seconds")
    return millis, text.replace("+00:00", "Z")


def scan_time(report: Mapping[str, Any]) -> tuple[int, str]:
    """The event time of every event of one scan: when it finished (started, failing that)."""
    scan = report["scan"]
    for key in ("finished_at", "started_at"):
        found = stamp(scan.get(key))
        if found is not None:
            return found
    raise ValueError("report.scan has no parsable finished_at or started_at: OCSF events need a time")


def event_uid(*parts: str) -> str:
    """A deterministic metadata.uid, so re-rendering a report yields the same event ids for SIEM de-duplication."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def metadata(report: Mapping[str, Any], event_code: str, uid: str, profiles: list[str]) -> Event:
    """metadata: product, OCSF version, declared profiles and the scan id as correlation id."""
    tool = report.get("tool") or {}
    meta: Event = {
        "version": OCSF_VERSION,
        "product": {
            "name": PRODUCT_NAME,
            "uid": PRODUCT_NAME,
            "vendor_name": VENDOR_NAME,
            "version": str(tool.get("version") or "unknown"),
        },
        "correlation_uid": str(report["scan"]["id"]),
        "event_code": event_code,
        "uid": uid,
        "log_provider": PRODUCT_NAME,
    }
    if profiles:
        meta["profiles"] = profiles
    return meta


def coverage_label(report: Mapping[str, Any], provider: str, scope: str) -> str | None:
    """The human label of a scanned scope (AWS account alias, tenant name), when the report has one."""
    for cov in report["scan"].get("coverage", []):
        if cov.get("scope") == scope and cov.get("provider", cov.get("connector")) == provider and cov.get("label"):
            return str(cov["label"])
    return None


def _scope_fields(provider: str, scope: str) -> Event:
    """Where a scope sits in the cloud object: an AWS account, a GCP project or folder or org, an Entra tenant."""
    if provider == "gcp" and scope.startswith("organizations/"):
        return {"org": {"uid": scope}}
    if provider == "gcp" and "/" in scope:
        return {"account": {"uid": scope, "type_id": 99, "type": f"GCP {scope.split('/')[0]}"}}
    if provider == "gcp":
        return {"account": {"uid": scope, "type_id": 11, "type": "GCP Project"}, "project_uid": scope}
    if provider == "aws":
        return {"account": {"uid": scope, "type_id": 10, "type": "AWS Account"}}
    if provider == "entra":
        return {"account": {"uid": scope, "type_id": 99, "type": "Microsoft Entra tenant"}, "org": {"uid": scope}}
    return {"account": {"uid": scope}}


def cloud(report: Mapping[str, Any], provider: str, scope: str | None) -> Event:
    """The cloud profile's object: provider, and the account, project or tenant that was scanned."""
    obj: Event = {"provider": CLOUD_PROVIDERS.get(provider, provider)}
    if scope:
        obj.update(_scope_fields(provider, scope))
        holder = obj.get("account") or obj.get("org")
        label = coverage_label(report, provider, scope)
        if label and isinstance(holder, dict):
            holder["name"] = label
    return obj


def partition(ids: Iterable[str]) -> str | None:
    """The AWS partition (aws, aws-cn, aws-us-gov) from the first ARN among the ids."""
    for value in ids:
        if match := _ARN_PARTITION.match(value):
            return match.group(1)
    return None


def principal_account(ident: Mapping[str, Any]) -> Event:
    """user.account of an identity: its ARN, appId or e-mail, typed by what kind of principal it is."""
    native = [str(n) for n in ident.get("native_ids") or []]
    account: Event = {"uid": native[0] if native else str(ident["uid"]), "name": str(ident.get("name") or "")}
    type_id, type_name = PRINCIPAL_ACCOUNT_TYPES.get((str(ident["provider"]), str(ident["kind"])), (99, ""))
    account["type_id"] = type_id
    account["type"] = type_name or f"{ident['provider']} {ident['kind']}"
    return account


def tags(values: Mapping[str, Any] | None) -> list[Event]:
    """Provider tags as OCSF key_value_objects, sorted for deterministic output."""
    return [{"name": str(k), "value": str(v)} for k, v in sorted((values or {}).items())]


def prune(value: Any) -> Any:
    """Drop None members recursively: OCSF omits unknown attributes rather than sending null."""
    if isinstance(value, Mapping):
        return {k: prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [prune(v) for v in value if v is not None]
    return value


def ndjson_line(event: Mapping[str, Any]) -> str:
    """One event, one line: every character that some reader takes for a line break is escaped."""
    text = json.dumps(prune(event), ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in _LINE_BREAKERS.items():
        text = text.replace(raw, escaped)
    return text + "\n"


def ndjson(events: Iterable[Mapping[str, Any]]) -> bytes:
    """UTF-8 NDJSON: one event per line, nothing else, empty for no events."""
    return "".join(ndjson_line(e) for e in events).encode("utf-8")
