"""`offboard`: a dry-run revocation plan for retired, expired or named agents; shadowsweep itself never runs it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scanner import offboard_aws, offboard_entra, offboard_gcp
from scanner.offboard_model import AgentPlan, Built, Draft, Facts, Step, shown
from scanner.offboard_render import render_json, render_sh, render_text

__all__ = ["AgentPlan", "Step", "plan", "render_json", "render_sh", "render_text"]

OFFBOARD_RULES = frozenset({"retired-agent-active", "expired-agent-registration", "unregistered-agent"})
TOPIC_RULES = {
    "identity": frozenset(),
    "credential": frozenset({"long-lived-agent-credential", "stale-agent-credential"}),
    "grant": frozenset({"agent-scope-drift", "agent-privilege-path"}),
    "trust": frozenset({"unconstrained-federation", "agent-privilege-path"}),
}
BUILDERS: dict[str, Callable[[Facts], Built]] = {
    "aws": offboard_aws.build,
    "entra": offboard_entra.build,
    "gcp": offboard_gcp.build,
}


@dataclass(frozen=True)
class _Index:
    """The report looked up by every id an operator or a registry record may use."""

    report: Mapping[str, Any]
    identities: dict[str, Mapping[str, Any]]  # by uid
    keys: dict[str, str]  # uid or native id -> identity uid
    records: dict[str, Mapping[str, Any]]  # by registry id

    def facts(self, uid: str) -> Facts:
        """The identity with the credentials and grants whose owner is any of its ids."""
        identity = self.identities[uid]
        names = {uid, *(str(n) for n in identity.get("native_ids") or ())}
        listed = set(identity.get("credentials") or ())
        creds = [
            c for c in self.report.get("credentials") or () if c.get("identity_uid") in names or c["uid"] in listed
        ]
        grants = [g for g in self.report.get("grants") or () if g.get("subject_uid") in names]
        return Facts(identity=identity, credentials=tuple(creds), grants=tuple(grants))


def _index(report: Mapping[str, Any]) -> _Index:
    identities = {str(i["uid"]): i for i in report.get("identities") or ()}
    keys: dict[str, str] = {}
    for uid, identity in identities.items():
        for native in identity.get("native_ids") or ():
            keys.setdefault(str(native), uid)
    keys.update({uid: uid for uid in identities})  # a uid always wins over someone's native id
    records = {str(r["id"]): r for r in report.get("registry_records") or ()}
    return _Index(report=report, identities=identities, keys=keys, records=records)


def _motivates(finding: Mapping[str, Any], uid: str, record: str | None, topic: str) -> bool:
    rule, who = finding.get("rule"), finding.get("identity_uid")
    if rule in OFFBOARD_RULES:
        return who == uid or bool(record and not who and finding.get("registry_id") == record)
    return rule in TOPIC_RULES[topic] and who == uid


def _finding_ids(index: _Index, uid: str, record: str | None, topic: str) -> tuple[str, ...]:
    """The findings that motivate a step: the identity's offboarding findings, then those about the step's topic."""
    found = [f for f in index.report.get("findings") or () if _motivates(f, uid, record, topic)]
    found.sort(key=lambda f: f.get("rule") not in OFFBOARD_RULES)
    return tuple(dict.fromkeys(str(f["id"]) for f in found))


def _drafts(index: _Index, uid: str) -> tuple[list[tuple[str, Draft]], list[str]]:
    """The provider's steps for one identity; a command with an unprintable argument is refused as a last guard."""
    facts = index.facts(uid)
    builder = BUILDERS.get(str(facts.identity.get("provider")))
    if builder is None:
        return [], [f"{uid}: shadowsweep has no offboarding recipe for provider {facts.identity.get('provider')}"]
    built = builder(facts)
    kept = [d for d in built.drafts if all(arg.isprintable() for arg in d.argv)]
    refused = [
        f"{d.action} {shown(d.target)}: an argument holds control characters; do it by hand"
        for d in built.drafts
        if d not in kept
    ]
    return [(uid, d) for d in kept], built.missing + refused


def _steps(index: _Index, uids: Sequence[str], record: str | None) -> tuple[tuple[Step, ...], list[str]]:
    """Every identity's steps, access cut first: a stable sort keeps each provider's own order within each half."""
    drafts: list[tuple[str, Draft]] = []
    missing: list[str] = []
    for uid in uids:
        more, notes = _drafts(index, uid)
        drafts += more
        missing += notes
    drafts.sort(key=lambda pair: not pair[1].cuts_access)
    steps = tuple(
        Step(
            order=n,
            provider=str(index.identities[uid].get("provider")),
            action=d.action,
            target=d.target,
            reason=d.reason,
            finding_ids=_finding_ids(index, uid, record, d.topic),
            argv=d.argv,
            cuts_access=d.cuts_access,
        )
        for n, (uid, d) in enumerate(drafts, start=1)
    )
    return steps, missing


def _scan_day(report: Mapping[str, Any]) -> str:
    scan = report.get("scan") or {}
    return str(scan.get("started_at") or scan.get("finished_at") or "")[:10]


def _flagged(report: Mapping[str, Any], rule: str) -> set[str]:
    return {str(f.get("registry_id")) for f in report.get("findings") or () if f.get("rule") == rule}


def _lapsed(report: Mapping[str, Any], record: Mapping[str, Any]) -> str | None:
    """Why a record must be offboarded: retired, or past its time-box on the day of the scan; None when it is not."""
    rid, expires, day = str(record.get("id")), str(record.get("expires") or "")[:10], _scan_day(report)
    if record.get("status") == "retired" or rid in _flagged(report, "retired-agent-active"):
        return f"registry record {rid} is retired (retired on {record.get('retired_on') or 'an unrecorded date'})"
    if (expires and day and expires < day) or rid in _flagged(report, "expired-agent-registration"):
        return f"registry record {rid} expired on {expires or 'a date the report does not hold'}"
    return None


def _record_identities(index: _Index, record: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    rid = str(record.get("id"))
    uids = [uid for uid, i in index.identities.items() if i.get("registry_id") == rid]
    missing = []
    for name in record.get("identities") or ():
        uid = index.keys.get(str(name))
        if uid is None:
            missing.append(f"record {rid} names {shown(str(name))}, which this scan did not find: confirm it is gone")
        elif uid not in uids:
            uids.append(uid)
    return uids, missing


def _record_plan(index: _Index, record: Mapping[str, Any], why: str) -> AgentPlan:
    rid = str(record.get("id"))
    uids, missing = _record_identities(index, record)
    steps, notes = _steps(index, uids, rid)
    return AgentPlan(agent=rid, why=why, identities=tuple(uids), steps=steps, missing=tuple(missing + notes))


def _identity_plan(index: _Index, uid: str, name: str) -> AgentPlan:
    identity = index.identities[uid]
    findings = index.report.get("findings") or ()
    flags = [
        f"{f['rule']} ({f['id']})" for f in findings if f.get("identity_uid") == uid and f["rule"] in OFFBOARD_RULES
    ]
    why = f"named on the command line as {shown(name)}"
    if identity.get("registry_id"):
        why += f"; registered as {identity['registry_id']}"
    why += f"; flagged {', '.join(flags)}" if flags else "; no offboarding finding flags it"
    steps, notes = _steps(index, [uid], None)
    return AgentPlan(agent=uid, why=why, identities=(uid,), steps=steps, missing=tuple(notes))


def _named(index: _Index, names: Iterable[str], planned: set[str], covered: set[str]) -> list[AgentPlan]:
    """Plans for the agents named on the command line; an unknown name is an error that names it."""
    plans = []
    for name in names:
        if name in index.records:
            if name not in planned:
                planned.add(name)
                plans.append(_record_plan(index, index.records[name], f"named on the command line as {shown(name)}"))
            continue
        uid = index.keys.get(name)
        if uid is None:
            raise ValueError(
                f"unknown agent {shown(name)}: not a registry id, identity uid or native id in this report"
            )
        if uid not in covered:
            covered.add(uid)
            plans.append(_identity_plan(index, uid, name))
    return plans


def plan(report: Mapping[str, Any], agents: Sequence[str] = ()) -> list[AgentPlan]:
    """Plans for every retired or expired agent, then for each agent named by registry id, identity uid or native id."""
    index = _index(report)
    plans = []
    for record in index.records.values():
        why = _lapsed(report, record)
        if why is not None:
            plans.append(_record_plan(index, record, why))
    planned = {p.agent for p in plans}
    covered = {uid for p in plans for uid in p.identities}
    return plans + _named(index, agents, planned, covered)
