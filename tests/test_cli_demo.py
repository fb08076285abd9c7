"""`shadowsweep demo`: both clouds, one registry, every planted case, reports that validate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from reports.schema_loader import load_report_schema

pytestmark = pytest.mark.slow


def test_demo_reconciles_three_clouds_against_one_registry(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "demo", "--out", str(out)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "shadow" in done.stdout and "coverage" in done.stdout
    report = json.loads((out / "report.json").read_text())
    jsonschema.validate(report, load_report_schema())
    assert {c["provider"] for c in report["scan"]["coverage"]} == {"aws", "entra", "gcp"}
    assert report["scan"]["complete"] is True
    registered = {i["registry_id"]: i["provider"] for i in report["identities"] if i["registry_id"]}
    assert set(registered.values()) == {"aws", "entra", "gcp"}  # one registry file matched identities in every cloud
    assert registered["entra-invoice-reader"] == "entra" and registered["invoice-reconciler"] == "aws"
    shadow = {
        (i["provider"], i["name"])
        for i in report["identities"]
        for f in report["findings"]
        if f["rule"] == "unregistered-agent" and f["identity_uid"] == i["uid"]
    }
    assert ("aws", "support-summarizer-lambda") in shadow and ("entra", "ChatGPT") in shadow
    assert ("gcp", "website-chat") in shadow  # a Gemini API key
    assert (out / "agents.yaml").exists() and (out / "report.html").stat().st_size > 10_000
    # One privilege path crosses clouds: an Entra app's tokens assume an administrator role in AWS.
    providers = {i["uid"]: i["provider"] for i in report["identities"]}
    crossing = [
        f for f in report["findings"]
        if f["rule"] == "agent-privilege-path"
        and any(providers.get(h["source"]) != providers.get(h["target"]) for h in f["path"])
    ]  # fmt: skip
    (path,) = crossing
    (hop,) = path["path"]
    assert (providers[hop["source"]], hop["relation"], providers[hop["target"]]) == ("entra", "FEDERATES_FROM", "aws")
    assert "sts.windows.net" in hop["reason"] and "administrator-equivalent" in path["evidence"][1]
    # Every retired or expired record says whether its offboarding is complete.
    closure = {r["id"]: r["offboarding"]["status"] for r in report["registry_records"] if "offboarding" in r}
    assert closure == dict.fromkeys(
        ("claims-agent", "pricing-copilot", "entra-claims-triage", "gcp-legacy-summarizer"), "incomplete"
    )
