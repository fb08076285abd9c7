"""Hostile text planted in the estate itself, scanned through the CLI, then opened in headless Chromium."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_html_report import Beacon, assert_inert, beacon, chromium, visit  # noqa: F401  (fixtures)

from connectors.aws.emulator import AwsEmulator

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def payloads(base: str) -> dict[str, str]:
    """Markup that would call home if it ever ran."""
    return {
        "script": f"<script>fetch('{base}/d1')</script>",
        "img": f"<img src=x onerror=\"fetch('{base}/d2')\">",
        "svg": f"\"><svg onload=fetch('{base}/d3')>",
        "js-url": f"javascript:fetch('{base}/d4')",
        "quotes": "'\"`",
        "rtl": "invoice\u202egnp.exe",
    }


def plant(emulator: AwsEmulator, base: str) -> None:
    """An unregistered agent role whose description and tags are attacker-controlled."""
    iam = emulator.client("iam")
    hostile = payloads(base)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(
        RoleName="support-bot",
        AssumeRolePolicyDocument=json.dumps(trust),
        Description=" ".join(hostile.values()),
        Tags=[{"Key": f"k-{name}", "Value": value} for name, value in hostile.items()],
    )


def test_hostile_names_in_the_estate_never_run(chromium: str, beacon: Beacon, tmp_path: Path) -> None:  # noqa: F811
    with AwsEmulator() as emulator:
        plant(emulator, beacon.base)
        config = tmp_path / "shadowsweep.toml"
        config.write_text(f'[scan]\nout = "out"\n\n[connectors.aws]\nendpoint_url = "{emulator.url}"\n')
        done = subprocess.run(
            [sys.executable, "-m", "scanner", "scan", "-c", str(config)], capture_output=True, text=True, timeout=300
        )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    role = next(i for i in report["identities"] if i["name"] == "support-bot")
    assert role["description"].startswith("<script>")  # the report keeps the data verbatim
    html = (tmp_path / "out" / "report.html").read_text()
    page, hits = visit(chromium, beacon, html, tmp_path)
    assert hits == []
    assert_inert(page)
    assert page.tags("html")[0].get("data-ready") == "1"  # our own script did run under the CSP
    text = page.visible_text()
    assert f"<script>fetch('{beacon.base}/d1')</script>" in text
    assert "[U+202E]" in text  # the right-to-left override is shown, not obeyed


def test_hostile_entra_display_names_never_run(chromium: str, beacon: Beacon, tmp_path: Path) -> None:  # noqa: F811
    """Anyone can register an app: its display name and notes are attacker-controlled."""
    from connectors.entra.emulator import GraphEmulator
    from connectors.entra.emulator_tenant import Tenant

    hostile = payloads(beacon.base)
    tenant = Tenant("6f1b2c3d-8a9e-4b7c-9d2e-0a1b2c3d4e5f", "Contoso")
    for name, text in hostile.items():
        tenant.add_app_with_sp(f"{text} ({name})", notes=text, tags=(text,))
    tenant.add_service_principal(hostile["rtl"], app_id="e0476654-c1d5-430b-ab80-70cbd947616a")  # poses as ChatGPT
    with GraphEmulator(tenant) as emulator:
        config = tmp_path / "shadowsweep.toml"
        config.write_text(
            f'[scan]\nout = "out"\n\n[connectors.entra]\ngraph_endpoint = "{emulator.url}"\ntoken_env = "T"\n'
        )
        done = subprocess.run(
            [sys.executable, "-m", "scanner", "scan", "-c", str(config)],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "T": "token"},
        )
    assert done.returncode == 0, done.stderr
    page, hits = visit(chromium, beacon, (tmp_path / "out" / "report.html").read_text(), tmp_path)
    assert hits == []
    assert_inert(page)
    assert page.tags("html")[0].get("data-ready") == "1"
    text = page.visible_text()
    assert f"<img src=x onerror=\"fetch('{beacon.base}/d2')\"> (img)" in text
    assert "invoice[U+202E]gnp.exe" in text  # the disguised name is shown for what it is
