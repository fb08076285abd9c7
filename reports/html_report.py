"""Self-contained HTML report: escaped by construction, locked down by a hash-based CSP, readable offline."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import cache
from importlib.resources import files
from typing import Any, ClassVar

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

SEVERITIES = ("critical", "high", "medium", "low", "info")
STATUSES = ("fail", "unknown")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
STATUS_RANK = {name: rank for rank, name in enumerate(STATUSES)}

# Control, bidi-override and zero-width characters let a hostile name reorder or hide text (U+202E "gpj.exe").
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
# Sequences that would end or confuse the inline <script>/<style> element the asset is placed in.
_UNSAFE_IN_RAW_TEXT = re.compile(r"</(script|style)|<!--", re.IGNORECASE)

Report = Mapping[str, Any]
Item = Mapping[str, Any]


def reveal(text: str) -> str:
    """Make invisible and direction-changing characters visible as [U+XXXX] so names cannot spoof the reader."""
    return _INVISIBLE.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def _finalize(value: Any) -> Any:
    """Display form of every {{ }} value; strings stay plain str so autoescape still applies."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and not isinstance(value, Markup):
        return reveal(value)
    return value


def csp_source(content: str) -> str:
    """CSP hash source for an inline element's exact text, as the browser computes it over UTF-8."""
    digest = hashlib.sha256(content.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(script: str, style: str) -> str:
    """Policy that allows exactly the inlined script and stylesheet, and nothing from the network."""
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {csp_source(script)}",
            f"style-src {csp_source(style)}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )


@cache
def load_asset(name: str) -> str:
    """Tool-authored static file with newlines normalized as the HTML parser would, so its hash matches."""
    text = (files("reports") / "static" / name).read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")
    if _UNSAFE_IN_RAW_TEXT.search(text):
        raise ValueError(f"reports/static/{name} contains a sequence that cannot be inlined in raw text")
    return text


@cache
def _environment() -> Environment:
    """One compiled template set; autoescape on and strict about missing names."""
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["anchor"] = anchor
    env.filters["score"] = lambda value: f"{float(value):.2f}"
    env.filters["weight"] = lambda value: f"{float(value):+.2f}"
    return env


def anchor(kind: str, uid: Any) -> str:
    """Element id derived from a hash, so hostile uids never reach an id or href verbatim."""
    return f"{kind}-{hashlib.sha256(str(uid).encode('utf-8')).hexdigest()[:16]}"


def _group(items: Iterable[Item], key: str) -> dict[Any, list[Item]]:
    """Index a list of records by one field."""
    groups: dict[Any, list[Item]] = defaultdict(list)
    for item in items:
        groups[item.get(key)].append(item)
    return groups


def _identity_views(report: Report) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Identities joined with their credentials, record and findings: agents by score, then the rest by name."""
    creds = _group(report.get("credentials", []), "identity_uid")
    findings = _group(report.get("findings", []), "identity_uid")
    records = {r.get("id"): r for r in report.get("registry_records", [])}
    views = [
        {
            "i": ident,
            "creds": creds.get(ident["uid"], []),
            "findings": sorted(findings.get(ident["uid"], []), key=lambda f: SEVERITY_RANK.get(f["severity"], 9)),
            "record": records.get(ident.get("registry_id")),
        }
        for ident in report.get("identities", [])
    ]
    agents = [v for v in views if v["i"]["agent"]["is_agent"]]
    agents.sort(key=lambda v: (-float(v["i"]["agent"]["score"]), str(v["i"]["name"]), str(v["i"]["uid"])))
    others = [v for v in views if not v["i"]["agent"]["is_agent"]]
    others.sort(key=lambda v: (str(v["i"]["provider"]), str(v["i"]["name"]), str(v["i"]["uid"])))
    return agents, others


def _finding_views(report: Report) -> list[dict[str, Any]]:
    """Findings with the identity they concern and numeric sort keys for the enums."""
    identities = {i["uid"]: i for i in report.get("identities", [])}
    return [
        {
            "f": finding,
            "ident": identities.get(finding.get("identity_uid")),
            # Sort keys grow with urgency (critical=4, fail=1) so "descending" reads as "worst first".
            "severity_key": len(SEVERITIES) - 1 - SEVERITY_RANK.get(finding["severity"], len(SEVERITIES)),
            "status_key": len(STATUSES) - 1 - STATUS_RANK.get(finding["status"], len(STATUSES)),
        }
        for finding in report.get("findings", [])
    ]


def _context(report: Report) -> dict[str, Any]:
    """Everything the template needs, precomputed so the template stays declarative."""
    scan = report["scan"]
    agents, others = _identity_views(report)
    known_records = {r.get("id") for r in report.get("registry_records", [])}
    matched_ids = {n for i in report.get("identities", []) for n in (i["uid"], *i.get("native_ids", []))}
    return {
        "report": report,
        "scan": scan,
        "summary": report["summary"],
        "incomplete": [c for c in scan.get("coverage", []) if c.get("status") != "complete"],
        "findings": _finding_views(report),
        "rules": sorted({str(f["rule"]) for f in report.get("findings", [])}),
        "agents": agents,
        "others": others,
        "records": report.get("registry_records", []),
        "known_records": known_records,
        "matched_ids": matched_ids,
        "severities": SEVERITIES,
        "statuses": STATUSES,
    }


class HtmlRenderer:
    """Renders report.json as one offline HTML page for security engineers."""

    name: ClassVar[str] = "html"
    filename: ClassVar[str] = "report.html"

    def render(self, report: Mapping[str, Any]) -> bytes:
        """Deterministic page bytes for this report: no render-time clock, no network references."""
        script, style = load_asset("report.js"), load_asset("report.css")
        template = _environment().get_template("report.html.j2")
        html = template.render(
            **_context(report),
            csp=content_security_policy(script, style),
            script=Markup(script),  # tool-authored file, checked by load_asset; never provider data
            style=Markup(style),
        )
        return html.encode("utf-8")
