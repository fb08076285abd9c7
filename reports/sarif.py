"""SARIF 2.1.0 for CI gates and GitHub code scanning: one run, one result per finding, stable fingerprints.

Mapping choices:
- level from severity (critical/high -> error, medium -> warning, low/info -> note) when the verdict is `fail`.
  SARIF §3.27.10 says a result whose kind is not "fail" SHALL have level "none", so an `unknown` verdict is
  kind "open" (evaluated, not enough information to decide) with level "none", and a resolved finding is kind
  "pass" with level "none"; the severity stays in `properties`.
- baselineState from the delta: new -> new, persisting/unverified -> unchanged, resolved -> absent.
- locations: the identity (and registry record) as logical locations, plus a physical location in the registry
  file, at the record's line when known, because GitHub rejects a whole upload whose results lack an artifact URI.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any, ClassVar
from urllib.parse import quote

import scanner.rules.builtin  # noqa: F401  (registers the built-in rules whose metadata describes SARIF rules)
from scanner.rules import RULES, Rule

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT = "shadowsweepFindingId/v1"
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub code scanning reads properties["security-severity"] (0.1-10) to rank security alerts.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
BASELINE = {"new": "new", "persisting": "unchanged", "unverified": "unchanged", "resolved": "absent"}
# Rules whose verdict rests on the agent classifier's score rather than on a fact read from the provider.
CLASSIFIER_RULES = frozenset({"unregistered-agent"})
Json = dict[str, Any]


def _builtin(rule_id: str) -> Rule | None:
    """Metadata of a built-in rule; plug-in rules are left out so output never depends on what is installed."""
    found = RULES.get(rule_id)
    return found if found is not None and found.check.__module__.startswith("scanner.rules.") else None


def _worst(findings: list[Mapping[str, Any]]) -> str:
    """The most severe severity among findings, as the rule's default level."""
    ranks = [SEVERITY_ORDER.index(str(f["severity"])) for f in findings if f["severity"] in SEVERITY_ORDER]
    return SEVERITY_ORDER[min(ranks)] if ranks else "info"


def _rule(rule_id: str, findings: list[Mapping[str, Any]]) -> Json:
    """A reportingDescriptor: built-in metadata when known, else what the rule's findings say."""
    meta, first, worst = _builtin(rule_id), findings[0], _worst(findings)
    title = meta.title if meta else str(first.get("title") or rule_id)
    precision = "medium" if rule_id in CLASSIFIER_RULES else "high"
    properties: Json = {"tags": ["security", "non-human-identity", "ai-agent"], "precision": precision}
    if worst in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[worst]
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": meta.description if meta else title},
        "help": {"text": meta.remediation if meta else str(first.get("remediation") or title)},
        "defaultConfiguration": {"level": LEVELS[worst]},
        "properties": properties,
    }


def _rules(findings: list[Mapping[str, Any]]) -> tuple[list[Json], dict[str, int]]:
    """Every rule that appears, sorted by id, and each one's index for result.ruleIndex."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for finding in findings:
        grouped.setdefault(str(finding["rule"]), []).append(finding)
    ids = sorted(grouped)
    return [_rule(rid, grouped[rid]) for rid in ids], {rid: i for i, rid in enumerate(ids)}


def _uri(path: str) -> str:
    """A file path as a URI reference: repository-relative stays relative (what GitHub maps to a file)."""
    posix = path.replace("\\", "/")
    if PurePosixPath(posix).is_absolute():
        return "file://" + quote(posix, safe="/")
    return quote(posix, safe="/")


def _physical(report: Mapping[str, Any], record: Mapping[str, Any] | None) -> Json | None:
    """Where the fix is written down: the record's line in the registry file, else the registry file itself."""
    source = str((record or {}).get("source") or "")
    path, _, line = source.rpartition(":")
    if path and line.isdigit() and int(line) >= 1:
        return {"artifactLocation": {"uri": _uri(path)}, "region": {"startLine": int(line)}}
    sources = ((report["scan"].get("registry") or {}).get("sources")) or []
    return {"artifactLocation": {"uri": _uri(str(sources[0]))}} if sources else None


def _logical(finding: Mapping[str, Any], ident: Mapping[str, Any] | None) -> list[Json]:
    """The identity, the registry record and, for gaps, the scope, as logical locations of kind resource."""
    out: list[Json] = []
    if uid := finding.get("identity_uid"):
        name = str((ident or {}).get("name") or uid)
        out.append({"name": name, "fullyQualifiedName": str(uid), "kind": "resource"})
    if rid := finding.get("registry_id"):
        out.append({"name": str(rid), "fullyQualifiedName": f"registry/{rid}", "kind": "resource"})
    if not out and finding.get("scope"):
        scope = str(finding["scope"])
        out.append({"name": scope, "fullyQualifiedName": f"{finding.get('provider')}/{scope}", "kind": "resource"})
    return out


def _locations(report: Mapping[str, Any], finding: Mapping[str, Any], lookups: tuple[Json, Json]) -> list[Json]:
    """One location joining the logical subject and the physical anchor, or none when neither is known."""
    idents, records = lookups
    location: Json = {}
    if physical := _physical(report, records.get(str(finding.get("registry_id")))):
        location["physicalLocation"] = physical
    if logical := _logical(finding, idents.get(str(finding.get("identity_uid")))):
        location["logicalLocations"] = logical
    return [location] if location else []


def _kind_level(finding: Mapping[str, Any]) -> tuple[str, str]:
    """SARIF kind and level: only a `fail` that is not resolved carries a severity level (§3.27.10)."""
    if finding.get("delta") == "resolved":
        return "pass", "none"
    if finding.get("status") == "fail":
        return "fail", LEVELS.get(str(finding["severity"]), "warning")
    return "open", "none"


def _message(finding: Mapping[str, Any]) -> str:
    """Title then evidence, as plain text (never markdown: the strings come from cloud providers)."""
    title = str(finding.get("title") or finding["rule"]).rstrip(".")
    evidence = "; ".join(str(e) for e in finding.get("evidence") or [])
    return f"{title}. Evidence: {evidence}" if evidence else f"{title}."


def _properties(finding: Mapping[str, Any]) -> Json:
    """shadowsweep's own fields, kept for triage: severity, verdict, delta, registry id and evidence."""
    keys = ("severity", "status", "delta", "identity_uid", "registry_id", "provider", "scope")
    props: Json = {k: finding[k] for k in keys if finding.get(k) is not None}
    props.update({k: finding[k] for k in ("first_seen", "last_seen") if finding.get(k)})
    props["evidence"] = [str(e) for e in finding.get("evidence") or []]
    if finding.get("severity") in SECURITY_SEVERITY:
        props["security-severity"] = SECURITY_SEVERITY[str(finding["severity"])]
    return props


def _result(report: Mapping[str, Any], finding: Mapping[str, Any], index: int, lookups: tuple[Json, Json]) -> Json:
    """One SARIF result for one finding."""
    kind, level = _kind_level(finding)
    result: Json = {
        "ruleId": str(finding["rule"]),
        "ruleIndex": index,
        "kind": kind,
        "level": level,
        "message": {"text": _message(finding)},
        "locations": _locations(report, finding, lookups),
        "partialFingerprints": {FINGERPRINT: str(finding["id"])},
        "properties": _properties(finding),
    }
    if finding.get("delta") in BASELINE:
        result["baselineState"] = BASELINE[str(finding["delta"])]
    return result


def _invocation(report: Mapping[str, Any]) -> Json:
    """The scan as an invocation: its times, and each coverage gap as a warning notification."""
    scan = report["scan"]
    notes = [
        {
            "level": "warning",
            "message": {
                "text": f"{cov.get('connector')} {cov.get('scope')}: {gap.get('resource')} ({gap.get('reason')})"
            },
            "properties": {"detail": str(gap.get("detail") or ""), "coverage_status": cov.get("status")},
        }
        for cov in scan.get("coverage", [])
        for gap in cov.get("gaps", [])
    ]
    invocation: Json = {"executionSuccessful": True, "toolExecutionNotifications": notes}
    times = {"startTimeUtc": scan.get("started_at"), "endTimeUtc": scan.get("finished_at")}
    invocation.update({k: str(v) for k, v in times.items() if v})
    return invocation


def sarif_log(report: Mapping[str, Any]) -> Json:
    """The whole SARIF log for one report."""
    findings = list(report.get("findings") or [])
    rules, indexes = _rules(findings)
    idents = {str(i["uid"]): i for i in report.get("identities") or []}
    records = {str(r["id"]): r for r in report.get("registry_records") or []}
    scan = report["scan"]
    driver = {"name": "shadowsweep", "version": str((report.get("tool") or {}).get("version") or "unknown")}
    run: Json = {
        "tool": {"driver": {**driver, "rules": rules}},
        "automationDetails": {"id": f"shadowsweep/{scan['id']}"},
        "invocations": [_invocation(report)],
        "results": [_result(report, f, indexes[str(f["rule"])], (idents, records)) for f in findings],
        "properties": {"scan_id": str(scan["id"]), "coverage_complete": bool(scan.get("complete"))},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


class SarifRenderer:
    """findings.sarif: SARIF 2.1.0 for CI gating and code-scanning dashboards."""

    name: ClassVar[str] = "sarif"
    filename: ClassVar[str] = "findings.sarif"

    def render(self, report: Mapping[str, Any]) -> bytes:
        """Pretty, deterministic JSON."""
        return (json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
