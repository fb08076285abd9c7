"""Command line: parse, build, call run_scan, write outputs; no business logic here."""

from __future__ import annotations

import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import click

from scanner import __version__
from scanner.config import FAIL_ON_CHOICES, Settings, Severity, load_settings
from scanner.errors import InputError, PluginError, RegistryErrors, ShadowsweepError
from scanner.logsafe import configure_logging

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INCOMPLETE, EXIT_DELIVERY = 0, 1, 2, 3, 4
DEFAULT_CONFIG = Path("shadowsweep.toml")


def fail_input(message: str) -> NoReturn:
    """Bad input: one line per problem on stderr, exit 2, nothing written."""
    for line in message.splitlines():
        click.echo(f"shadowsweep: error: {line}", err=True)
    sys.exit(EXIT_INPUT)


def exit_code(report: dict[str, Any], fail_on: Severity | None, strict: bool) -> int:
    """Exit code per CONTRACT.md; an incomplete strict scan outranks findings."""
    if strict and not report["scan"]["complete"]:
        return EXIT_INCOMPLETE
    if fail_on is not None:
        threshold = fail_on.label
        order = [s.label for s in sorted(Severity, reverse=True)]
        counted = order[: order.index(threshold) + 1]
        if any(report["summary"]["findings"][s] for s in counted):
            return EXIT_FINDINGS
    return EXIT_OK


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="shadowsweep")
@click.option("--debug", is_flag=True, help="Debug logging on stderr (secrets are never logged).")
def main(debug: bool) -> None:
    """shadowsweep: find the AI agents among your non-human identities, and the ones nobody registered."""
    configure_logging(logging.DEBUG if debug else logging.WARNING)


def _load_settings(config: Path | None) -> Settings:
    if config is None and DEFAULT_CONFIG.exists():
        config = DEFAULT_CONFIG
    return load_settings(config)


def _formats(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


@main.command()
@click.option("-c", "--config", type=click.Path(path_type=Path, dir_okay=False), help="TOML config file.")
@click.option("--connector", "connectors", multiple=True, help="Limit the scan to these connectors (repeatable).")
@click.option("--registry", type=click.Path(path_type=Path), help="Registry file or directory.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Output directory.")
@click.option("--format", "formats", help="Comma-separated formats, e.g. json,html.")
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES), help="Exit 1 on findings at or above this severity.")
@click.option("--strict", is_flag=True, help="Exit 3 when coverage is incomplete.")
@click.option("--state", type=click.Path(path_type=Path, dir_okay=False), help="SQLite history for deltas.")
@click.option("--wait", is_flag=True, help="Wait for another scan that holds the state store, instead of exiting.")
@click.option("--sink", "sinks", multiple=True, help="Deliver only to these configured sinks (repeatable).")
@click.option("--executor", type=click.Choice(["thread", "dask"]), help="Collect scopes in threads or on Dask.")
@click.option("--scheduler", help="Dask scheduler address, e.g. tcp://HOST:8786.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def scan(
    config: Path | None,
    connectors: tuple[str, ...],
    registry: Path | None,
    out: Path | None,
    formats: str | None,
    fail_on: str | None,
    strict: bool,
    state: Path | None,
    wait: bool,
    sinks: tuple[str, ...],
    executor: str | None,
    scheduler: str | None,
    quiet: bool,
) -> None:
    """Scan the configured estate and write reports."""
    from scanner.runner import prepare, run_and_write
    from scanner.state import StateLocked

    try:
        settings = _load_settings(config)
        scan_settings = replace(
            settings.scan,
            registry=registry or settings.scan.registry,
            out=out or settings.scan.out,
            formats=_formats(formats) or settings.scan.formats,
            fail_on=Severity.parse(fail_on) if fail_on else settings.scan.fail_on,
            state=state or settings.scan.state,
            executor=executor or settings.scan.executor,
            scheduler=scheduler or settings.scan.scheduler,
        )
        settings = replace(settings, scan=scan_settings)
        prepared = prepare(settings, connectors, sinks)
    except (InputError, RegistryErrors, PluginError) as exc:
        fail_input(str(exc))
    try:
        report = run_and_write(prepared, quiet=quiet, wait=wait)
    except StateLocked as exc:
        fail_input(str(exc))
    code = exit_code(report, scan_settings.fail_on, strict)
    if prepared.failed_sinks and code != EXIT_INCOMPLETE:
        code = EXIT_DELIVERY  # the reports are written, but a SIEM is missing events (they are spooled)
    sys.exit(code)


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write the sample registry and the reports [default: shadowsweep-demo, or "
    "shadowsweep-demo/lifecycle with --lifecycle].",
)
@click.option(
    "--lifecycle",
    is_flag=True,
    help="Walk the agent lifecycle: discover, suggest, register, retire, plan, apply, close.",
)
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def demo(out: Path | None, lifecycle: bool, quiet: bool) -> None:
    """Scan an emulated AWS organization on this machine (no account needed) and write its reports."""
    from scanner.demo import run_demo
    from scanner.demo_lifecycle import DEFAULT_OUT, run_lifecycle

    try:
        if not lifecycle:
            run_demo(out or Path("shadowsweep-demo"), quiet=quiet)
        elif not run_lifecycle(out or DEFAULT_OUT, quiet=quiet).closed:
            raise click.ClickException("the lifecycle loop did not close; the reports under --out say why")
    except PluginError as exc:
        fail_input(str(exc))


@main.group()
def registry() -> None:
    """Work with the agent registry."""


@registry.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
def registry_validate(path: Path) -> None:
    """Check a registry file or directory; every error names its file, line and field."""
    from scanner.registry import load_registry

    try:
        loaded = load_registry(path)
    except (RegistryErrors, InputError) as exc:
        fail_input(str(exc))
    click.echo(f"{path}: {len(loaded)} agent records, valid")


@main.command("connectors")
def list_connectors() -> None:
    """Installed connectors, their extras, status and the permissions they need."""
    from scanner.plugins import connector_names, load_connector_class

    for name in connector_names():
        try:
            cls = load_connector_class(name)
        except ShadowsweepError as exc:
            click.echo(f"{name}: not usable: {exc}")
            continue
        click.echo(f"{name}: ready (extra: {cls.extra})")
        for permission in cls.permissions:
            click.echo(f"    {permission}")


def _load_report(path: Path) -> dict[str, Any]:
    """A saved report.json, checked against the shipped schema so bad input fails clearly."""
    import json

    import jsonschema

    from reports.schema_loader import load_report_schema

    try:
        report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail_input(f"{path}: cannot read a report: {exc}")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(load_report_schema()).iter_errors(report))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        fail_input(f"{path}: {where}: {error.message}")
    return report


@main.command()
@click.argument("report_path", metavar="REPORT.json", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "formats", required=True, help="Comma-separated formats, e.g. ocsf,html.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("."), show_default=True)
def render(report_path: Path, formats: str, out: Path) -> None:
    """Re-render a saved report offline, in other formats."""
    from scanner.output import write_reports
    from scanner.plugins import load_renderer

    chosen = _formats(formats) or ()
    try:
        for name in chosen:
            load_renderer(name)
    except PluginError as exc:
        fail_input(str(exc))
    for path in write_reports(_load_report(report_path), out, chosen):
        click.echo(f"wrote {path}")


@main.command()
@click.argument("old", metavar="OLD.json", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("new", metavar="NEW.json", type=click.Path(path_type=Path, dir_okay=False))
def diff(old: Path, new: Path) -> None:
    """What changed between two reports: new, persisting, resolved (scope read completely) and unverified."""
    from scanner.delta import diff as compute
    from scanner.summary import format_diff

    click.echo(format_diff(compute(_load_report(old), _load_report(new))))


@main.command()
@click.option("-c", "--config", type=click.Path(path_type=Path, dir_okay=False), help="TOML config file.")
@click.option("--state", type=click.Path(path_type=Path, dir_okay=False), help="The SQLite history.")
@click.option("--agent", "agent", help="One agent's lifecycle: a registry id, identity uid or native id.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="No state store: what this report knows of --agent (default: [scan] out/report.json, if it exists).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def history(config: Path | None, state: Path | None, agent: str | None, report_path: Path | None, fmt: str) -> None:
    """Past scans with their counts, or one agent's lifecycle: first seen, registered, retired, closed."""
    import json

    from scanner.agent_history import AgentHistory, from_report
    from scanner.state import StateStore
    from scanner.summary import format_agent_history, format_history

    def show(history: AgentHistory) -> None:
        click.echo(json.dumps(history.as_dict(), indent=2) if fmt == "json" else format_agent_history(history))

    try:
        scan_settings = _load_settings(config).scan
    except InputError as exc:
        fail_input(str(exc))
    if report_path is not None and (state is not None or agent is None):
        fail_input("--report reads one report instead of a state store: pass it with --agent ID, without --state")
    state = None if report_path else state or scan_settings.state
    default_report = scan_settings.out / "report.json"
    if agent and state is None and (report_path or default_report.exists()):
        report_path = report_path or default_report
        try:
            show(from_report(_load_report(report_path), agent, str(report_path)))
        except ValueError as exc:
            fail_input(str(exc))
        return
    if state is None or not state.exists():
        where = f" at {state}" if state else ""
        fail_input(f"no state store{where}: pass --state PATH or set [scan] state (or --agent ID --report REPORT.json)")
    store = StateStore(state)
    try:
        if agent:
            show(store.agent_history(agent))
        else:
            click.echo(json.dumps(store.history(), indent=2) if fmt == "json" else format_history(store.history()))
    except ValueError as exc:
        fail_input(str(exc))
    finally:
        store.close()


@registry.command("suggest")
@click.argument("report_path", metavar="REPORT.json", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--finding", "findings", multiple=True, help="Only these unregistered-agent findings (repeatable).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write the entries here (else stdout).")
def registry_suggest(report_path: Path, findings: tuple[str, ...], out: Path | None) -> None:
    """Registry entries for the unregistered agents of a report; fill in the owners, then merge them."""
    from scanner.output import write_atomic
    from scanner.suggest import dump, suggest

    report = _load_report(report_path)
    try:
        document = suggest(report, findings)
    except ValueError as exc:
        fail_input(str(exc))
    text = dump(document, [f"{report_path} (scan {report['scan']['id']})"])
    if out is None:
        click.echo(text, nl=False)
        return
    write_atomic(out, text.encode("utf-8"), mode=0o644)
    click.echo(f"wrote {len(document['agents'])} suggested entries to {out}", err=True)


@main.command()
@click.argument("report_path", metavar="REPORT.json", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--agent", "agents", multiple=True, help="Also plan this shadow agent (registry id, uid or native id).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sh"]), default="text", show_default=True)
def offboard(report_path: Path, agents: tuple[str, ...], fmt: str) -> None:
    """A dry-run revocation plan for retired and expired agents; shadowsweep itself never calls a write API."""
    from scanner.offboard import plan, render_json, render_sh, render_text

    try:
        plans = plan(_load_report(report_path), agents)
    except ValueError as exc:
        fail_input(str(exc))
    render = {"text": render_text, "json": render_json, "sh": render_sh}[fmt]
    click.echo(render(plans), nl=False)
