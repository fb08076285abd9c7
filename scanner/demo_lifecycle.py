"""`shadowsweep demo --lifecycle`: the whole agent lifecycle on the emulators, from discovery to a closed audit.

Every scan goes through the normal runner and every figure printed is read from the reports it writes. The plan is
run by the emulators' own write APIs (test tooling), never by shadowsweep, whose connectors stay read-only.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from scanner import demo_lifecycle_ops as ops
from scanner.config import ScanSettings, Settings
from scanner.demo import Estate, estate
from scanner.errors import RegistryErrors
from scanner.offboard import plan, render_json, render_sh
from scanner.output import write_atomic
from scanner.registry import load_registry
from scanner.runner import Prepared, run_and_write
from scanner.suggest import dump, suggest

DEFAULT_OUT = Path("shadowsweep-demo") / "lifecycle"
STAGES = 7


@dataclass
class Outcome:
    """What the loop did, stage by stage, for the caller and the tests."""

    shadow_before: int = 0
    shadow_after: int = 0
    registered: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    steps: int = 0
    closure: dict[str, str] = field(default_factory=dict)
    history: str = ""

    @property
    def closed(self) -> bool:
        """The loop closed: shadow agents registered, and every agent retired here offboarded completely."""
        complete = all(self.closure.get(rid) == "complete" for rid in self.retired)
        return self.shadow_after == 0 and bool(self.retired) and complete


@dataclass
class Loop:
    """The running estate, the files the loop writes under `out`, and where it narrates."""

    out: Path
    estate: Estate
    echo: Callable[[str], None]
    now: datetime
    outcome: Outcome = field(default_factory=Outcome)

    @property
    def registry(self) -> Path:
        """The registry file every scan reads, edited between scans as its owners would."""
        return self.out / "agents.yaml"

    @property
    def state(self) -> Path:
        """The SQLite history ([scan] state) every scan is recorded in."""
        return self.out / "state.db"

    def stage(self, n: int, name: str, command: str) -> None:
        """A stage's heading: its name and the shadowsweep command that does it on a real estate."""
        self.echo(f"\n[{n}/{STAGES}] {name}\n  $ {command}")

    def say(self, line: str) -> None:
        """One indented line of a stage's outcome."""
        self.echo(f"  {line}")

    def scan(self, stage: str) -> dict[str, Any]:
        """One real scan through the runner: reports in out/STAGE, recorded in the state store."""
        scan = ScanSettings(registry=self.registry, out=self.out / stage, formats=("json", "html"), state=self.state)
        prepared = Prepared(
            settings=Settings(scan=scan), registry=load_registry(self.registry), connectors=self.estate.connectors
        )
        return run_and_write(prepared, quiet=True)

    def scan_command(self, stage: str) -> str:
        """The equivalent command line for a scan of this loop (paths relative to the output directory)."""
        return f"shadowsweep scan --registry agents.yaml --state state.db --out {stage}"


def _discover(loop: Loop) -> dict[str, Any]:
    loop.stage(1, "discover: scan the estate against the registry", loop.scan_command("1-discover"))
    report = loop.scan("1-discover")
    shadow = ops.shadow_agents(report)
    loop.outcome.shadow_before = len(shadow)
    summary = report["summary"]
    loop.say(
        f"{summary['identities']} identities, {summary['agents']} AI agents, {summary['registered_agents']} "
        f"registered; {len(shadow)} shadow agents (unregistered-agent findings):"
    )
    for identity in shadow:
        live = len(ops.live_credentials(report, identity))
        keys = f"  ({live} live credential{'s' * (live != 1)})" if live else ""
        loop.say(f"  {identity['provider']:<6} {identity['kind']:<26} {identity['name']}{keys}")
    return report


def _suggest(loop: Loop, report: Mapping[str, Any]) -> dict[str, Any]:
    loop.stage(2, "suggest: registry entries for the shadow agents", "shadowsweep registry suggest "
               "1-discover/report.json --out suggested.yaml")  # fmt: skip
    suggested = loop.out / "suggested.yaml"
    document = suggest(report)
    source = f"1-discover/report.json (scan {report['scan']['id']})"
    write_atomic(suggested, dump(document, [source]).encode("utf-8"), mode=0o644)
    loop.say(f"wrote {len(document['agents'])} entries, today's access proposed as each one's scope")
    try:
        load_registry(suggested)
        problems = ["none: the suggestion named every owner"]
    except RegistryErrors as exc:
        problems = str(exc).splitlines()
    loop.say(f"$ shadowsweep registry validate suggested.yaml -> rejected, {len(problems)} problems, e.g.:")
    loop.say(f"  {problems[0]}")
    owner = ops.accountable_person(report)
    loop.say("A person does the next step, never the tool: they name each agent's accountable owner and purpose.")
    loop.say(f"(The demo plays that person and names {owner}, an enabled user of the scanned directory.)")
    filled = ops.fill_in(document, owner)
    write_atomic(suggested, dump(filled, [source, f"owners and purposes filled in by {owner}"]).encode(), mode=0o644)
    loop.say(f"$ shadowsweep registry validate suggested.yaml -> {len(load_registry(suggested))} agent records, valid")
    return filled


def _register(loop: Loop, report: Mapping[str, Any], filled: Mapping[str, Any]) -> dict[str, Any]:
    loop.stage(3, "register: merge the reviewed entries, scan again", loop.scan_command("3-register"))
    ops.merge(loop.registry, filled["agents"])
    loop.outcome.registered = [str(a["id"]) for a in filled["agents"]]
    loop.say(f"merged {len(filled['agents'])} entries into agents.yaml ({len(load_registry(loop.registry))} records)")
    after = loop.scan("3-register")
    loop.outcome.shadow_after = len(ops.shadow_agents(after))
    loop.say(
        f"unregistered-agent findings: {loop.outcome.shadow_before} before, {loop.outcome.shadow_after} after; "
        f"registered agents: {report['summary']['registered_agents']} -> {after['summary']['registered_agents']}"
    )
    return after


def _retire(loop: Loop, report: Mapping[str, Any]) -> dict[str, Any]:
    loop.stage(4, "retire: decommission agents that still hold live credentials", loop.scan_command("4-retire"))
    chosen = ops.to_retire(report, loop.outcome.registered)
    loop.outcome.retired = chosen
    by_record = {i.get("registry_id"): i for i in report["identities"]}
    for rid in chosen:
        identity = by_record[rid]
        live = ", ".join(
            f"{c['kind']} {c.get('native_id') or c['uid']}" for c in ops.live_credentials(report, identity)
        )
        loop.say(
            f"agents.yaml: {rid} ({identity['provider']} {identity['kind']}) status: retired; it still holds {live}"
        )
    ops.retire(loop.registry, chosen, loop.now.date())
    after = loop.scan("4-retire")
    active = {f["registry_id"]: f for f in ops.failing(after, "retired-agent-active")}
    for rid in chosen:
        found = active.get(rid)
        what = (
            f"{found['severity']} finding {found['id']}, {len(found['evidence']) - 1} live items" if found else "none"
        )
        loop.say(f"retired-agent-active for {rid}: {what}")
    loop.say(f"retired-agent-active findings in all: {len(active)} (the sample registry's retired agents too)")
    return after


def _plan(loop: Loop, report: Mapping[str, Any]) -> dict[str, Any]:
    loop.stage(5, "plan: a dry-run revocation plan", "shadowsweep offboard 4-retire/report.json --format json > "
               "plan.json   (and --format sh > plan.sh)")  # fmt: skip
    plans = plan(report)
    write_atomic(loop.out / "plan.json", render_json(plans).encode("utf-8"), mode=0o644)
    write_atomic(loop.out / "plan.sh", render_sh(plans).encode("utf-8"), mode=0o644)
    steps = [s for p in plans for s in p.steps]
    loop.say(
        f"{len(plans)} agents, {len(steps)} steps ({sum(s.cuts_access for s in steps)} cut access first, the "
        f"deletions last), {sum(len(p.missing) for p in plans)} left to do by hand; plan.sh is the script to review"
    )
    for item in plans:
        mark = "  <- retired in stage 4" if item.agent in loop.outcome.retired else ""
        loop.say(f"  {item.agent}: {len(item.steps)} step{'s' * (len(item.steps) != 1)}{mark}")
    document: dict[str, Any] = json.loads((loop.out / "plan.json").read_text(encoding="utf-8"))
    return document


def _apply(loop: Loop, document: Mapping[str, Any]) -> None:
    loop.stage(6, "apply in the emulator: an operator runs the reviewed plan", "SHADOWSWEEP_REVIEWED=yes bash plan.sh"
               "   (here: each argv replayed on the emulators' own write APIs)")  # fmt: skip
    done = ops.apply_plan(loop.estate, document)
    loop.outcome.steps = sum(len(actions) for actions in done.values())
    for agent, actions in done.items():
        loop.say(f"{agent}: {', '.join(actions)}")
    loop.say(f"{loop.outcome.steps} commands applied, none skipped; shadowsweep itself wrote nothing to any cloud")


def _close(loop: Loop, before: Mapping[str, Any]) -> dict[str, Any]:
    loop.stage(7, "close: scan again; is the offboarding complete?", loop.scan_command("7-close"))
    after = loop.scan("7-close")
    loop.outcome.closure = {
        str(r["id"]): str(r["offboarding"]["status"]) for r in after["registry_records"] if r.get("offboarding")
    }
    for rid, status in loop.outcome.closure.items():
        mark = "  <- retired in stage 4" if rid in loop.outcome.retired else ""
        loop.say(f"offboarding of {rid}: {status}{mark}")
    was, now = len(ops.failing(before, "retired-agent-active")), len(ops.failing(after, "retired-agent-active"))
    loop.say(f"retired-agent-active findings: {was} before the plan, {now} after")
    if loop.outcome.retired:
        rid = loop.outcome.retired[0]
        loop.say(f"$ shadowsweep history --state state.db --agent {rid}")
        loop.outcome.history = _history(loop.state, rid)
        for line in loop.outcome.history.rstrip("\n").splitlines():
            loop.say(f"  {line}")
    return after


def _history(state: Path, agent: str) -> str:
    """The `history --agent` command's own output, run in this process against the loop's state store."""
    from scanner.cli import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        try:
            main.main(
                ["history", "--state", str(state), "--agent", agent], prog_name="shadowsweep", standalone_mode=False
            )
        except SystemExit as exc:  # the command exits 2 on bad input; its message went to stderr
            buffer.write(f"(history exited {exc.code})\n")
    return buffer.getvalue()


def run_lifecycle(out: Path, *, quiet: bool = False) -> Outcome:
    """Discover, suggest, register, retire, plan, apply in the emulators, close: with the emulators kept running."""
    now = datetime.now(UTC)
    echo: Callable[[str], None] = (lambda _: None) if quiet else click.echo
    say: Callable[[str], None] = (lambda _: None) if quiet else (lambda line: click.echo(line, err=True))
    with estate(now, say) as running:
        loop = Loop(out=out, estate=running, echo=echo, now=now)
        write_atomic(loop.registry, running.registry_yaml.encode("utf-8"), mode=0o644)
        for stale in (loop.state, *(loop.state.with_name(loop.state.name + s) for s in ("-wal", "-shm", "-journal"))):
            stale.unlink(missing_ok=True)  # each run seeds a new estate, so it starts its own history
        echo(f"The agent lifecycle on emulated AWS, Entra and Google Cloud; every file is in {out}/")
        first = _discover(loop)
        registered = _register(loop, first, _suggest(loop, first))
        retired = _retire(loop, registered)
        _apply(loop, _plan(loop, retired))
        _close(loop, retired)
    verdict = "closed" if loop.outcome.closed else "NOT closed: see the stages above"
    echo(f"\nThe loop is {verdict}. Reports: {out}/<stage>/report.html; plan: {out}/plan.sh")
    return loop.outcome
