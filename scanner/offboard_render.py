"""The offboarding plan as text for a person, JSON for a SOAR playbook, or a bash script to review and then run."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import asdict

from scanner.offboard_model import AgentPlan, Step, one_line

CONFIRM_VARIABLE = "SHADOWSWEEP_REVIEWED"
_DRY_RUN = "dry-run plan to review: shadowsweep ran none of these commands and changed nothing"


def command_line(argv: Sequence[str]) -> str:
    """One shell line for an argv: every argument quoted, so no identifier can become shell syntax."""
    return " ".join(shlex.quote(arg) for arg in argv)


def _label(step: Step) -> str:
    return "cuts access" if step.cuts_access else "final deletion"


def _findings(step: Step) -> str:
    return f"findings: {', '.join(step.finding_ids)}" if step.finding_ids else "findings: none"


def _text_plan(item: AgentPlan) -> list[str]:
    lines = [f"== {one_line(item.agent)} ==", f"why: {one_line(item.why)}"]
    lines.append(f"identities: {one_line(', '.join(item.identities)) or 'none found in this report'}")
    for step in item.steps:
        lines.append(f"  {step.order:>2}. [{_label(step)}] {step.action} {one_line(step.target)}")
        lines.append(f"      why: {one_line(step.reason)} ({_findings(step)})")
        lines.append(f"      $ {one_line(command_line(step.argv))}")
    if not item.steps:
        lines.append("  no command to run")
    lines += [f"  ! by hand: {one_line(note)}" for note in item.missing]
    return lines


def render_text(plans: Iterable[AgentPlan]) -> str:
    """The plan for a person: each agent, why, and each step with its reason, findings and command."""
    chosen = list(plans)
    lines = [f"shadowsweep offboarding plan ({_DRY_RUN})", ""]
    if not chosen:
        lines.append("nothing to offboard: no retired or expired agent, and no agent named")
    for item in chosen:
        lines += [*_text_plan(item), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_json(plans: Iterable[AgentPlan]) -> str:
    """The same plan as data, every field kept, for a SOAR playbook to run step by step."""
    return json.dumps({"plans": [asdict(item) for item in plans]}, indent=2) + "\n"


def _header() -> list[str]:
    return [
        "#!/usr/bin/env bash",
        "# shellcheck disable=SC2016",
        "# (identifiers are literal: a $ or backtick inside single quotes must never expand, and does not)",
        f"# shadowsweep offboarding plan: a {_DRY_RUN}.",
        "# Read every step and check each account, tenant and project before running anything.",
        "# Steps that cut access come first; the deletions that destroy evidence come last.",
        f"# Run it yourself once reviewed: {CONFIRM_VARIABLE}=yes bash THIS_FILE",
        "set -euo pipefail",
        "",
        f'if [[ "${{{CONFIRM_VARIABLE}:-}}" != "yes" ]]; then',
        f'  echo "this is an offboarding plan to review; run it with {CONFIRM_VARIABLE}=yes once reviewed" >&2',
        "  exit 2",
        "fi",
    ]


def _sh_plan(item: AgentPlan) -> list[str]:
    lines = ["", f"# ===== agent {one_line(item.agent)} =====", f"# why: {one_line(item.why)}"]
    for step in item.steps:
        lines.append(f"# step {step.order} ({_label(step)}): {one_line(step.reason)} [{one_line(_findings(step))}]")
        lines.append(command_line(step.argv))
    lines += [f"# BY HAND, not scripted: {one_line(note)}" for note in item.missing]
    return lines


def render_sh(plans: Iterable[AgentPlan]) -> str:
    """A bash script of the official CLI commands, quoted, each after a one-line comment with its reason."""
    chosen = list(plans)
    lines = _header()
    if not chosen:
        lines += ["", "# nothing to offboard: no retired or expired agent, and no agent named"]
    for item in chosen:
        lines += _sh_plan(item)
    return "\n".join(lines) + "\n"
