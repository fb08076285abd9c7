"""The SQLite state store: every scan's coverage and findings, first/last seen, under an exclusive lock."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from scanner.delta import annotate, seen
from scanner.errors import ShadowsweepError

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
                "INSERT OR REPLACE INTO identities VALUES (?, ?, ?, ?, ?)",
                (ident["uid"], ident["first_seen"], when, int(ident["agent"]["is_agent"]), ident.get("registry_id")),
            )

    def _scan(self, report: Mapping[str, Any]) -> None:
        scan = report["scan"]
        self.db.execute(
            "INSERT INTO scans VALUES (?, ?, ?, ?, ?)",
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

    def agent_history(self, registry_id: str) -> list[dict[str, Any]]:
        """Every sighting of findings about one registry record, scan by scan."""
        rows = self.db.execute(
            "SELECT s.finished_at, g.rule, g.delta, g.status, g.severity, g.identity_uid FROM sightings g "
            "JOIN scans s ON s.id = g.scan_id WHERE g.registry_id = ? ORDER BY s.finished_at, g.rule",
            (registry_id,),
        )
        keys = ("scan_finished_at", "rule", "delta", "status", "severity", "identity_uid")
        return [dict(zip(keys, r, strict=True)) for r in rows]
