"""The agent lifecycle loop: suggest registry entries, fill the owner, validate, merge, re-scan."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.aws.demo_estate import seed_demo_org
from connectors.aws.emulator import AwsEmulator
from connectors.aws.emulator_apply import apply_aws
from scanner.suggest import OWNER_PLACEHOLDER

pytestmark = pytest.mark.slow


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, timeout=300)


def unregistered(report: dict[str, Any]) -> list[str]:
    return [
        f["identity_uid"] for f in report["findings"] if f["rule"] == "unregistered-agent" and f["status"] == "fail"
    ]


def test_suggest_fill_validate_merge_rescan(tmp_path: Path) -> None:
    with AwsEmulator() as emulator:
        demo = seed_demo_org(emulator)
        registry = tmp_path / "agents.yaml"
        registry.write_text(demo.registry_yaml)
        config = tmp_path / "shadowsweep.toml"
        config.write_text(
            f'[scan]\nregistry = "agents.yaml"\nout = "out"\n\n[connectors.aws]\n'
            f'organization_role = "OrganizationAccountAccessRole"\nendpoint_url = "{emulator.url}"\n'
        )
        assert cli("scan", "-c", str(config)).returncode == 0
        before = json.loads((tmp_path / "out" / "report.json").read_text())
        assert len(unregistered(before)) == 4
        suggested = tmp_path / "suggested.yaml"
        assert (
            cli("registry", "suggest", str(tmp_path / "out" / "report.json"), "--out", str(suggested)).returncode == 0
        )
        rejected = cli("registry", "validate", str(suggested))
        assert rejected.returncode == 2 and "owner" in rejected.stderr  # an entry without a real owner cannot land
        filled = suggested.read_text().replace(OWNER_PLACEHOLDER, "platform-team@example.com")
        suggested.write_text(filled)
        assert cli("registry", "validate", str(suggested)).returncode == 0
        merged = yaml.safe_load(registry.read_text())
        merged["agents"] += yaml.safe_load(filled)["agents"]
        registry.write_text(yaml.safe_dump(merged, sort_keys=False))
        assert cli("registry", "validate", str(registry)).returncode == 0
        assert cli("scan", "-c", str(config)).returncode == 0
        after = json.loads((tmp_path / "out" / "report.json").read_text())
    assert unregistered(after) == []
    drift = [f for f in after["findings"] if f["rule"] == "agent-scope-drift" and f["registry_id"] in
             {a["id"] for a in yaml.safe_load(filled)["agents"]}]  # fmt: skip
    assert drift == []  # the proposed scope is exactly today's access


def test_offboarding_plan_applied_closes_the_audit(tmp_path: Path) -> None:
    with AwsEmulator() as emulator:
        demo = seed_demo_org(emulator)
        (tmp_path / "agents.yaml").write_text(demo.registry_yaml)
        config = tmp_path / "shadowsweep.toml"
        config.write_text(
            f'[scan]\nregistry = "agents.yaml"\nout = "out"\n\n[connectors.aws]\n'
            f'organization_role = "OrganizationAccountAccessRole"\nendpoint_url = "{emulator.url}"\n'
        )
        assert cli("scan", "-c", str(config)).returncode == 0
        planned = cli("offboard", str(tmp_path / "out" / "report.json"), "--format", "json")
        plans = {p["agent"]: p for p in json.loads(planned.stdout)["plans"]}
        for step in plans["claims-agent"]["steps"]:  # the whole plan for the retired agent
            apply_aws(emulator, demo.ml_prod, step["argv"])
        first = plans["pricing-copilot"]["steps"][0]  # half a plan for the expired one: trust denied, role kept
        apply_aws(emulator, demo.ml_prod, first["argv"])
        assert cli("scan", "-c", str(config)).returncode == 0
        after = json.loads((tmp_path / "out" / "report.json").read_text())
    closure = {r["id"]: r.get("offboarding") for r in after["registry_records"]}
    assert closure["claims-agent"] == {"status": "complete", "remaining": []}
    assert closure["pricing-copilot"]["status"] == "incomplete"
    assert any("pricing-copilot" in item for item in closure["pricing-copilot"]["remaining"])
    rules = {(f["rule"], f["registry_id"]) for f in after["findings"]}
    assert ("retired-agent-active", "claims-agent") not in rules
    assert ("expired-agent-registration", "pricing-copilot") in rules
