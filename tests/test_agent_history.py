"""`history --agent`: an agent's whole lifecycle from the state store, or from one report when there is none."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from builders import NOW, TODAY, access_key, record, role, scanned, service

from scanner.agent_history import AgentHistory, from_report
from scanner.config import ScanSettings
from scanner.engine import ScanResult, evaluate
from scanner.model import Record
from scanner.registry import AgentRecord, Registry
from scanner.report import build_report
from scanner.state import StateStore
from scanner.summary import format_agent_history

HELPER = role("helper-agent", trusts=[service("bedrock.amazonaws.com")])
KEY = access_key(HELPER)
ARN, ROLE_ID = HELPER.native_ids


def report_of(records: Iterable[Record], registry: Sequence[AgentRecord], day: int) -> dict[str, Any]:
    """A real report.json of hand-built records, scanned `day` days after NOW (builders.run keeps no closure)."""
    now = NOW + timedelta(days=day)
    settings = ScanSettings()
    done = evaluate([*records, *scanned()], settings, Registry(registry), now)
    result = ScanResult(
        scan_id=f"scan-{day}", started_at=now, finished_at=now + timedelta(minutes=5), settings=settings,
        registry=done.registry or Registry(registry), index=done.index, graph=done.graph, coverage=done.coverage,
        verdicts=done.verdicts, matches=done.matches, findings=done.findings, evaluated=done.evaluated,
        offboarding=done.offboarding,
    )  # fmt: skip
    return build_report(result)


def at(day: int) -> str:
    return (NOW + timedelta(days=day, minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")


def lifecycle_reports() -> list[dict[str, Any]]:
    """Seen as a shadow agent, registered a scan later, handed over, retired, offboarded, and back again."""
    registered = record("helper", HELPER, owner="jane.doe@example.com")
    handed_over = record("helper", HELPER, owner="ops@example.com")
    retired = record("helper", HELPER, owner="ops@example.com", status="retired", retired_on=TODAY)
    return [
        report_of([HELPER, KEY], [], 0),
        report_of([HELPER, KEY], [registered], 1),
        report_of([HELPER, KEY], [handed_over], 2),
        report_of([HELPER, KEY], [retired], 3),
        report_of([], [retired], 4),  # the role and its key are gone from a completely scanned account
        report_of([HELPER], [retired], 5),  # someone recreated the role
    ]


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    opened = StateStore(tmp_path / "state.db")
    for report in lifecycle_reports():
        opened.record(report)
    return opened


def lifecycle(history: AgentHistory) -> list[tuple[str, str]]:
    return [(e.at, e.event) for e in history.events if e.event != "finding"]


def test_shadow_agent_registered_retired_offboarded_closed_and_reopened(store: StateStore) -> None:
    history = store.agent_history("helper")
    assert lifecycle(history) == [
        (at(0), "first-seen"),
        (at(1), "registered"),
        (at(2), "owner-changed"),
        (at(3), "retired"),
        (at(3), "offboarding-incomplete"),
        (at(4), "closed"),
        (at(5), "reopened"),
    ]
    events = {e.event: e for e in history.events}
    assert "shadow agent" in events["first-seen"].detail and events["first-seen"].data["identity_uid"] == HELPER.uid
    assert "status active, owner jane.doe@example.com" in events["registered"].detail
    assert events["owner-changed"].detail == "owner jane.doe@example.com -> ops@example.com"
    assert events["retired"].detail == f"status active -> retired, retired on {TODAY}"
    remaining = events["offboarding-incomplete"].data["remaining"]
    assert len(remaining) == 2 and any(KEY.native_id in item for item in remaining)
    assert events["reopened"].detail.startswith("live again after it was closed: 1 remaining")
    findings = [(e.at, e.data["rule"], e.data["delta"]) for e in history.events if e.event == "finding"]
    assert (at(0), "unregistered-agent", "new") in findings  # before it was registered: the same identity
    assert (at(3), "retired-agent-active", "new") in findings and (
        at(4),
        "retired-agent-active",
        "resolved",
    ) in findings
    assert (at(5), "retired-agent-active", "new") in findings
    assert history.source == {"kind": "state", "path": str(store.path), "scans": 6} and not history.notes


def test_an_identity_uid_or_native_id_resolves_to_its_record(store: StateStore) -> None:
    by_native = store.agent_history(ROLE_ID)
    assert (by_native.registry_id, by_native.resolved_by) == ("helper", "native id")
    assert store.agent_history(ARN).registry_id == "helper"
    by_uid = store.agent_history(HELPER.uid)
    assert (by_uid.registry_id, by_uid.resolved_by) == ("helper", "identity uid")
    assert lifecycle(by_uid) == lifecycle(store.agent_history("helper"))
    text = format_agent_history(by_native)
    assert f"registry record helper, resolved from native id {ROLE_ID}" in text


def test_unknown_and_ambiguous_agents_are_errors_that_name_them(tmp_path: Path) -> None:
    one, two = (role(n, role_id="AROASHAREDROLEIDXXXX", trusts=[service("bedrock.amazonaws.com")]) for n in "ab")
    store = StateStore(tmp_path / "state.db")
    store.record(report_of([one, two], [record("a", one), record("b", two)], 0))
    with pytest.raises(ValueError, match=r"^unknown agent 'nope': not a registry id, identity uid or native id in"):
        store.agent_history("nope")
    with pytest.raises(ValueError, match=r"^ambiguous agent 'AROASHAREDROLEIDXXXX': .* records a, b"):
        store.agent_history("AROASHAREDROLEIDXXXX")


def test_expiry_suspension_and_reactivation(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.db")
    boxed = record("boxed", HELPER, expires=TODAY + timedelta(days=1))
    renewed = record("boxed", HELPER, expires=TODAY + timedelta(days=90))
    for day, rec in enumerate([boxed, boxed, boxed, renewed, record("boxed", HELPER, status="suspended"), renewed]):
        store.record(report_of([HELPER], [rec], day))
    assert lifecycle(store.agent_history("boxed")) == [
        (at(0), "first-seen"),
        (at(0), "registered"),
        (at(2), "expired"),  # the expiry day itself is still valid
        (at(2), "offboarding-incomplete"),
        (at(3), "expiry-changed"),
        (at(4), "suspended"),
        (at(4), "expiry-changed"),
        (at(5), "reactivated"),
        (at(5), "expiry-changed"),
    ]


def test_a_shadow_agent_never_registered_has_its_sightings(store: StateStore) -> None:
    other = role("rogue-agent", trusts=[service("bedrock.amazonaws.com")])
    store.record(report_of([other], [], 6))
    history = store.agent_history(other.uid)
    assert history.registry_id is None and [e.event for e in history.events] == ["first-seen", "finding"]
    assert "identity aws:role:" in format_agent_history(history) and "(never registered)" in format_agent_history(
        history
    )


def test_one_report_without_a_store() -> None:
    reports = lifecycle_reports()
    store_less = reports[3]  # retired, access still live, and no store: identities carry no first_seen
    history = from_report(store_less, ROLE_ID, "out/report.json")
    assert history.registry_id == "helper" and history.resolved_by == "native id"
    assert [e.event for e in history.events if e.event != "finding"] == [
        "retired", "registry-record", "offboarding-incomplete"]  # fmt: skip
    assert history.events[0].at == TODAY.isoformat()  # the registry's own date for it
    assert {e.data["rule"] for e in history.events if e.event == "finding"} >= {"retired-agent-active"}
    assert history.notes == ["no first_seen: the report was made without a state store"]
    text = format_agent_history(history)
    assert (
        text.splitlines()[0]
        == f"no state store: showing what report out/report.json (scan scan-3, finished {at(3)}) knows"
    )
    assert "2 remaining:" in text and "ops@example.com" in text


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scanner", "history", *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_cli_history_agent_text_json_report_and_errors(store: StateStore, tmp_path: Path) -> None:
    state = str(store.path)
    text = cli("--state", state, "--agent", ROLE_ID, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    rows = [line.split() for line in text.stdout.splitlines() if line[:4].isdigit()]
    trail = ["first-seen", "registered", "owner-changed", "retired", "offboarding-incomplete", "closed", "reopened"]
    assert [r[1] for r in rows if r[1] != "finding"] == trail
    assert [r[1] for r in rows].count("finding") == 10  # as many as the store's sightings of it
    as_json = cli("--state", state, "--agent", "helper", "--format", "json", cwd=tmp_path)
    document = json.loads(as_json.stdout)
    assert document["registry_id"] == "helper" and document["source"]["kind"] == "state"
    closed = next(e for e in document["events"] if e["event"] == "closed")
    assert closed == {"at": at(4), "event": "closed", "detail": closed["detail"], "scan_id": "scan-4",
                      "offboarding": "complete", "remaining": []}  # fmt: skip
    unknown = cli("--state", state, "--agent", "nope", cwd=tmp_path)
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert unknown.stderr.startswith("shadowsweep: error: unknown agent 'nope'") and unknown.stderr.count("\n") == 1
    scans = json.loads(cli("--state", state, "--format", "json", cwd=tmp_path).stdout)
    assert [s["id"] for s in scans] == [f"scan-{n}" for n in range(6)]

    nothing = cli("--agent", "helper", cwd=tmp_path)
    assert nothing.returncode == 2 and "--report REPORT.json" in nothing.stderr
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "report.json").write_text(json.dumps(lifecycle_reports()[3]))
    explicit = cli("--agent", "helper", "--report", "out/report.json", cwd=tmp_path)
    assert explicit.returncode == 0, explicit.stderr
    assert explicit.stdout.startswith("no state store: showing what report out/report.json (scan scan-3")
    (tmp_path / "shadowsweep.toml").write_text('[scan]\nout = "out"\n')
    default = cli("--agent", HELPER.uid, "--format", "json", cwd=tmp_path)
    assert default.returncode == 0, default.stderr
    view = json.loads(default.stdout)
    assert view["source"] == {"kind": "report", "path": "out/report.json", "scan_id": "scan-3", "finished_at": at(3)}
    assert "offboarding-incomplete" in [e["event"] for e in view["events"]]
    missing = cli("--agent", "nope", cwd=tmp_path)
    assert missing.returncode == 2 and "unknown agent 'nope'" in missing.stderr and "report" in missing.stderr
