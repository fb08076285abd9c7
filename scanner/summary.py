"""The plain-text summary printed after a scan: counts, coverage and the most severe findings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
        lines.append(f"{finding['severity']:<9} {finding['status']:<8} {finding['rule']:<28} {_safe(subject)}")
    if len(report["findings"]) > limit:
        lines.append(f"... and {len(report['findings']) - limit} more in the report")
    return "\n".join(lines)
