"""`shadowsweep demo --lifecycle`: every stage's outcome, read back from the files the loop wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from reports.schema_loader import load_report_schema
from scanner.registry import load_registry

pytestmark = pytest.mark.slow


def _report(out: Path, stage: str) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((out / stage / "report.json").read_text())
    jsonschema.validate(report, load_report_schema())
    return report


def _failing(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    """Failing findings of a rule in this scan (with a state store, resolved ones stay listed as delta resolved)."""
    return [
        f for f in report["findings"] if f["rule"] == rule and f["status"] == "fail" and f.get("delta") != "resolved"
    ]


def test_lifecycle_demo_closes_the_loop(tmp_path: Path) -> None:
    out = tmp_path / "lifecycle"
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "demo", "--lifecycle", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "[7/7] close" in done.stdout and "The loop is closed" in done.stdout
    # 1 discover: shadow agents in every cloud.
    discovered = _report(out, "1-discover")
    shadow = {f["identity_uid"] for f in _failing(discovered, "unregistered-agent")}
    providers = {i["uid"]: i["provider"] for i in discovered["identities"]}
    assert {providers[uid] for uid in shadow} == {"aws", "entra", "gcp"}
    # 2 suggest: one entry per shadow agent; the filled-in file validates, every owner a real person.
    suggested = yaml.safe_load((out / "suggested.yaml").read_text())["agents"]
    assert {a["identities"][0] for a in suggested} == shadow
    assert len(load_registry(out / "suggested.yaml")) == len(shadow)
    # 3 register: the registry holds them and the re-scan finds no shadow agent left.
    registered = _report(out, "3-register")
    assert _failing(registered, "unregistered-agent") == []
    resolved = {f["identity_uid"] for f in registered["findings"] if f["rule"] == "unregistered-agent"}
    assert resolved == shadow  # the history says each one was resolved, not forgotten
    new_ids = {a["id"] for a in suggested}
    assert new_ids <= {r["id"] for r in registered["registry_records"]}
    # 4 retire: agents of the new entries with live credentials, retired; each still active, so flagged.
    retiring = _report(out, "4-retire")
    retired = {r["id"] for r in retiring["registry_records"] if r["status"] == "retired"} & new_ids
    assert len(retired) == 3  # one per cloud
    flagged = {f["registry_id"] for f in _failing(retiring, "retired-agent-active")}
    assert retired <= flagged
    # 5 plan: every retired agent has steps, nothing left to a person; the script is there to review.
    plans = {p["agent"]: p for p in json.loads((out / "plan.json").read_text())["plans"]}
    assert all(plans[rid]["steps"] and not plans[rid]["missing"] for rid in retired)
    assert {s["argv"][0] for rid in retired for s in plans[rid]["steps"]} == {"aws", "az", "gcloud"}
    assert (out / "plan.sh").read_text().startswith("#!/usr/bin/env bash")
    # 6 apply + 7 close: every offboarding is complete and no retired agent is active any more.
    closed = _report(out, "7-close")
    closure = {r["id"]: r["offboarding"]["status"] for r in closed["registry_records"] if r.get("offboarding")}
    assert set(plans) <= set(closure) and set(closure.values()) == {"complete"}
    assert _failing(closed, "retired-agent-active") == []
    # The state store saw the four scans; history tells one retired agent's story.
    assert (out / "state.db").exists()
    assert "history --state state.db --agent" in done.stdout
