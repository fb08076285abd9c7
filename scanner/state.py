"""The SQLite state store: every scan's coverage, findings and registry records, under an exclusive lock."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.delta import annotate, seen
from scanner.errors import ShadowsweepError

if TYPE_CHECKING:
    from scanner.agent_history import AgentHistory

SCHEMA = """
CREATE TABLE IF NOT EXISTS scans (
  id TEXT PRIMARY KEY, started_at TEXT, finished_at TEXT, complete INTEGER, summary TEXT);
CREATE TABLE IF NOT EXISTS coverage (
  scan_id TEXT, provider TEXT, scope TEXT, status TEXT, api_calls INTEGER, gaps INTEGER);
CREATE TABLE IF NOT EXISTS findings (
  id TEXT PRIMARY KEY, first_seen TEXT, last_seen TEXT, open INTEGER, data TEXT);
CREATE TABLE IF NOT EXISTS sightings (
  scan_id TEXT, finding_id TEXT, delta TEXT, status TEXT, severity TEXT, rule TEXT, registry_id TEXT,
  identity_uid TEXT);
CREATE TABLE IF NOT EXISTS identities (
  uid TEXT PRIMARY KEY, first_seen TEXT, last_seen TEXT, is_agent INTEGER, registry_id TEXT);
CREATE INDEX IF NOT EXISTS sightings_by_registry ON sightings (registry_id);
"""

# PRAGMA user_version: 0 is a store made before versioning (the tables above). Each step is applied once, in order.
SCHEMA_VERSION = 2
MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: (  # issue 7: each scan's registry records (the audit trail), identities' native ids for `history --agent`
        "CREATE TABLE IF NOT EXISTS record_states (scan_id TEXT, registry_id TEXT, status TEXT, expires TEXT, "
        "retired_on TEXT, owner TEXT, provenance TEXT, identities TEXT, uids TEXT, offboarding TEXT, closure TEXT)",
        "CREATE INDEX IF NOT EXISTS record_states_by_registry ON record_states (registry_id)",
        "CREATE INDEX IF NOT EXISTS sightings_by_identity ON sightings (identity_uid)",
        "ALTER TABLE identities ADD COLUMN native_ids TEXT",
        "ALTER TABLE identities ADD COLUMN name TEXT",
        "ALTER TABLE scans ADD COLUMN records_kept INTEGER",  # NULL: the scan predates record tracking
    ),
}


class StateLocked(ShadowsweepError):
    """Another run holds the state store."""


@contextlib.contextmanager
def locked(path: Path, *, wait: bool, poll: float = 0.2) -> Iterator[None]:
    """Exclusive for the whole scan: runs sharing a store never interleave; without `wait` a second one fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    raise StateLocked(f"{path}: another scan is using this state store (use --wait to queue)") from None
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)


class StateStore:
    """History of scans; it annotates each new report with deltas and first-seen times."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None)
        os.chmod(path, 0o600)
        self.db.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Bring a store made by an older version up to date in one transaction; a newer one is left as it is."""
        if self._version() >= SCHEMA_VERSION:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            version = self._version()  # another process may have migrated it meanwhile
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS.get(step, ()):
                    self.db.execute(statement)
            self.db.execute(f"PRAGMA user_version = {max(version, SCHEMA_VERSION)}")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def open_findings(self) -> dict[str, dict[str, Any]]:
        """Findings not yet resolved, as last reported."""
        rows = self.db.execute("SELECT data FROM findings WHERE open = 1").fetchall()
        return {f["id"]: f for f in (json.loads(r[0]) for r in rows)}

    def record(self, report: dict[str, Any]) -> dict[str, Any]:
        """Annotate the report with deltas and first/last seen, and store the scan, in one transaction."""
        annotate(report, self.open_findings())
        when = report["scan"]["finished_at"]
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._findings(report, when)
            self._identities(report, when)
            self._records(report)
            self._scan(report)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return report

    def _findings(self, report: dict[str, Any], when: str) -> None:
        observed = {f["id"] for f in seen(report["findings"])}
        for finding in report["findings"]:
            row = self.db.execute(
                "SELECT first_seen, last_seen FROM findings WHERE id = ?", (finding["id"],)
            ).fetchone()
            first = row[0] if row else when
            last = when if finding["id"] in observed else (row[1] if row else when)
            finding["first_seen"], finding["last_seen"] = first, last
            still_open = finding["delta"] != "resolved"
            data = json.dumps({k: v for k, v in finding.items() if k != "delta"})
            self.db.execute(
                "INSERT OR REPLACE INTO findings (id, first_seen, last_seen, open, data) VALUES (?, ?, ?, ?, ?)",
                (finding["id"], first, last, int(still_open), data),
            )
            self.db.execute(
                "INSERT INTO sightings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (report["scan"]["id"], finding["id"], finding["delta"], finding["status"], finding["severity"],
                 finding["rule"], finding.get("registry_id"), finding.get("identity_uid")),
            )  # fmt: skip

    def _identities(self, report: dict[str, Any], when: str) -> None:
        for ident in report["identities"]:
            row = self.db.execute("SELECT first_seen FROM identities WHERE uid = ?", (ident["uid"],)).fetchone()
            ident["first_seen"] = row[0] if row else when
            self.db.execute(
                "INSERT OR REPLACE INTO identities (uid, first_seen, last_seen, is_agent, registry_id, native_ids, "
                "name) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (ident["uid"], ident["first_seen"], when, int(ident["agent"]["is_agent"]), ident.get("registry_id"),
                 json.dumps(list(ident.get("native_ids") or ())), ident.get("name")),
            )  # fmt: skip

    def _records(self, report: Mapping[str, Any]) -> None:
        """Each registry record as this scan saw it, with its matched identities and offboarding state."""
        uids: dict[str, list[str]] = {}
        for ident in report["identities"]:
            if ident.get("registry_id"):
                uids.setdefault(ident["registry_id"], []).append(ident["uid"])
        for rec in report.get("registry_records") or ():
            closure = rec.get("offboarding")
            self.db.execute(
                "INSERT INTO record_states VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (report["scan"]["id"], rec["id"], rec.get("status"), rec.get("expires"), rec.get("retired_on"),
                 rec.get("owner"), rec.get("provenance") or "file", json.dumps(list(rec.get("identities") or ())),
                 json.dumps(sorted(uids.get(rec["id"], ()))), closure["status"] if closure else None,
                 json.dumps(closure) if closure else None),
            )  # fmt: skip

    def _scan(self, report: Mapping[str, Any]) -> None:
        scan = report["scan"]
        self.db.execute(
            "INSERT INTO scans (id, started_at, finished_at, complete, summary, records_kept) "
            "VALUES (?, ?, ?, ?, ?, 1)",
            (scan["id"], scan["started_at"], scan["finished_at"], int(scan["complete"]), json.dumps(report["summary"])),
        )
        for cov in scan["coverage"]:
            self.db.execute(
                "INSERT INTO coverage VALUES (?, ?, ?, ?, ?, ?)",
                (scan["id"], cov["provider"], cov["scope"], cov["status"], cov["api_calls"], len(cov["gaps"])),
            )

    def history(self) -> list[dict[str, Any]]:
        """Past scans, oldest first, with their counts."""
        rows = self.db.execute("SELECT id, started_at, finished_at, complete, summary FROM scans ORDER BY finished_at")
        return [
            {"id": r[0], "started_at": r[1], "finished_at": r[2], "complete": bool(r[3]), "summary": json.loads(r[4])}
            for r in rows
        ]

    def agent_history(self, agent: str) -> AgentHistory:
        """One agent's lifecycle events and finding sightings, by registry id, identity uid or native id."""
        from scanner.agent_history import from_store

        return from_store(self, agent)

    # Readers for scanner.agent_history: the SQL stays here, the meaning of the rows there.

    def scan_times(self) -> list[tuple[str, str, str, bool]]:
        """(id, started_at, finished_at, kept registry records) of every scan, oldest first."""
        rows = self.db.execute("SELECT id, started_at, finished_at, records_kept FROM scans ORDER BY finished_at")
        return [(r[0], r[1], r[2], bool(r[3])) for r in rows]

    def record_states(self, registry_id: str) -> dict[str, dict[str, Any]]:
        """One registry record as each scan that kept it saw it, by scan id."""
        rows = self.db.execute(
            "SELECT scan_id, status, expires, retired_on, owner, provenance, identities, uids, closure "
            "FROM record_states WHERE registry_id = ?",
            (registry_id,),
        )
        keys = ("status", "expires", "retired_on", "owner", "provenance")
        return {
            r[0]: {**dict(zip(keys, r[1:6], strict=True)), "identities": json.loads(r[6]), "uids": json.loads(r[7]),
                   "offboarding": json.loads(r[8]) if r[8] else None}
            for r in rows
        }  # fmt: skip

    def identities(self, uids: Iterable[str], registry_id: str | None = None) -> list[dict[str, Any]]:
        """What the store knows of these identities (and of those last matched to the record): sightings, names."""
        wanted = sorted(set(uids))
        rows = self.db.execute(
            f"SELECT uid, first_seen, last_seen, name, native_ids, registry_id FROM identities "
            f"WHERE registry_id = ? OR uid IN ({', '.join('?' * len(wanted))}) ORDER BY first_seen, uid",
            (registry_id, *wanted),
        )
        keys = ("uid", "first_seen", "last_seen", "name")
        return [{**dict(zip(keys, r[:4], strict=True)), "native_ids": json.loads(r[4] or "[]"), "registry_id": r[5]}
                for r in rows]  # fmt: skip

    def sightings(self, registry_id: str | None, uids: Iterable[str]) -> list[dict[str, Any]]:
        """Every sighting of a finding about this record or these identities, oldest first."""
        wanted = sorted(set(uids))
        rows = self.db.execute(
            "SELECT g.scan_id, s.finished_at, g.finding_id, g.rule, g.delta, g.status, g.severity, g.registry_id, "
            "g.identity_uid FROM sightings g JOIN scans s ON s.id = g.scan_id "
            f"WHERE g.registry_id = ? OR g.identity_uid IN ({', '.join('?' * len(wanted))}) "
            "ORDER BY s.finished_at, g.rule, g.identity_uid",
            (registry_id, *wanted),
        )
        keys = ("scan_id", "at", "finding_id", "rule", "delta", "status", "severity", "registry_id", "identity_uid")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def knows_record(self, registry_id: str) -> bool:
        """True when any scan kept this registry id, or any finding or identity was attributed to it."""
        query = (
            "SELECT 1 FROM record_states WHERE registry_id = ?1 UNION ALL "
            "SELECT 1 FROM sightings WHERE registry_id = ?1 UNION ALL "
            "SELECT 1 FROM identities WHERE registry_id = ?1 LIMIT 1"
        )
        return self.db.execute(query, (registry_id,)).fetchone() is not None

    def records_naming(self, identifier: str) -> set[str]:
        """Registry ids whose record listed or matched this identifier in any scan."""
        quoted = json.dumps(identifier)
        rows = self.db.execute(
            "SELECT DISTINCT registry_id, identities, uids FROM record_states "
            "WHERE instr(identities, ?1) > 0 OR instr(uids, ?1) > 0",
            (quoted,),
        )
        found = {r[0] for r in rows if identifier in json.loads(r[1]) or identifier in json.loads(r[2])}
        attributed = self.db.execute(
            "SELECT registry_id FROM identities WHERE uid = ?1 UNION SELECT registry_id FROM sightings "
            "WHERE identity_uid = ?1",
            (identifier,),
        )
        return found | {r[0] for r in attributed if r[0]}

    def identities_named(self, identifier: str) -> list[str]:
        """Uids of the identities whose uid or one of whose native ids is this identifier."""
        rows = self.db.execute(
            "SELECT uid, native_ids FROM identities WHERE uid = ?1 OR instr(native_ids, ?2) > 0 ORDER BY uid",
            (identifier, json.dumps(identifier)),
        )
        return [r[0] for r in rows if r[0] == identifier or identifier in json.loads(r[1] or "[]")]
