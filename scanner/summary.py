"""The plain-text summary printed after a scan: counts, coverage and the most severe findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scanner.agent_history import AgentHistory

SEVERITIES = ("critical", "high", "medium", "low", "info")


def _identity_names(report: Mapping[str, Any]) -> dict[str, str]:
    return {i["uid"]: i["name"] for i in report["identities"]}


def _safe(text: str) -> str:
    """Provider text is hostile: no control characters (terminal escapes) reach the terminal."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def format_summary(report: Mapping[str, Any], *, limit: int = 25) -> str:
    """A human summary of a report."""
    summary = report["summary"]
    scan = report["scan"]
    lines = [
        f"shadowsweep {report['tool']['version']}  scan {scan['id']}",
        f"identities {summary['identities']}  agents {summary['agents']}  "
        f"registered {summary['registered_agents']}  shadow {summary['shadow_agents']}  "
        f"API calls {summary['api_calls']}",
        "findings  "
        + "  ".join(f"{s} {summary['findings'][s]}" for s in SEVERITIES)
        + f"  (unknown {summary['statuses']['unknown']})",
        "",
        "coverage",
    ]
    for cov in scan["coverage"]:
        label = f" ({_safe(cov['label'])})" if cov.get("label") else ""
        scope = f"{cov['scope']}{label}"
        lines.append(f"  {cov['connector']:<8} {scope:<32} {cov['status']:<9} {cov['api_calls']:>6} calls")
        for gap in cov["gaps"]:
            where = f" [{gap['region']}]" if gap.get("region") else ""
            lines.append(f"      gap: {gap['resource']}{where} {gap['reason']}: {_safe(gap['detail'])[:100]}")
    if not scan["complete"]:
        lines.append("  INCOMPLETE: some of the estate could not be read; affected findings are 'unknown'")
    names = _identity_names(report)
    lines += ["", f"{'severity':<9} {'status':<8} {'rule':<28} subject"]
    for finding in report["findings"][:limit]:
        subject = names.get(finding["identity_uid"] or "", "") or finding["registry_id"] or finding["scope"] or ""
        delta = f"  [{finding['delta']}]" if finding.get("delta") else ""
        lines.append(f"{finding['severity']:<9} {finding['status']:<8} {finding['rule']:<28} {_safe(subject)}{delta}")
    if len(report["findings"]) > limit:
        lines.append(f"... and {len(report['findings']) - limit} more in the report")
    return "\n".join(lines)


def format_diff(changes: Mapping[str, list[Mapping[str, Any]]]) -> str:
    """Counts, then one line per changed finding."""
    lines = ["  ".join(f"{delta} {len(items)}" for delta, items in changes.items())]
    for delta, items in changes.items():
        if delta == "persisting":
            continue
        for f in items:
            subject = _safe(f.get("identity_uid") or f.get("registry_id") or "")
            lines.append(f"{delta:<11} {f['severity']:<9} {f['rule']:<28} {subject}")
    return "\n".join(lines)


def format_history(scans: Sequence[Mapping[str, Any]]) -> str:
    """One line per past scan."""
    lines = [f"{'finished':<21} {'complete':<9} {'agents':>6} {'shadow':>6} {'fail':>5} {'unknown':>7}  scan"]
    for scan in scans:
        s = scan["summary"]
        complete = "yes" if scan["complete"] else "NO"
        lines.append(
            f"{scan['finished_at']:<21} {complete:<9} {s['agents']:>6} {s['shadow_agents']:>6} "
            f"{s['statuses']['fail']:>5} {s['statuses']['unknown']:>7}  {scan['id']}"
        )
    return "\n".join(lines)


def format_agent_history(history: AgentHistory) -> str:
    """The audit trail a reviewer asks for, as a compact timeline: when, what happened, and the detail."""
    source = history.source
    if source["kind"] == "report":
        lines = [
            f"no state store: showing what report {_safe(source['path'])} "
            f"(scan {source['scan_id']}, finished {source['finished_at']}) knows"
        ]
    else:
        lines = [f"state store {_safe(source['path'])}: {source['scans']} scans"]
    subject = f"registry record {history.registry_id}" if history.registry_id else f"identity {history.subject}"
    subject += "" if history.registry_id else " (never registered)"
    how = "" if history.resolved_by == "registry id" else f", resolved from {history.resolved_by} {history.query}"
    lines.append(_safe(f"{subject}{how}"))
    for ident in history.identities:
        lines.append(_safe(f"  identity {ident['uid']}  first seen {ident.get('first_seen') or 'not recorded'}"))
    lines += [f"  note: {_safe(note)}" for note in history.notes]
    if not history.events:
        return "\n".join([*lines, "  no events recorded"])
    width = max(len(e.event) for e in history.events)
    lines += [f"{e.at:<20}  {e.event:<{width}}  {_safe(e.detail)}" for e in history.events]
    return "\n".join(lines)
