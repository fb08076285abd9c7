"""One agent's audit trail for `history --agent`: derived from the state store's scans, or from one report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scanner.offboard_model import shown

if TYPE_CHECKING:
    from scanner.state import StateStore

FIRST, REGISTRY, CHANGE, FINDING = range(4)  # the order of the events of one scan
SHOWN_ITEMS = 5  # remaining items quoted in one line; JSON carries them all
FACTS = ("status", "owner", "expires", "retired_on", "provenance")
CHANGES = (("owner", "owner-changed"), ("expires", "expiry-changed"), ("provenance", "provenance-changed"))
STATUS_EVENTS = {"retired": "retired", "suspended": "suspended", "active": "reactivated"}

Change = tuple[str, str, int, dict[str, Any]]  # event, detail, rank, data


@dataclass(frozen=True, kw_only=True)
class Event:
    """One line of the audit trail: when, what happened, and the facts behind it."""

    at: str  # RFC 3339 of the scan that saw it, or a date the registry record states
    event: str
    detail: str
    scan_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    rank: int = CHANGE

    def as_dict(self) -> dict[str, Any]:
        """The event as data, for auditors' tooling."""
        return {"at": self.at, "event": self.event, "detail": self.detail, "scan_id": self.scan_id, **self.data}


@dataclass(frozen=True, kw_only=True)
class AgentHistory:
    """Who the agent is, how the ID given resolved, where the facts come from, and what happened, in order."""

    query: str
    subject: str  # the registry id, or the uid of an identity that was never registered
    registry_id: str | None
    resolved_by: str  # "registry id", "identity uid" or "native id"
    source: Mapping[str, Any]  # kind "state" (path, scans) or "report" (path, scan_id, finished_at)
    identities: list[dict[str, Any]]
    events: list[Event]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The whole history as data (`--format json`)."""
        data = {key: getattr(self, key) for key in ("query", "registry_id", "resolved_by", "identities", "notes")}
        return {
            "agent": self.subject,
            **data,
            "source": dict(self.source),
            "events": [e.as_dict() for e in self.events],
        }


def _choose(agent: str, records: set[str], uids: Sequence[str], where: str) -> tuple[str, str | None]:
    """(subject, registry id): the one record the ID leads to, else the one identity; anything else is an error."""
    if len(records) > 1:
        raise ValueError(
            f"ambiguous agent {shown(agent)}: it leads to registry records {', '.join(sorted(records))} in {where}; "
            "pass one registry id"
        )
    if records:
        (registry_id,) = records
        return registry_id, registry_id
    if len(uids) > 1:
        raise ValueError(f"ambiguous agent {shown(agent)}: identities {', '.join(uids)} in {where} carry it")
    if uids:
        return uids[0], None
    raise ValueError(f"unknown agent {shown(agent)}: not a registry id, identity uid or native id in {where}")


def _items(items: Sequence[str]) -> str:
    shown_items = "; ".join(items[:SHOWN_ITEMS])
    return shown_items + (f"; and {len(items) - SHOWN_ITEMS} more" if len(items) > SHOWN_ITEMS else "")


def _facts(record: Mapping[str, Any]) -> dict[str, Any]:
    return {key: record.get(key) for key in FACTS}


def _describe(record: Mapping[str, Any]) -> str:
    text = f"{record.get('provenance') or 'file'} record, status {record.get('status')}, owner {record.get('owner')}"
    return text + (f", expires {record['expires']}" if record.get("expires") else "")


def _closure_event(closure: Mapping[str, Any], reopened: bool) -> tuple[str, str]:
    """The event for an offboarding state: closed, incomplete (or reopened, live again after closing), unverified."""
    status = closure.get("status")
    if status == "complete":
        return "closed", "offboarding complete: nothing live remains where it was scanned"
    if status == "incomplete":
        remaining = list(closure.get("remaining") or ())
        detail = f"{len(remaining)} remaining: {_items(remaining)}"
        return (
            ("reopened", f"live again after it was closed: {detail}")
            if reopened
            else ("offboarding-incomplete", detail)
        )
    return "offboarding-unverified", f"cannot confirm: {_items(list(closure.get('unverified') or ()))}"


def _first_seen(identities: Sequence[Mapping[str, Any]], shadow_at: Mapping[str, str]) -> list[Event]:
    """The earliest sighting of any of its identities, and whether it was a shadow agent then."""
    seen = [i for i in identities if i.get("first_seen")]
    if not seen:
        return []
    first = min(seen, key=lambda i: (i["first_seen"], i["uid"]))
    shadow = shadow_at.get(first["uid"]) == first["first_seen"]
    detail = f"{first.get('name') or first['uid']} ({first['uid']})"
    detail += ": a shadow agent, in no registry record" if shadow else ""
    data = {"identity_uid": first["uid"], "shadow": shadow}
    return [Event(at=first["first_seen"], event="first-seen", detail=detail, rank=FIRST, data=data)]


def _finding(item: Mapping[str, Any], at: str, scan_id: str) -> Event:
    data = {k: item.get(k) for k in ("rule", "delta", "status", "severity", "identity_uid")}
    data["finding_id"] = item.get("finding_id") or item.get("id")
    detail = f"{data['delta'] or '-'} {data['status']} {data['severity']} {data['rule']}"
    return Event(at=at, event="finding", detail=detail, scan_id=scan_id, rank=FINDING, data=data)


def _changes(prev: Mapping[str, Any], cur: Mapping[str, Any]) -> list[Change]:
    """Owner, expiry, provenance and identities that differ from the previous scan's record."""
    out: list[Change] = []
    for key, event in CHANGES:
        if prev.get(key) != cur.get(key):
            detail = f"{key} {prev.get(key) or 'none'} -> {cur.get(key) or 'none'}"
            out.append((event, detail, CHANGE, {key: cur.get(key), f"previous_{key}": prev.get(key)}))
    added = sorted(set(cur.get("identities") or ()) - set(prev.get("identities") or ()))
    gone = sorted(set(prev.get("identities") or ()) - set(cur.get("identities") or ()))
    if added or gone:
        detail = f"identities added {', '.join(added) or 'none'}; removed {', '.join(gone) or 'none'}"
        out.append(("identities-changed", detail, CHANGE, {"added": added, "removed": gone}))
    return out


@dataclass
class _Walk:
    """What the walk through the scans remembers from one scan to the next."""

    prev: Mapping[str, Any] | None = None
    registered: bool = False
    untracked: int = 0  # scans before record tracking (an upgraded store), while it was not yet seen registered
    closed: bool = False
    expired_for: str | None = None

    def step(self, day: str, cur: Mapping[str, Any] | None) -> list[Change]:
        """The events one scan adds, given the record as that scan saw it (None: not in its registry)."""
        prev, self.prev = self.prev, cur
        if cur is None:
            return [("removed", "the record is no longer in the registry", CHANGE, {})] if prev is not None else []
        out: list[Change] = []
        if prev is None:
            detail = ("again: " if self.registered else "") + _describe(cur)
            if self.untracked and not self.registered:
                detail += f"; the {self.untracked} earlier scans predate record tracking, so it may be older"
            out.append(("registered", detail, REGISTRY, _facts(cur)))
            self.registered = True
        old, new = (prev or {}).get("status"), cur.get("status")
        if old != new and (old is not None or new != "active"):
            detail = f"status {old} -> {new}" if old else f"registered as {new}"
            detail += f", retired on {cur['retired_on']}" if new == "retired" and cur.get("retired_on") else ""
            out.append((STATUS_EVENTS.get(str(new), "status-changed"), detail, CHANGE, {"status": new}))
        out += _changes(prev, cur) if prev is not None else []
        expires = cur.get("expires")
        if expires and day > expires and self.expired_for != expires:
            self.expired_for = expires
            out.append(("expired", f"its time-box ended on {expires}", CHANGE, {"expires": expires}))
        return out + self._closure(prev, cur)

    def _closure(self, prev: Mapping[str, Any] | None, cur: Mapping[str, Any]) -> list[Change]:
        before, now = (prev or {}).get("offboarding") or {}, cur.get("offboarding") or {}
        if before.get("status") == now.get("status"):
            return []
        if not now:  # no longer to be offboarded: reactivated, or its time-box extended
            reopened, self.closed = self.closed, False
            detail = f"the record is {cur.get('status')} again after it was closed"
            return [("reopened", detail, CHANGE, {"offboarding": None})] if reopened else []
        event, detail = _closure_event(now, self.closed and now["status"] == "incomplete")
        self.closed = now["status"] == "complete" or (self.closed and now["status"] == "unverified")
        return [(event, detail, CHANGE, {"offboarding": now["status"], "remaining": list(now.get("remaining") or ())})]


def _record_events(scans: Iterable[tuple[str, str, str, bool]], states: Mapping[str, Any]) -> list[Event]:
    """Registered, status, owner and expiry changes, expiry and offboarding, from one scan to the next."""
    walk, events = _Walk(), []
    for scan_id, started, finished, kept in scans:
        if not kept:
            walk.untracked += 0 if walk.registered else 1
            continue
        for event, detail, rank, data in walk.step(started[:10], states.get(scan_id)):
            events.append(Event(at=finished, event=event, detail=detail, scan_id=scan_id, rank=rank, data=data))
    return events


def from_store(store: StateStore, agent: str) -> AgentHistory:
    """The lifecycle derived from every scan in the store, with each sighting of a finding about the agent."""
    where = f"state store {store.path}"
    registry_id: str | None
    if store.knows_record(agent):
        subject, registry_id, how = agent, agent, "registry id"
    else:
        named = store.identities_named(agent)
        records = store.records_naming(agent).union(*(store.records_naming(uid) for uid in named))
        subject, registry_id = _choose(agent, records, named, where)
        how = "identity uid" if agent in named else "native id"
    scans = store.scan_times()
    states = store.record_states(registry_id) if registry_id else {}
    uids = {u for s in states.values() for u in s["uids"]} if registry_id else {subject}
    if registry_id:  # also identities matched before record tracking: as last seen, and in the record's findings
        uids |= {i["uid"] for i in store.identities((), registry_id)}
        uids |= {s["identity_uid"] for s in store.sightings(registry_id, ()) if s["identity_uid"]}
    identities = store.identities(uids, registry_id)
    sightings = [s for s in store.sightings(registry_id, uids) if s["registry_id"] in (registry_id, None)]
    shadow_at: dict[str, str] = {}
    for s in sightings:
        if s["rule"] == "unregistered-agent" and s["identity_uid"]:
            shadow_at.setdefault(s["identity_uid"], s["at"])
    events = _first_seen(identities, shadow_at) + _record_events(scans, states)
    events += [_finding(s, s["at"], s["scan_id"]) for s in sightings]
    untracked = sum(1 for *_, kept in scans if not kept)
    notes = [f"{untracked} earlier scans predate record tracking (the store was upgraded)"] if untracked else []
    return AgentHistory(
        query=agent,
        subject=subject,
        registry_id=registry_id,
        resolved_by=how,
        source={"kind": "state", "path": str(store.path), "scans": len(scans)},
        identities=identities,
        events=sorted(events, key=lambda e: (e.at, e.rank)),
        notes=notes,
    )


def _record_now(record: Mapping[str, Any], at: str, scan_id: str, day: str) -> list[Event]:
    """A record as one report states it: its dates are the registry's word, its closure the scan's."""
    events = [Event(at=at, event="registry-record", detail=_describe(record), scan_id=scan_id, data=_facts(record))]
    status, expires = record.get("status"), record.get("expires")
    if status == "retired":
        when = record.get("retired_on") or at
        events.append(Event(at=when, event="retired", detail="retired, per the registry record", data=_facts(record)))
    elif status == "suspended":
        events.append(Event(at=at, event="suspended", detail="suspended, per the registry record", scan_id=scan_id))
    if expires and day > expires:
        events.append(Event(at=expires, event="expired", detail="its time-box ended, per the registry record"))
    closure = record.get("offboarding")
    if closure:
        event, detail = _closure_event(closure, reopened=False)
        data = {"offboarding": closure.get("status"), "remaining": list(closure.get("remaining") or ())}
        events.append(Event(at=at, event=event, detail=detail, scan_id=scan_id, data=data))
    return events


def from_report(report: Mapping[str, Any], agent: str, path: str) -> AgentHistory:
    """What one report knows of the agent, when there is no state store: first seen, record, closure, findings."""
    where = f"report {path}"
    records = {str(r["id"]): r for r in report.get("registry_records") or ()}
    idents = list(report.get("identities") or ())
    registry_id: str | None
    if agent in records:
        subject, registry_id, how = agent, agent, "registry id"
    else:
        named = {i["uid"]: i for i in idents if agent == i["uid"] or agent in (i.get("native_ids") or ())}
        keys = {agent, *named, *(n for i in named.values() for n in i.get("native_ids") or ())}
        chosen = {rid for rid, r in records.items() if keys & set(r.get("identities") or ())}
        chosen |= {i["registry_id"] for i in named.values() if i.get("registry_id")}
        subject, registry_id = _choose(agent, chosen, list(named), where)
        how = "identity uid" if agent in named else "native id"
    mine = [i for i in idents if i["uid"] == subject or (registry_id and i.get("registry_id") == registry_id)]
    uids = {i["uid"] for i in mine}
    findings = [
        f
        for f in report.get("findings") or ()
        if (registry_id and f.get("registry_id") == registry_id)
        or (f.get("identity_uid") in uids and f.get("registry_id") in (registry_id, None))
    ]
    scan = report["scan"]
    at, scan_id = scan["finished_at"], scan["id"]
    shadow_at = {f["identity_uid"]: at for f in findings if f["rule"] == "unregistered-agent" and f.get("identity_uid")}
    identities = [{k: i.get(k) for k in ("uid", "name", "first_seen", "native_ids")} for i in mine]
    events = _first_seen(identities, shadow_at)
    day = str(scan.get("started_at") or at)[:10]
    events += _record_now(records.get(registry_id) or {}, at, scan_id, day) if registry_id else []
    events += [_finding(f, at, scan_id) for f in findings]
    notes = (
        [] if any(i.get("first_seen") for i in mine) else ["no first_seen: the report was made without a state store"]
    )
    return AgentHistory(
        query=agent,
        subject=subject,
        registry_id=registry_id,
        resolved_by=how,
        source={"kind": "report", "path": path, "scan_id": scan_id, "finished_at": at},
        identities=identities,
        events=sorted(events, key=lambda e: (e.at, e.rank)),
        notes=notes,
    )
