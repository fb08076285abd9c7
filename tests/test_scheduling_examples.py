"""The scheduling examples in docs/scheduling parse, and every shadowsweep flag they use exists."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from scanner.cli import main

DOCS = Path(__file__).resolve().parents[1] / "docs" / "scheduling"
CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")
RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def valid_cron(expression: str) -> bool:
    fields = expression.split()
    if len(fields) != 5:
        return False
    for field, (low, high) in zip(fields, RANGES, strict=True):
        if not CRON_FIELD.match(field):
            return False
        numbers = [int(n) for n in re.findall(r"\d+", field.split("/")[0])]
        if any(not low <= n <= high for n in numbers):
            return False
    return True


def assert_cli_accepts(argv: list[str]) -> None:
    """The words after `shadowsweep` name a real command and only options it defines."""
    start = next(i for i, word in enumerate(argv) if word.endswith("shadowsweep")) + 1
    command = main.commands[argv[start]]
    known = {opt for param in command.params for opt in getattr(param, "opts", [])}
    used = [w.split("=", 1)[0] for w in argv[start + 1 :] if w.startswith("-")]
    assert used and set(used) <= known, set(used) - known
    with click.Context(command) as ctx:
        command.parse_args(ctx, [w for w in argv[start + 1 :]])  # raises on a bad flag or value


def test_crontab_line() -> None:
    (line,) = [ln for ln in (DOCS / "crontab").read_text().splitlines() if ln and not ln.startswith("#")]
    assert valid_cron(" ".join(line.split()[:5]))
    command = line.split(None, 5)[5].split("&&", 1)[1]
    assert_cli_accepts(shlex.split(command.replace("\\%", "%")))


def test_systemd_service_and_timer() -> None:
    service = configparser.ConfigParser(strict=True, interpolation=None)
    service.read_string((DOCS / "shadowsweep.service").read_text())
    assert service["Service"]["Type"] == "oneshot" and service["Service"]["UMask"] == "0077"
    assert_cli_accepts(shlex.split(service["Service"]["ExecStart"]))
    timer = configparser.ConfigParser(strict=True, interpolation=None)
    timer.read_string((DOCS / "shadowsweep.timer").read_text())
    assert re.match(r"^\*-\*-\* \d\d:\d\d:\d\d", timer["Timer"]["OnCalendar"])
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_kubernetes_cronjob() -> None:
    docs = list(yaml.safe_load_all((DOCS / "cronjob.yaml").read_text()))
    account = next(d for d in docs if d["kind"] == "ServiceAccount")
    job = next(d for d in docs if d["kind"] == "CronJob")
    assert valid_cron(job["spec"]["schedule"]) and job["spec"]["concurrencyPolicy"] == "Forbid"
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert all("secretKeyRef" in e["valueFrom"] for e in container["env"])  # secrets only through the environment
    assert_cli_accepts(["shadowsweep", *container["args"]])


def test_github_actions_workflow() -> None:
    workflow: dict[Any, Any] = yaml.safe_load((DOCS / "github-actions.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as True
    assert valid_cron(triggers["schedule"][0]["cron"])
    assert workflow["permissions"]["id-token"] == "write" and workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["scan"]["steps"]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    scan = next(s["run"] for s in steps if s.get("run", "").startswith("shadowsweep scan"))
    assert_cli_accepts(shlex.split(scan))
    assert upload["with"]["sarif_file"] == "out/findings.sarif" and "sarif" in scan


@pytest.mark.parametrize("expression", ["61 2 * * *", "* * *", "a b c d e"])
def test_the_cron_check_can_fail(expression: str) -> None:
    assert not valid_cron(expression)
