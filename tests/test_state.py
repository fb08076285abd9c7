"""State store and deltas: two scans of a changing estate, coverage-aware resolution, locking, diff and history."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.aws.demo_estate import DemoOrg, seed_demo_org
from connectors.aws.emulator import AwsEmulator
from scanner.state import locked

pytestmark = pytest.mark.slow

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole"}]}  # fmt: skip


@pytest.fixture
def estate() -> Iterator[tuple[AwsEmulator, DemoOrg]]:
    with AwsEmulator() as emulator:
        yield emulator, seed_demo_org(emulator)


def configure(tmp: Path, emulator: AwsEmulator, demo: DemoOrg) -> Path:
    (tmp / "agents.yaml").write_text(demo.registry_yaml)
    config = tmp / "shadowsweep.toml"
    config.write_text(
        f'[scan]\nregistry = "agents.yaml"\nstate = "state.db"\n\n[connectors.aws]\n'
        f'organization_role = "OrganizationAccountAccessRole"\nregions = ["us-east-1"]\n'
        f'endpoint_url = "{emulator.url}"\n'
    )
    return config


def cli(*args: str, out: Path | None = None) -> subprocess.CompletedProcess[str]:
    extra = ["--out", str(out)] if out else []
    return subprocess.run([sys.executable, "-m", "scanner", *args, *extra], capture_output=True, text=True, timeout=300)


def by_delta(report: dict[str, Any], earlier: dict[str, Any] | None = None) -> dict[str, set[tuple[str, str]]]:
    """Findings by delta, naming identities from this report or, for ones no longer seen, the earlier one."""
    names = {i["uid"]: i["name"] for r in (earlier or report, report) for i in r["identities"]}
    out: dict[str, set[tuple[str, str]]] = {}
    for f in report["findings"]:
        out.setdefault(f["delta"], set()).add((f["rule"], names.get(f["identity_uid"] or "", f["registry_id"] or "")))
    return out


def test_two_scans_of_a_changing_estate(estate: tuple[AwsEmulator, DemoOrg], tmp_path: Path) -> None:
    emulator, demo = estate
    config = configure(tmp_path, emulator, demo)
    first = cli("scan", "-c", str(config), out=tmp_path / "one")
    assert first.returncode == 0, first.stderr
    one = json.loads((tmp_path / "one" / "report.json").read_text())
    assert set(by_delta(one)) == {"new"}
    # Between the scans: a new shadow agent appears, a key is revoked, and one account can no longer be read.
    emulator.client("iam").create_role(RoleName="new-shadow-agent", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam = emulator.assumed_client("iam", demo.ml_prod)
    key = iam.list_access_keys(UserName="claims-agent-bot")["AccessKeyMetadata"][0]["AccessKeyId"]
    iam.delete_access_key(UserName="claims-agent-bot", AccessKeyId=key)
    emulator.deny_assume_role(demo.data_sandbox)
    second = cli("scan", "-c", str(config), out=tmp_path / "two")
    assert second.returncode == 0, second.stderr
    two = json.loads((tmp_path / "two" / "report.json").read_text())
    deltas = by_delta(two, one)
    assert ("unregistered-agent", "new-shadow-agent") in deltas["new"]
    assert ("long-lived-agent-credential", "claims-agent-bot") in deltas["resolved"]  # its scope was read fully
    assert ("agent-privilege-path", "agentcore-ops-runtime") in deltas["unverified"]  # account denied: not resolved
    assert ("stale-agent-credential", "etl-enricher") in deltas["unverified"]
    assert ("retired-agent-active", "claims-agent-bot") in deltas["persisting"]  # the user is still there
    assert not any(rule == "agent-privilege-path" for rule, _ in deltas.get("resolved", set()))
    persisting = next(f for f in two["findings"] if f["delta"] == "persisting")
    assert (
        persisting["first_seen"] == one["scan"]["finished_at"] and persisting["last_seen"] == two["scan"]["finished_at"]
    )
    new_role = next(i for i in two["identities"] if i["name"] == "new-shadow-agent")
    assert new_role["first_seen"] == two["scan"]["finished_at"]
    assert "new 1" in second.stdout.replace("  ", " ") or "[new]" in second.stdout
    diffed = cli("diff", str(tmp_path / "one" / "report.json"), str(tmp_path / "two" / "report.json"))
    assert diffed.returncode == 0 and "resolved" in diffed.stdout and "new-shadow-agent" not in diffed.stderr
    history = cli("history", "-c", str(config))
    assert history.returncode == 0 and one["scan"]["id"] in history.stdout and two["scan"]["id"] in history.stdout
    agent = cli("history", "-c", str(config), "--agent", "claims-agent")
    assert agent.stdout.count("retired-agent-active") == 2


def test_runs_sharing_a_store_never_interleave(estate: tuple[AwsEmulator, DemoOrg], tmp_path: Path) -> None:
    emulator, demo = estate
    config = configure(tmp_path, emulator, demo)
    state = tmp_path / "state.db"
    with locked(state, wait=False):
        refused = cli("scan", "-c", str(config), out=tmp_path / "a")
    assert refused.returncode == 2 and "another scan is using this state store" in refused.stderr
    assert not (tmp_path / "a").exists()
    results: list[subprocess.CompletedProcess[str]] = []
    threads = [
        threading.Thread(target=lambda n=n: results.append(cli("scan", "-c", str(config), "--wait", out=tmp_path / n)))
        for n in ("b", "c")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    scans = sqlite3.connect(state).execute("SELECT started_at, finished_at FROM scans ORDER BY started_at").fetchall()
    assert len(scans) == 2 and scans[0][1] <= scans[1][0]  # one after the other
    assert sqlite3.connect(state).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert oct(os.stat(state).st_mode & 0o777) == "0o600"


def test_waiting_run_proceeds_when_the_lock_is_released(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    order: list[str] = []

    def second() -> None:
        with locked(state, wait=True, poll=0.05):
            order.append("second")

    with locked(state, wait=False):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]


# The schema as shadowsweep wrote it before stores were versioned (PRAGMA user_version 0).
V1_SCHEMA = """
CREATE TABLE scans (id TEXT PRIMARY KEY, started_at TEXT, finished_at TEXT, complete INTEGER, summary TEXT);
CREATE TABLE coverage (scan_id TEXT, provider TEXT, scope TEXT, status TEXT, api_calls INTEGER, gaps INTEGER);
CREATE TABLE findings (id TEXT PRIMARY KEY, first_seen TEXT, last_seen TEXT, open INTEGER, data TEXT);
CREATE TABLE sightings (scan_id TEXT, finding_id TEXT, delta TEXT, status TEXT, severity TEXT, rule TEXT,
  registry_id TEXT, identity_uid TEXT);
CREATE TABLE identities (uid TEXT PRIMARY KEY, first_seen TEXT, last_seen TEXT, is_agent INTEGER, registry_id TEXT);
CREATE INDEX sightings_by_registry ON sightings (registry_id);
"""


def test_a_store_from_before_versioning_is_upgraded_in_place_and_keeps_its_history(tmp_path: Path) -> None:
    from builders import record
    from test_agent_history import HELPER, ROLE_ID, report_of

    from scanner.state import SCHEMA_VERSION, StateStore

    path = tmp_path / "state.db"
    old = sqlite3.connect(path)
    old.executescript(V1_SCHEMA)
    before = report_of([HELPER], [], -1)  # a shadow agent, stored as the code before versioning stored it
    when = before["scan"]["finished_at"]
    old.execute("INSERT INTO scans VALUES ('old-scan', ?, ?, 1, ?)", (when, when, json.dumps(before["summary"])))
    old.execute("INSERT INTO identities VALUES (?, ?, ?, 1, NULL)", (HELPER.uid, when, when))
    for f in before["findings"]:
        data = json.dumps({**f, "first_seen": when, "last_seen": when})
        old.execute("INSERT INTO findings VALUES (?, ?, ?, 1, ?)", (f["id"], when, when, data))
        old.execute(
            "INSERT INTO sightings VALUES ('old-scan', ?, 'new', ?, ?, ?, ?, ?)",
            (f["id"], f["status"], f["severity"], f["rule"], f["registry_id"], f["identity_uid"]),
        )
    old.commit()
    old.close()

    store = StateStore(path)
    assert store.db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert [s["id"] for s in store.history()] == ["old-scan"]  # nothing lost
    store.record(report_of([HELPER], [record("helper", HELPER)], 0))
    store.close()
    again = StateStore(path)  # reopening an upgraded store changes nothing
    assert again.db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    history = again.agent_history(ROLE_ID)  # native ids are kept from the first scan after the upgrade
    assert [(e.at, e.event) for e in history.events if e.event != "finding"][:2] == [
        (when, "first-seen"), (history.events[-1].at, "registered")]  # fmt: skip
    assert "shadow agent" in history.events[0].detail
    findings = {(e.at, e.data["rule"], e.data["delta"]) for e in history.events if e.event == "finding"}
    assert (when, "unregistered-agent", "new") in findings  # sightings from before the upgrade stay in the trail
    assert (history.events[-1].at, "unregistered-agent", "resolved") in findings
    assert (
        "the 1 earlier scans predate record tracking"
        in next(e for e in history.events if e.event == "registered").detail
    )
    assert history.notes == ["1 earlier scans predate record tracking (the store was upgraded)"]
    identity = again.identities([HELPER.uid])[0]
    assert identity["first_seen"] == when and identity["native_ids"] == list(HELPER.native_ids)
