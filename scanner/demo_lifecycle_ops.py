"""The lifecycle demo's moves: read the reports, edit the registry as a person would, run a plan on the emulators."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from scanner.offboard import plan
from scanner.output import write_atomic
from scanner.suggest import OWNER_PLACEHOLDER, PURPOSE_PLACEHOLDER

if TYPE_CHECKING:
    from scanner.demo import Estate

Report = Mapping[str, Any]


def failing(report: Report, rule: str) -> list[Mapping[str, Any]]:
    """The report's failing findings of one rule, in report order."""
    return [
        f for f in report["findings"] if f["rule"] == rule and f["status"] == "fail" and f.get("delta") != "resolved"
    ]


def shadow_agents(report: Report) -> list[Mapping[str, Any]]:
    """The identities behind the unregistered-agent findings: the shadow agents."""
    by_uid = {i["uid"]: i for i in report["identities"]}
    return [by_uid[f["identity_uid"]] for f in failing(report, "unregistered-agent") if f["identity_uid"] in by_uid]


def live_credentials(report: Report, identity: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The identity's credentials that still work: what a retired agent must lose."""
    held = set(identity.get("credentials") or ())
    return [c for c in report["credentials"] if c["uid"] in held and c.get("active")]


def accountable_person(report: Report) -> str:
    """An enabled person of the scanned directory who already owns an agent: whom the demo's reviewer names."""
    people = {
        str(n)
        for i in report["identities"]
        if i["kind"] == "user" and i.get("enabled")
        for n in i.get("native_ids") or ()
        if "@" in str(n)
    }
    owners = [str(r["owner"]) for r in report["registry_records"] if r.get("status") == "active"]
    return next((o for o in owners if o in people), min(people, default="owner@example.com"))


def fill_in(document: Mapping[str, Any], owner: str) -> dict[str, Any]:
    """What the reviewing person does: name an owner and a purpose wherever the suggestion left a placeholder."""
    agents = []
    for entry in document["agents"]:
        filled = dict(entry)
        if filled["owner"] == OWNER_PLACEHOLDER:
            filled["owner"] = owner
        if filled["purpose"] == PURPOSE_PLACEHOLDER:
            filled["purpose"] = f"{filled['id']}: kept after review in the lifecycle demo"
        agents.append(filled)
    return {**document, "agents": agents}


def _save(path: Path, document: Mapping[str, Any], header: str) -> None:
    text = header + yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=100)
    write_atomic(path, text.encode("utf-8"), mode=0o644)


def merge(registry: Path, entries: Sequence[Mapping[str, Any]]) -> None:
    """Append reviewed entries to the registry file, as the pull request that registers them would."""
    document = yaml.safe_load(registry.read_text(encoding="utf-8"))
    document["agents"] = [*document["agents"], *entries]
    _save(registry, document, "# Demo registry: the sample records, then the entries registered in stage 3.\n")


def retire(registry: Path, ids: Iterable[str], today: date) -> None:
    """Mark records retired today, as the owner does when an agent is decommissioned."""
    wanted = set(ids)
    document = yaml.safe_load(registry.read_text(encoding="utf-8"))
    for record in document["agents"]:
        if record["id"] in wanted:
            record.update(status="retired", retired_on=today)
    _save(registry, document, f"# Demo registry: {', '.join(sorted(wanted))} retired in stage 4.\n")


def to_retire(report: Report, new_ids: Sequence[str]) -> list[str]:
    """Per provider, the first newly registered agent that holds live credentials and has a complete plan."""
    plans = {p.agent: p for p in plan(report, new_ids)}
    chosen: dict[str, str] = {}
    for rid in new_ids:
        identities = [i for i in report["identities"] if i.get("registry_id") == rid]
        live = [c for i in identities for c in live_credentials(report, i)]
        found = plans.get(rid)
        if not identities or not live or found is None or not found.steps or found.missing:
            continue
        chosen.setdefault(str(identities[0]["provider"]), rid)
    return list(chosen.values())


def _aws_account(agent_plan: Mapping[str, Any], argv: Sequence[str]) -> str:
    """The account a planned `aws` command acts in: the plan's identity it names (by user or role name)."""
    arns = [str(u).split(":", 2)[2] for u in agent_plan["identities"] if str(u).startswith("aws:")]
    accounts = {arn.split(":")[4] for arn in arns}
    if len(accounts) == 1:
        return accounts.pop()
    names = {a.partition("=")[2] for a in argv if a.startswith(("--user-name=", "--role-name="))}
    named = {arn.split(":")[4] for arn in arns if arn.rsplit("/", 1)[-1] in names}
    if len(named) != 1:
        raise ValueError(f"plan {agent_plan['agent']}: cannot tell which AWS account `{' '.join(argv[:3])}` is for")
    return named.pop()


def apply_plan(estate: Estate, document: Mapping[str, Any]) -> dict[str, list[str]]:
    """Run every step of every plan with the emulators' own write APIs; returns the actions done, by agent."""
    from connectors.aws.emulator_apply import apply_aws, default_account
    from connectors.emulator_argv import UnknownCommand
    from connectors.entra.emulator_apply import apply_az
    from connectors.gcp.emulator_apply import apply_gcloud

    home = default_account(estate.aws)
    done: dict[str, list[str]] = {}
    for agent_plan in document["plans"]:
        for step in agent_plan["steps"]:
            argv = [str(a) for a in step["argv"]]
            if argv[0] == "aws":
                apply_aws(estate.aws, _aws_account(agent_plan, argv), argv, home=home)
            elif argv[0] == "az":
                apply_az(estate.tenant, argv)
            elif argv[0] == "gcloud":
                apply_gcloud(estate.gcp, argv)
            else:
                raise UnknownCommand(f"no emulator applies {argv[0]} commands")
            done.setdefault(str(agent_plan["agent"]), []).append(str(step["action"]))
    return done
