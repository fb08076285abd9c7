"""Access keys listed while GAAD pages: users from the report first, newer users after, deleted users no gap."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from connectors.aws.account import AccountCollector
from connectors.aws.normalize import ReportRow, user_uid

ACCOUNT = "111122223333"
CREATED = datetime(2026, 1, 5, tzinfo=UTC)


def arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


class FakeIam:
    """ListAccessKeys only: one key per user it knows, NoSuchEntity or AccessDenied for the others."""

    def __init__(self, existing: set[str], denied: frozenset[str] = frozenset()) -> None:
        self.existing, self.denied = existing, denied
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def list_access_keys(self, UserName: str) -> dict[str, Any]:  # noqa: N803  boto3's own spelling
        with self._lock:
            self.calls.append(UserName)
        if UserName in self.denied:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListAccessKeys")
        if UserName not in self.existing:
            raise ClientError({"Error": {"Code": "NoSuchEntity", "Message": "gone"}}, "ListAccessKeys")
        key = {"AccessKeyId": f"AKIA{UserName.upper():0<16}"[:20], "Status": "Active", "CreateDate": CREATED}
        return {"AccessKeyMetadata": [key]}


def row(with_key: bool) -> ReportRow:
    return ReportRow(
        password_enabled=False, password_last_used=None, keys=((with_key, CREATED if with_key else None, None, ""),)
    )


def collect(iam: FakeIam, report: dict[str, ReportRow], gaad: list[str]) -> tuple[list[str], AccountCollector]:
    collector = AccountCollector(account=ACCOUNT, partition="aws", clients=None, regions=())  # type: ignore[arg-type]
    early_users = [{"UserName": a.rsplit("/", 1)[-1], "Arn": a} for a, r in report.items() if r.has_keys]
    listed = collector._list_all_keys(iam, early_users)
    users = [{"UserName": name, "Arn": arn(name)} for name in gaad]
    creds = list(collector._access_keys(iam, users, report, listed))
    return [c.identity_uid for c in creds], collector


def test_report_users_listed_early_newer_users_after_and_keyless_users_never() -> None:
    iam = FakeIam({"alice", "carol", "dave"})
    report = {arn("alice"): row(True), arn("dave"): row(False)}
    owners, collector = collect(iam, report, ["alice", "carol", "dave"])
    assert owners == [user_uid(arn("alice")), user_uid(arn("carol"))]  # carol is newer than the report
    assert sorted(iam.calls) == ["alice", "carol"]  # dave has no key; nobody is listed twice
    assert collector.gaps == []


def test_a_user_deleted_between_the_report_and_gaad_is_no_gap_but_a_denied_one_is() -> None:
    iam = FakeIam({"alice", "erin"}, denied=frozenset({"erin"}))
    report = {arn("alice"): row(True), arn("bob"): row(True), arn("erin"): row(True)}
    owners, collector = collect(iam, report, ["alice", "erin"])  # bob is gone from GAAD
    assert owners == [user_uid(arn("alice"))]
    kept = [g for g in collector.gaps if not collector._gone(g)]
    assert [(g.resource, g.subject_uid, g.reason.value) for g in kept] == [
        ("iam:ListAccessKeys", user_uid(arn("erin")), "denied")
    ]
