"""report.json schema: it accepts every report the samples model and rejects each way a report can drift."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from report_samples import hostile_report, minimal_report, sample_report

from reports.schema_loader import SCHEMA_ID, load_report_schema

Report = dict[str, Any]


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = load_report_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == SCHEMA_ID
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize(
    "build",
    [
        sample_report,
        lambda: sample_report(complete=False),
        minimal_report,
        lambda: hostile_report("http://127.0.0.1:9"),
    ],
    ids=["complete", "incomplete", "contract-only", "hostile-strings"],
)
def test_valid_reports_pass(validator: Draft202012Validator, build: Callable[[], Report]) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(build())]
    assert errors == []


def test_additions_and_unknown_fields_are_allowed(validator: Draft202012Validator) -> None:
    report = sample_report()
    report["x_vendor"] = {"anything": [1, 2]}
    report["identities"][0]["x_note"] = "added by a plugin"
    report["findings"][0]["x_ticket"] = 42
    report["registry_records"][0]["data_boundary"] = "finance-ledger"
    report["credentials"][0]["created_at"] = "2024-02-01T00:00:00.123456+00:00"
    assert validator.is_valid(report)


def delete(path: str) -> Callable[[Report], None]:
    """Mutation that removes the last key of a dotted path (numbers index lists)."""

    def apply(report: Report) -> None:
        *parents, last = path.split(".")
        node: Any = report
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[last]

    return apply


def put(path: str, value: Any) -> Callable[[Report], None]:
    """Mutation that sets the last key of a dotted path to value."""

    def apply(report: Report) -> None:
        *parents, last = path.split(".")
        node: Any = report
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return apply


MUTATIONS: dict[str, Callable[[Report], None]] = {
    # missing required fields, at every level of the contract
    "no schema_version": delete("schema_version"),
    "no tool.version": delete("tool.version"),
    "no scan.complete": delete("scan.complete"),
    "no coverage api_calls": delete("scan.coverage.0.api_calls"),
    "no gap detail": delete("scan.coverage.1.gaps.0.detail"),
    "no summary.agents": delete("summary.agents"),
    "no summary info count": delete("summary.findings.info"),
    "no identity uid": delete("identities.0.uid"),
    "no identity last_used_at": delete("identities.0.last_used_at"),
    "no agent score": delete("identities.0.agent.score"),
    "no evidence weight": delete("identities.0.agent.evidence.0.weight"),
    "no credential identity_uid": delete("credentials.0.identity_uid"),
    "no finding remediation": delete("findings.0.remediation"),
    "no finding registry_id": delete("findings.0.registry_id"),
    "no credentials list": delete("credentials"),
    # bad enums
    "schema_version 2": put("schema_version", "2"),
    "severity urgent": put("findings.0.severity", "urgent"),
    "severity upper case": put("findings.0.severity", "HIGH"),
    "status pass": put("findings.0.status", "pass"),
    "coverage status ok": put("scan.coverage.0.status", "ok"),
    "gap reason timeout": put("scan.coverage.1.gaps.0.reason", "timeout"),
    "credential kind password": put("credentials.0.kind", "password"),
    "registry status deleted": put("registry_records.0.status", "deleted"),
    # bad timestamps
    "timestamp without zone": put("scan.started_at", "2026-11-28T10:00:00"),
    "timestamp not UTC": put("scan.finished_at", "2026-11-28T10:00:00+02:00"),
    "timestamp date only": put("identities.0.created_at", "2026-11-28"),
    "timestamp epoch": put("credentials.0.created_at", 1764324000),
    "timestamp month 13": put("identities.0.last_used_at", "2026-13-01T00:00:00Z"),
    "timestamp with space": put("credentials.0.expires_at", "2026-11-28 10:00:00Z"),
    "registry expires garbage": put("registry_records.0.expires", "next year"),
    # wrong types
    "complete as string": put("scan.complete", "false"),
    "api_calls negative": put("scan.coverage.0.api_calls", -1),
    "api_calls float": put("scan.coverage.0.api_calls", 1.5),
    "summary count string": put("summary.identities", "5"),
    "score above 1": put("identities.0.agent.score", 1.2),
    "weight as string": put("identities.0.agent.evidence.0.weight", "0.6"),
    "enabled as int": put("identities.0.enabled", 1),
    "native_ids as string": put("identities.0.native_ids", "arn:aws:iam::1:role/x"),
    "tag value number": put("identities.0.tags", {"team": 7}),
    "evidence item object": put("findings.0.evidence", [{"text": "x"}]),
    "finding id not hex": put("findings.0.id", "not-a-hex-id"),
    "identity_uid number": put("findings.0.identity_uid", 12),
    "path hop without target": put("findings.0.path", [{"source": "a", "relation": "can-assume"}]),
    "identities not a list": put("identities", {}),
    "allowed_permissions string": put("registry_records.0.allowed_permissions", "bedrock:*"),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_each_mutation_is_rejected(validator: Draft202012Validator, name: str) -> None:
    report = copy.deepcopy(sample_report(complete=False))
    MUTATIONS[name](report)
    assert not validator.is_valid(report), name
