"""Sinks through the CLI: events reach a local HEC listener, a listener that is down gives exit 4 and a spool."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_sinks import TOKEN, Recorder, listeners, new_listener, uids  # noqa: F401  (fixture)

from connectors.aws.demo_estate import seed_demo_org
from connectors.aws.emulator import AwsEmulator

pytestmark = pytest.mark.slow


def scan(config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SPLUNK_HEC_TOKEN": TOKEN}
    command = [sys.executable, "-m", "scanner", "scan", "-c", str(config), *extra]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def test_delivery_survives_a_listener_that_is_down(listeners: list[Recorder], tmp_path: Path) -> None:  # noqa: F811
    hec = new_listener(listeners, start=False)  # not listening yet: the first run cannot deliver
    with AwsEmulator() as emulator:
        demo = seed_demo_org(emulator)
        (tmp_path / "agents.yaml").write_text(demo.registry_yaml)
        config = tmp_path / "shadowsweep.toml"
        config.write_text(
            f'[scan]\nregistry = "agents.yaml"\nout = "out"\nstate = "state.db"\n\n'
            f'[connectors.aws]\norganization_role = "OrganizationAccountAccessRole"\n'
            f'endpoint_url = "{emulator.url}"\n\n'
            f'[sinks.splunk]\nkind = "splunk_hec"\nurl = "{hec.url}"\ntoken_env = "SPLUNK_HEC_TOKEN"\n'
        )
        first = scan(config)
        assert first.returncode == 4, first.stderr  # reports written, delivery failed
        assert (tmp_path / "out" / "report.json").exists() and "sink splunk" in first.stderr
        spooled = list((tmp_path / "spool" / "splunk").glob("pending-*.ndjson"))
        assert len(spooled) == 1 and TOKEN not in spooled[0].read_text()
        one = json.loads((tmp_path / "out" / "report.json").read_text())
        hec.start()
        second = scan(config)
        assert second.returncode == 0, second.stderr
        two = json.loads((tmp_path / "out" / "report.json").read_text())
    received = uids(hec.events)
    expected = [f["id"] for f in one["findings"]] + [f["id"] for f in two["findings"]]
    assert sorted(received) == sorted(expected)  # the spooled scan first, then the new one, nothing twice
    scans = {e["event"]["metadata"]["correlation_uid"] for e in hec.events}
    assert scans == {one["scan"]["id"], two["scan"]["id"]}
    assert not list((tmp_path / "spool" / "splunk").glob("pending-*.ndjson"))


def test_unknown_sink_name_is_bad_input(tmp_path: Path) -> None:
    config = tmp_path / "shadowsweep.toml"
    config.write_text('[sinks.splunk]\nkind = "splunk_hec"\nurl = "http://127.0.0.1:9/x"\ntoken_env = "T"\n')
    done = scan(config, "--sink", "elastic", "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "no such sink: elastic" in done.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[sinks.splunk]\nkind = "splunk_hec"\nurl = "http://splunk.example.com/x"\ntoken_env = "T"\n')
    done = scan(bad, "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "sinks.splunk.url" in done.stderr and ":3:" in done.stderr
    assert not (tmp_path / "out").exists()
