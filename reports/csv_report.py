"""findings.csv for auditors and spreadsheets: one row per finding, safe to open in Excel, LibreOffice or Sheets.

Cell hygiene (every value comes from cloud providers or the registry, so it is hostile until proven otherwise):
- formula injection: a cell starting with = + - @ (or their full-width forms), tab or carriage return gets a
  leading single quote, so spreadsheets show it as text (OWASP "CSV injection");
- line breaks (CR, LF, CRLF, VT, FF, NEL, U+2028/9) become " ⏎ " so one finding is one physical line;
- bidi overrides and other invisible controls become a visible <U+XXXX> so no cell can reorder what is shown.
UTF-8 without a BOM, RFC 4180 quoting through the csv module, CRLF row endings.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from typing import Any, ClassVar

COLUMNS = (
    "id",
    "rule",
    "severity",
    "status",
    "delta",
    "title",
    "identity_uid",
    "identity_name",
    "provider",
    "kind",
    "scope",
    "registry_id",
    "registry_owner",
    "registry_status",
    "evidence",
    "remediation",
    "first_seen",
    "last_seen",
)
EVIDENCE_SEPARATOR = " | "
NEWLINE_MARK = " ⏎ "
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _visible(match: re.Match[str]) -> str:
    """An invisible control character, spelled out so a reader sees it is there."""
    return f"<U+{ord(match.group()):04X}>"


def safe_cell(value: Any) -> str:
    """One cell's text: one line, no invisible controls, never read as a formula."""
    text = "" if value is None else str(value)
    text = _INVISIBLE.sub(_visible, _LINE_BREAKS.sub(NEWLINE_MARK, text))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _row(finding: Mapping[str, Any], idents: Mapping[str, Any], records: Mapping[str, Any]) -> list[str]:
    """The columns of one finding, with identity and registry details looked up by id."""
    ident = idents.get(str(finding.get("identity_uid"))) or {}
    record = records.get(str(finding.get("registry_id"))) or {}
    values = {
        **{k: finding.get(k) for k in ("id", "rule", "severity", "status", "delta", "title", "identity_uid")},
        "identity_name": ident.get("name"),
        "provider": finding.get("provider") or ident.get("provider"),
        "kind": ident.get("kind"),
        "scope": finding.get("scope") or ident.get("scope"),
        "registry_id": finding.get("registry_id"),
        "registry_owner": record.get("owner"),
        "registry_status": record.get("status"),
        "evidence": EVIDENCE_SEPARATOR.join(str(e) for e in finding.get("evidence") or []),
        "remediation": finding.get("remediation"),
        "first_seen": finding.get("first_seen"),
        "last_seen": finding.get("last_seen"),
    }
    return [safe_cell(values[column]) for column in COLUMNS]


class CsvRenderer:
    """findings.csv: the findings as a flat, spreadsheet-safe table."""

    name: ClassVar[str] = "csv"
    filename: ClassVar[str] = "findings.csv"

    def render(self, report: Mapping[str, Any]) -> bytes:
        """Header then one row per finding, in report order."""
        idents = {str(i["uid"]): i for i in report.get("identities") or []}
        records = {str(r["id"]): r for r in report.get("registry_records") or []}
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, dialect="excel", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows(_row(f, idents, records) for f in report.get("findings") or [])
        return buffer.getvalue().encode("utf-8")
