"""Plugin loading, the connector contract, strict config, atomic output and the SDK-free core."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest

from scanner import plugins
from scanner.config import ConfigSection, Severity, load_settings
from scanner.errors import ConfigError, PluginError
from scanner.output import write_atomic, write_reports
from scanner.plugins import connector_names, load_connector_class


def test_importing_the_core_never_imports_a_cloud_sdk() -> None:
    code = (
        "import sys, scanner, scanner.cli, scanner.engine, scanner.runner, scanner.report, scanner.rules.builtin, "
        "scanner.plugins, reports.html_report, reports.json_report\n"
        "from scanner.plugins import connector_names; connector_names()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'boto3', 'botocore', 'moto', 'azure', 'msgraph', "
        "'google'})\n"
        "print(','.join(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_missing_extra_gives_the_exact_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    real = plugins.importlib.util.find_spec
    monkeypatch.setattr(plugins.importlib.util, "find_spec", lambda name: None if name == "boto3" else real(name))
    with pytest.raises(PluginError) as caught:
        load_connector_class("aws")
    assert "pip install 'shadowsweep[aws]'" in str(caught.value)


def test_unknown_connector_names_the_installed_ones() -> None:
    with pytest.raises(PluginError, match=r"unknown connector 'nope' \(installed: .*aws"):
        load_connector_class("nope")


@pytest.mark.parametrize("name", connector_names())
def test_every_installed_connector_keeps_the_contract(name: str) -> None:
    """Each connector names its extra and permissions, and rejects unknown config keys by name."""
    cls = load_connector_class(name)
    assert cls.name == name and cls.extra and cls.requires and cls.permissions
    assert all(isinstance(p, str) and p for p in cls.permissions)
    for method in ("from_config", "plan", "collect"):
        assert callable(getattr(cls, method))
    section = ConfigSection(f"connectors.{name}", {"definitely_not_a_key": 1}, "cfg.toml")
    with pytest.raises(ConfigError) as caught:
        cls.from_config(section)
    assert str(caught.value).startswith(f"cfg.toml: connectors.{name}.definitely_not_a_key: unknown key")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shadowsweep.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("[scan]\nfail_on = 'hgih'\n", ":2: scan.fail_on: expected one of", id="bad-fail-on"),
        pytest.param("[scan]\n\nstale_after_days = 'ninety'\n", ":3: scan.stale_after_days: expected int", id="type"),
        pytest.param("[scan]\nstale_after_days = -1\n", ":2: scan.stale_after_days: must be a positive", id="neg"),
        pytest.param(
            "[scan]\nregistyr = 'a.yaml'\n", ":2: scan.registyr: unknown key (did you mean 'registry'?)", id="key"
        ),
        pytest.param("[scann]\n", ":1: scann: unknown table", id="table"),
        pytest.param(
            "[scan]\nformats = 'json'\n", ":2: scan.formats: expected a list of non-empty strings", id="formats"
        ),
        pytest.param("[scan\n", ": invalid TOML", id="syntax"),
        pytest.param("[scan]\nstate = ''\n", ":2: scan.state: must not be empty", id="state"),
        pytest.param("[scan]\nregistries = ['cmdb:x']\n", ":2: scan.registries: unknown registry source", id="source"),
        pytest.param(
            "[connectors.aws]\naccounts = ['12']\n", ":2: connectors.aws.accounts: '12' is not a 12-digit", id="acct"
        ),
    ],
)
def test_config_errors_name_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        settings = load_settings(path)
        for name, section in settings.connectors.items():
            load_connector_class(name).from_config(section)
    assert str(caught.value).startswith(str(path)) and expected in str(caught.value), str(caught.value)


def test_config_values_and_relative_paths(tmp_path: Path) -> None:
    path = write(tmp_path, "[scan]\nregistry = 'agents'\nout = 'o'\nfail_on = 'high'\nagent_threshold = 1\n")
    settings = load_settings(path)
    assert settings.scan.registry == tmp_path / "agents" and settings.scan.out == tmp_path / "o"
    assert settings.scan.fail_on is Severity.HIGH and settings.scan.agent_threshold == 1.0


class _Broken:
    name: ClassVar[str] = "broken"
    filename: ClassVar[str] = "broken.txt"

    def render(self, report: Any) -> bytes:
        raise RuntimeError("renderer bug")


def test_a_failing_renderer_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = plugins.load_renderer
    monkeypatch.setattr("scanner.output.load_renderer", lambda name: _Broken() if name == "broken" else real(name))
    with pytest.raises(RuntimeError):
        write_reports({"schema_version": "1"}, tmp_path / "out", ("json", "broken"))
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_atomic_write_is_private_and_replaces_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    os.chmod(target, 0o644)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left behind


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_connectors_lists_permissions() -> None:
    done = run_cli("connectors")
    assert done.returncode == 0
    assert "aws: ready (extra: aws)" in done.stdout and "iam:GetAccountAuthorizationDetails" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("scan", "--connector", "nope"), "unknown connector 'nope'", id="connector"),
        pytest.param(("scan", "--format", "json,pdf"), "unknown report format 'pdf'", id="format"),
        pytest.param(("scan", "--fail-on", "severe"), "Invalid value for '--fail-on'", id="flag"),
        pytest.param(("scan", "--registry", "missing.yaml"), "missing.yaml", id="registry"),
        pytest.param(("registry", "validate", "missing.yaml"), "missing.yaml", id="validate"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = run_cli(*args, "--out", "out", cwd=tmp_path) if args[0] == "scan" else run_cli(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert not (tmp_path / "out").exists()


REGISTRY_ERRORS = {
    "bad-status": (
        "version: 1\nagents:\n  - id: a\n    owner: o@x.io\n    purpose: p\n    status: enabled\n    identities: [x]\n",
        6,
        "status",
    ),
    "missing-owner": (
        "version: 1\nagents:\n  - id: a\n    purpose: p\n    status: active\n    identities: [x]\n",
        3,
        "owner",
    ),
    "retired-without-date": (
        "version: 1\nagents:\n  - id: a\n    owner: o@x.io\n    purpose: p\n    status: retired\n    identities: [x]\n",
        6,
        "retired_on",
    ),
    "unknown-key": (
        "version: 1\nagents:\n  - id: a\n    owner: o@x.io\n    purpose: p\n    status: active\n"
        "    identities: [x]\n    ownr: z\n",
        8,
        "ownr",
    ),
    "bad-date": (
        "version: 1\nagents:\n  - id: a\n    owner: o@x.io\n    purpose: p\n    status: active\n"
        "    expires: 2027-02-30\n    identities: [x]\n",
        7,
        "expires",
    ),
    "placeholder-owner": (
        "version: 1\nagents:\n  - id: a\n    owner: <OWNER>\n    purpose: p\n    status: active\n    identities: [x]\n",
        4,
        "owner",
    ),
    "yaml-syntax": ("version: 1\nagents:\n  - id: a\n   owner: [\n", 4, ""),
}


@pytest.mark.parametrize("kind", sorted(REGISTRY_ERRORS))
def test_every_registry_error_kind_exits_2_naming_file_and_line(tmp_path: Path, kind: str) -> None:
    text, line, field = REGISTRY_ERRORS[kind]
    (tmp_path / "agents.yaml").write_text(text)
    for args in (("registry", "validate", "agents.yaml"), ("scan", "--registry", "agents.yaml", "--out", "out")):
        done = run_cli(*args, cwd=tmp_path)
        assert done.returncode == 2, (kind, args, done.stderr)
        assert f"agents.yaml:{line}:" in done.stderr and field in done.stderr, (kind, done.stderr)
        assert not (tmp_path / "out").exists()
