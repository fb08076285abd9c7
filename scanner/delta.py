"""Coverage-aware deltas between scans: resolved only where the scope was read completely."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any


class Delta(StrEnum):
    """How a finding changed since the previous scan."""

    NEW = "new"
    PERSISTING = "persisting"
    RESOLVED = "resolved"  # gone, and its scope was scanned completely this time
    UNVERIFIED = "unverified"  # gone from view, but its scope had gaps: it may still be there


def complete_scopes(report: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(provider, scope) pairs this report read without a gap."""
    return {(c["provider"], c["scope"]) for c in report["scan"]["coverage"] if c["status"] == "complete"}


def scope_complete(finding: Mapping[str, Any], report: Mapping[str, Any], complete: set[tuple[str, str]]) -> bool:
    """Whether absence in `report` proves the finding is gone; findings with no scope need a complete scan."""
    if finding.get("provider") and finding.get("scope"):
        return (finding["provider"], finding["scope"]) in complete
    return bool(report["scan"]["complete"])


def classify(
    previous_open: Mapping[str, Mapping[str, Any]], report: Mapping[str, Any]
) -> tuple[dict[str, Delta], list[tuple[Mapping[str, Any], Delta]]]:
    """Deltas of the current findings, and the previously open findings that are no longer seen."""
    complete = complete_scopes(report)
    current = {f["id"] for f in report["findings"]}
    deltas = {f["id"]: Delta.PERSISTING if f["id"] in previous_open else Delta.NEW for f in report["findings"]}
    gone = [
        (old, Delta.RESOLVED if scope_complete(old, report, complete) else Delta.UNVERIFIED)
        for fid, old in previous_open.items()
        if fid not in current
    ]
    return deltas, gone


def annotate(report: dict[str, Any], previous_open: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Set `delta` on every finding and append the gone ones, carrying their delta (resolved or unverified)."""
    deltas, gone = classify(previous_open, report)
    for finding in report["findings"]:
        finding["delta"] = deltas[finding["id"]].value
    for old, delta in gone:
        report["findings"].append({**old, "delta": delta.value})
    counts = {d.value: 0 for d in Delta}
    for finding in report["findings"]:
        counts[finding["delta"]] += 1
    report["summary"]["deltas"] = counts
    return report


def seen(findings: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Findings a report actually observed (not the resolved or unverified ones a state store carried forward)."""
    return [f for f in findings if f.get("delta") not in (Delta.RESOLVED.value, Delta.UNVERIFIED.value)]


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    """The delta between two saved reports, without a state store."""
    previous = {f["id"]: f for f in open_findings(old["findings"])}
    observed = {**new, "findings": seen(new["findings"])}
    deltas, gone = classify(previous, observed)
    out: dict[str, list[Mapping[str, Any]]] = {d.value: [] for d in Delta}
    for finding in observed["findings"]:
        out[deltas[finding["id"]].value].append(finding)
    for finding, delta in gone:
        out[delta.value].append(finding)
    return out


def open_findings(findings: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Findings still open in a report: everything but those it marked resolved."""
    return [f for f in findings if f.get("delta") != Delta.RESOLVED.value]
