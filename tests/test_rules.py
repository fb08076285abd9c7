"""Every built-in rule, table-driven on hand-built records: fail, unknown and negative cases, and stable finding ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from builders import (
    ACCOUNT,
    OTHER_ACCOUNT,
    TODAY,
    access_key,
    account_trust,
    bedrock_api_key,
    boundary,
    days_ago,
    days_from_now,
    gap,
    grant,
    principal_trust,
    record,
    role,
    role_arn,
    run,
    scanned,
    service,
    user,
    user_arn,
)

from scanner.config import Severity
from scanner.coverage import Coverage, ScopeStatus
from scanner.graph import Relation
from scanner.model import Facet, Gap, GapReason, Record
from scanner.registry import AgentRecord
from scanner.rules import Status


@dataclass(frozen=True)
class Case:
    """One row of a rule table: records in, the statuses expected out, and what the evidence must (not) say."""

    records: list[Record]
    registry: list[AgentRecord] = field(default_factory=list)
    expect: tuple[str, ...] = ()  # statuses of the rule's findings, e.g. ("fail",); () for none
    severity: Severity | None = None
    evidence: tuple[str, ...] = ()  # substrings the findings' evidence must contain
    absent: tuple[str, ...] = ()  # substrings it must not contain


def check(rule_id: str, case: Case) -> list:
    result = run(case.records, case.registry)
    found = result.rule(rule_id)
    assert sorted(f.status.value for f in found) == sorted(case.expect), [(f.status, f.evidence) for f in found]
    text = "\n".join(line for f in found for line in f.evidence)
    for part in case.evidence:
        assert part in text, f"{part!r} not in:\n{text}"
    for part in case.absent:
        assert part not in text, f"{part!r} in:\n{text}"
    for f in found:
        assert f.rule == rule_id and f.title and f.remediation and f.evidence
        if case.severity is not None:
            assert f.severity is case.severity
    assert len({f.id for f in found}) == len(found), "finding ids collide"
    return found


SCAN = scanned()
BEDROCK = service("bedrock.amazonaws.com")
AGENT = role("invoice-agent", trusts=[BEDROCK])
NAME_ONLY = role("agent-smith")
PLAIN = role("billing-export")

# --- unregistered-agent ---------------------------------------------------------------------------------------------

UNREGISTERED = [
    pytest.param(
        Case(
            [*SCAN, AGENT], expect=("fail",), severity=Severity.HIGH, evidence=("trusts-bedrock", "no registry record")
        ),
        id="fail-classified-agent-with-no-record",
    ),
    pytest.param(Case([*SCAN, AGENT], [record("inv", AGENT)]), id="none-registered-by-arn"),
    pytest.param(Case([*SCAN, AGENT], [record("inv", AGENT.native_ids[1])]), id="none-registered-by-role-id"),
    pytest.param(Case([*SCAN, AGENT], [record("inv", AGENT.uid)]), id="none-registered-by-uid"),
    pytest.param(
        Case([*SCAN, AGENT], [record("inv", role_arn("invoice"))], expect=("fail",)),
        id="fail-prefix-of-arn-does-not-register",
    ),
    pytest.param(
        Case([*SCAN, AGENT], [record("inv", AGENT.native_ids[0].upper())], expect=("fail",)),
        id="fail-matching-is-exact-not-case-folded",
    ),
    pytest.param(Case([*SCAN, NAME_ONLY]), id="none-name-alone"),
    pytest.param(
        Case(
            [*SCAN, NAME_ONLY, gap(Facet.WORKLOADS, resource="lambda:ListFunctions", region="us-east-1")],
            expect=("unknown",),
            severity=Severity.HIGH,
            evidence=("could not be decided", "lambda:ListFunctions (denied)", "ai-name"),
        ),
        id="unknown-workloads-gap-hides-evidence",
    ),
    pytest.param(
        Case([*SCAN, NAME_ONLY, gap()], expect=("unknown",), evidence=("iam:GetAccountAuthorizationDetails",)),
        id="unknown-whole-scope-gap",
    ),
    pytest.param(
        Case(
            [*SCAN, NAME_ONLY, gap(Facet.CREDENTIALS, resource="iam:ListAccessKeys", subject=NAME_ONLY)],
            expect=("unknown",),
        ),
        id="unknown-credentials-gap-for-that-identity",
    ),
    pytest.param(
        Case([*SCAN, NAME_ONLY, gap(Facet.CREDENTIALS, resource="iam:ListAccessKeys", subject=PLAIN)]),
        id="none-gap-for-another-identity",
    ),
    pytest.param(Case([*SCAN, PLAIN, gap(Facet.WORKLOADS)]), id="none-no-evidence-at-all-despite-gap"),
    pytest.param(
        Case([*SCAN, *scanned(OTHER_ACCOUNT), NAME_ONLY, gap(Facet.WORKLOADS, scope=OTHER_ACCOUNT)]),
        id="none-gap-in-another-account",
    ),
    pytest.param(
        Case([*SCAN, NAME_ONLY, gap(Facet.DIRECTORY, resource="directory")]),
        id="none-gap-of-an-unrelated-facet",
    ),
    pytest.param(
        Case([*SCAN, role("shared-console", trusts=[BEDROCK], human=True)]),
        id="none-human-evidence-dampens-below-threshold",
    ),
]


@pytest.mark.parametrize("case", UNREGISTERED)
def test_unregistered_agent(case: Case) -> None:
    check("unregistered-agent", case)


# --- retired-agent-active -------------------------------------------------------------------------------------------

OLD_BOT = user("old-bot", enabled=False)
OLD_KEY = access_key(OLD_BOT, "AKIAQXAMPLEOLDBOT001", created=days_ago(500), last_used=days_ago(3))
RETIRED_BOT = record("old-bot", OLD_BOT, status="retired")
RETIRED_ROLE = record("old-role", role_arn("old-role"), status="retired")

RETIRED = [
    pytest.param(
        Case(
            [*SCAN, OLD_BOT, OLD_KEY],
            [RETIRED_BOT],
            expect=("fail",),
            severity=Severity.CRITICAL,
            evidence=("was retired on", "AKIAQXAMPLEOLDBOT001", "is active"),
            absent=("still exists and is enabled",),
        ),
        id="fail-live-key-of-disabled-user",
    ),
    pytest.param(
        Case(
            [*SCAN, OLD_BOT, bedrock_api_key(OLD_BOT, "ACCAQXAMPLEOLDBOT001")],
            [RETIRED_BOT],
            expect=("fail",),
            evidence=("ACCAQXAMPLEOLDBOT001",),
        ),
        id="fail-live-bedrock-api-key",
    ),
    pytest.param(
        Case([*SCAN, role("old-role")], [RETIRED_ROLE], expect=("fail",), evidence=("still exists and is enabled",)),
        id="fail-identity-still-enabled",
    ),
    pytest.param(
        Case([*SCAN, OLD_BOT, access_key(OLD_BOT, "AKIAQXAMPLEOLDBOT001", active=False)], [RETIRED_BOT]),
        id="none-disabled-and-key-deactivated",
    ),
    pytest.param(Case([*SCAN], [RETIRED_ROLE]), id="none-identity-gone-from-completely-scanned-account"),
    pytest.param(
        Case([*SCAN, gap(Facet.IDENTITIES, Facet.GRANTS)], [RETIRED_ROLE], expect=("unknown",), evidence=("denied",)),
        id="unknown-identity-missing-and-account-had-identities-gap",
    ),
    pytest.param(
        Case([*SCAN], [record("old-role", role_arn("old-role", OTHER_ACCOUNT), status="retired")]),
        id="none-account-not-scanned-at-all",
    ),
    pytest.param(
        Case(
            [*SCAN, OLD_BOT, gap(Facet.CREDENTIALS, resource="iam:ListAccessKeys", subject=OLD_BOT)],
            [RETIRED_BOT],
            expect=("unknown",),
            evidence=("iam:ListAccessKeys",),
        ),
        id="unknown-disabled-user-whose-keys-could-not-be-listed",
    ),
    pytest.param(
        Case([*SCAN, role("old-role")], [record("old-role", role_arn("old-role"))]),
        id="none-active-record-is-not-retired",
    ),
]


@pytest.mark.parametrize("case", RETIRED)
def test_retired_agent_active(case: Case) -> None:
    found = check("retired-agent-active", case)
    assert all(f.registry_id in {"old-bot", "old-role"} for f in found)


# --- expired-agent-registration -------------------------------------------------------------------------------------

YESTERDAY = TODAY - timedelta(days=1)
LIVE = role("time-boxed", trusts=[BEDROCK])

EXPIRED = [
    pytest.param(
        Case(
            [*SCAN, LIVE],
            [record("tb", LIVE, expires=YESTERDAY)],
            expect=("fail",),
            severity=Severity.HIGH,
            evidence=(f"expired on {YESTERDAY}", "still exists and is enabled"),
        ),
        id="fail-expired-yesterday-with-access",
    ),
    pytest.param(Case([*SCAN, LIVE], [record("tb", LIVE, expires=TODAY)]), id="none-expiry-day-itself-is-valid"),
    pytest.param(Case([*SCAN, LIVE], [record("tb", LIVE, expires=TODAY + timedelta(days=30))]), id="none-not-yet"),
    pytest.param(Case([*SCAN, LIVE], [record("tb", LIVE)]), id="none-no-expiry"),
    pytest.param(
        Case([*SCAN], [record("tb", role_arn("time-boxed"), expires=YESTERDAY)]),
        id="none-expired-identity-gone-from-complete-scan",
    ),
    pytest.param(
        Case(
            [*SCAN, gap(Facet.IDENTITIES)],
            [record("tb", role_arn("time-boxed"), expires=YESTERDAY)],
            expect=("unknown",),
        ),
        id="unknown-expired-identity-hidden-by-gap",
    ),
    pytest.param(
        Case([*SCAN, LIVE], [record("tb", LIVE, expires=YESTERDAY, status="retired")]),
        id="none-retired-records-belong-to-retired-rule",
    ),
    pytest.param(
        Case([*SCAN, LIVE], [record("tb", LIVE, expires=YESTERDAY, status="suspended")], expect=("fail",)),
        id="fail-suspended-and-expired",
    ),
]


@pytest.mark.parametrize("case", EXPIRED)
def test_expired_agent_registration(case: Case) -> None:
    check("expired-agent-registration", case)


# --- agent-without-owner --------------------------------------------------------------------------------------------

OWNED = role("owned-agent", trusts=[BEDROCK])
JANE_ARN = user_arn("jane")

OWNER = [
    pytest.param(
        Case(
            [*SCAN, OWNED],
            [record("owned", OWNED, owner=JANE_ARN)],
            expect=("fail",),
            severity=Severity.MEDIUM,
            evidence=(f"owner {JANE_ARN} was not found in the directory that was scanned",),
        ),
        id="fail-owner-arn-of-deleted-user-in-complete-account",
    ),
    pytest.param(
        Case(
            [*SCAN, OWNED, user("jane", enabled=False)],
            [record("owned", OWNED, owner=JANE_ARN)],
            expect=("fail",),
            evidence=("is disabled",),
        ),
        id="fail-owner-is-disabled",
    ),
    pytest.param(Case([*SCAN, OWNED, user("jane")], [record("owned", OWNED, owner=JANE_ARN)]), id="none-owner-enabled"),
    pytest.param(
        Case([*SCAN, OWNED, user("jane")], [record("owned", OWNED, owner=user("jane").native_ids[1])]),
        id="none-owner-by-user-id",
    ),
    pytest.param(
        Case([*SCAN, OWNED], [record("owned", OWNED, owner="jane.doe@example.com")]),
        id="none-owner-email-and-no-directory-scanned",
    ),
    pytest.param(
        Case(
            [*SCAN, OWNED, gap(Facet.IDENTITIES)],
            [record("owned", OWNED, owner=JANE_ARN)],
            expect=("unknown",),
            evidence=("could not be decided",),
        ),
        id="unknown-owner-missing-but-identities-gap",
    ),
    pytest.param(
        Case([*SCAN, OWNED], [record("owned", OWNED, owner=user_arn("jane", OTHER_ACCOUNT))]),
        id="none-owner-in-unscanned-account",
    ),
    pytest.param(
        Case([*SCAN, OWNED], [record("owned", OWNED, owner="   ")], expect=("fail",), evidence=("no owner",)),
        id="fail-blank-owner",
    ),
    pytest.param(
        Case([*SCAN, OWNED], [record("owned", OWNED, owner="", status="retired")]), id="none-retired-record-skipped"
    ),
]


@pytest.mark.parametrize("case", OWNER)
def test_agent_without_owner(case: Case) -> None:
    found = check("agent-without-owner", case)
    assert all(f.registry_id == "owned" and f.identity_uid == OWNED.uid for f in found)


# --- agent-scope-drift ----------------------------------------------------------------------------------------------

SCOPED = role("scoped-agent", trusts=[BEDROCK])


def _drift(allowed: list[str] | None, *grants: Record, extra: tuple[Record, ...] = ()) -> tuple:
    return [*SCAN, SCOPED, *grants, *extra], [record("scoped", SCOPED, allowed=allowed)]


DRIFT = [
    pytest.param(
        Case(*_drift(["bedrock:*"], grant(SCOPED, "bedrock:InvokeModel"))),
        id="none-wildcard-allowed-covers-narrower-held",
    ),
    pytest.param(
        Case(
            *_drift(["bedrock:InvokeModel"], grant(SCOPED, "bedrock:*", name="invoke-policy")),
            expect=("fail",),
            severity=Severity.MEDIUM,
            evidence=("allowed: bedrock:InvokeModel", "bedrock:* (from invoke-policy)"),
        ),
        id="fail-held-wider-than-allowed-names-the-grant",
    ),
    pytest.param(Case(*_drift(None, grant(SCOPED, "*"))), id="none-allowed-permissions-not-declared"),
    pytest.param(
        Case(*_drift([], grant(SCOPED, "s3:GetObject", name="read")), expect=("fail",), evidence=("allowed: nothing",)),
        id="fail-declared-empty",
    ),
    pytest.param(
        Case(
            *_drift(["bedrock:InvokeModel"], grant(SCOPED, "bedrock:InvokeModel"), extra=(gap(Facet.GRANTS),)),
            expect=("unknown",),
            evidence=("could not be decided",),
        ),
        id="unknown-grants-gap",
    ),
    pytest.param(
        Case(
            *_drift(
                ["bedrock:InvokeModel"],
                grant(SCOPED, "bedrock:InvokeModel"),
                extra=(gap(Facet.GRANTS, subject=role("someone-else")),),
            )
        ),
        id="none-grants-gap-of-another-identity",
    ),
    pytest.param(
        Case(
            *_drift(["bedrock:*"], grant(SCOPED, "s3:PutObject", name="writer"), extra=(gap(Facet.GRANTS),)),
            expect=("fail",),
            evidence=("s3:PutObject (from writer)",),
        ),
        id="fail-known-excess-wins-over-gap",
    ),
    pytest.param(
        Case(
            *_drift(
                ["bedrock:InvokeModel"],
                grant(SCOPED, "bedrock:InvokeModel", "s3:*", name="mixed"),
                grant(SCOPED, "s3:*", effect="Deny", name="no-s3"),
            )
        ),
        id="none-excess-removed-by-deny",
    ),
    pytest.param(
        Case(*_drift(["BEDROCK:invokemodel"], grant(SCOPED, "bedrock:InvokeModel"))), id="none-case-insensitive"
    ),
    pytest.param(
        Case(*_drift(["bedrock:*"], grant(SCOPED, not_actions=["iam:*"], name="power")), expect=("fail",)),
        id="fail-not-action-allow-is-everything-else",
    ),
    pytest.param(
        Case(
            *_drift(["bedrock:InvokeModel"], grant(SCOPED, "*", name="admin"), boundary(SCOPED, "s3:*")),
            expect=("fail",),
            evidence=("s3:",),
        ),
        # Regression: any boundary once emptied effective_actions, so drift under a boundary was never reported.
        id="fail-star-capped-by-boundary-still-exceeds",
    ),
    pytest.param(
        Case(
            [*SCAN, SCOPED, grant(SCOPED, "*")],
            [record("scoped", SCOPED, allowed=["bedrock:InvokeModel"], status="retired")],
        ),
        id="none-retired-record-skipped",
    ),
]


@pytest.mark.parametrize("case", DRIFT)
def test_agent_scope_drift(case: Case) -> None:
    found = check("agent-scope-drift", case)
    assert all(f.identity_uid == SCOPED.uid and f.registry_id == "scoped" for f in found)


# --- stale-agent-credential -----------------------------------------------------------------------------------------

BOT = user("invoice-bot")
BOT_REG = [record("invoice-bot", BOT)]
USAGE_GAP = gap(Facet.CREDENTIAL_USAGE, Facet.IDENTITY_USAGE, resource="iam:GetCredentialReport")


def _key(**kwargs: object) -> Record:
    return access_key(BOT, "AKIAQXAMPLEINVBOT001", **kwargs)  # type: ignore[arg-type]


STALE = [
    pytest.param(
        Case(
            [*SCAN, BOT, _key(created=days_ago(400), last_used=days_ago(200))],
            BOT_REG,
            expect=("fail",),
            severity=Severity.MEDIUM,
            evidence=("last used 200 days ago", "limit 90"),
        ),
        id="fail-last-used-long-ago",
    ),
    pytest.param(
        Case([*SCAN, BOT, _key(created=days_ago(400), last_used=days_ago(5))], BOT_REG), id="none-used-lately"
    ),
    pytest.param(
        Case([*SCAN, BOT, _key(created=days_ago(400), last_used=days_ago(90))], BOT_REG), id="none-exactly-at-limit"
    ),
    pytest.param(Case([*SCAN, BOT, _key(created=days_ago(10))], BOT_REG), id="none-never-used-but-new"),
    pytest.param(
        Case(
            [*SCAN, BOT, _key(created=days_ago(400))],
            BOT_REG,
            expect=("fail",),
            evidence=("never used since its creation 400 days ago",),
        ),
        id="fail-never-used-and-old",
    ),
    pytest.param(
        Case(
            [*SCAN, BOT, _key(created=days_ago(400)), USAGE_GAP],
            BOT_REG,
            expect=("unknown",),
            evidence=("last use could not be read", "iam:GetCredentialReport (denied)"),
            absent=("never used",),
        ),
        id="unknown-usage-gap-is-never-a-false-never-used",
    ),
    pytest.param(
        Case(
            [
                *SCAN,
                BOT,
                _key(created=days_ago(400)),
                gap(Facet.CREDENTIAL_USAGE, resource="iam:GetAccessKeyLastUsed", subject=BOT),
            ],
            BOT_REG,
            expect=("unknown",),
            absent=("never used",),
        ),
        id="unknown-per-key-usage-gap",
    ),
    pytest.param(
        Case(
            [
                *SCAN,
                BOT,
                _key(created=days_ago(400)),
                gap(Facet.CREDENTIAL_USAGE, resource="iam:GetAccessKeyLastUsed", subject=user("other")),
            ],
            BOT_REG,
            expect=("fail",),
        ),
        id="fail-usage-gap-of-another-user-does-not-hide-this-one",
    ),
    pytest.param(
        Case([*SCAN, BOT, _key(created=days_ago(400), last_used=days_ago(5)), USAGE_GAP], BOT_REG),
        id="none-known-last-use-despite-gap",
    ),
    pytest.param(
        Case(
            [*SCAN, BOT, bedrock_api_key(BOT, "ACCAQXAMPLEINVBOT001", created=days_ago(400))],
            BOT_REG,
            expect=("unknown",),
            evidence=("ACCAQXAMPLEINVBOT001", "does not report last use"),
            absent=("never used",),
        ),
        id="unknown-service-specific-credential-usage-is-not-reported",
    ),
    pytest.param(
        Case([*SCAN, BOT, _key(created=days_ago(400), last_used=days_ago(200), active=False)], BOT_REG),
        id="none-inactive-key",
    ),
    pytest.param(
        Case([*SCAN, BOT, _key(created=days_ago(400), last_used=days_ago(200))]), id="none-identity-is-not-an-agent"
    ),
    pytest.param(
        Case([*SCAN, BOT, access_key(BOT, "fed-1", kind="federated", created=days_ago(400))], BOT_REG),
        id="none-federated-credentials-hold-no-secret",
    ),
]


@pytest.mark.parametrize("case", STALE)
def test_stale_agent_credential(case: Case) -> None:
    found = check("stale-agent-credential", case)
    assert all(f.identity_uid == BOT.uid and f.registry_id == "invoice-bot" for f in found)


# --- long-lived-agent-credential ------------------------------------------------------------------------------------

LONG_LIVED = [
    pytest.param(
        Case(
            [*SCAN, BOT, _key(created=days_ago(400), last_used=days_ago(1))],
            BOT_REG,
            expect=("fail",),
            severity=Severity.MEDIUM,
            evidence=("created 400 days ago (limit 365)", "never expires"),
        ),
        id="fail-old-key",
    ),
    pytest.param(
        Case(
            [*SCAN, BOT, _key(created=days_ago(10), last_used=days_ago(1))],
            BOT_REG,
            expect=("fail",),
            severity=Severity.LOW,
            evidence=("never expires",),
            absent=("created",),
        ),
        id="fail-low-new-key-without-expiry",
    ),
    pytest.param(
        Case(
            [
                *SCAN,
                BOT,
                access_key(BOT, "secret-1", kind="secret", created=days_ago(10), expires=days_from_now(720)),
            ],
            BOT_REG,
            expect=("fail",),
            severity=Severity.MEDIUM,
            evidence=("valid for 730 days",),
        ),
        id="fail-two-year-validity-secret",
    ),
    pytest.param(
        Case(
            [*SCAN, BOT, access_key(BOT, "secret-2", kind="secret", created=days_ago(10), expires=days_from_now(80))],
            BOT_REG,
        ),
        id="none-short-lived-secret",
    ),
    pytest.param(
        Case(
            [
                *SCAN,
                BOT,
                bedrock_api_key(BOT, "ACCAQXAMPLELONG00001", created=days_ago(30), expires=days_from_now(700)),
            ],
            BOT_REG,
            expect=("fail",),
            evidence=("valid for 730 days",),
        ),
        id="fail-long-validity-bedrock-key",
    ),
    pytest.param(Case([*SCAN, BOT, _key(created=days_ago(400), active=False)], BOT_REG), id="none-inactive"),
    pytest.param(Case([*SCAN, BOT, _key(created=days_ago(400))]), id="none-not-an-agent"),
]


@pytest.mark.parametrize("case", LONG_LIVED)
def test_long_lived_agent_credential(case: Case) -> None:
    check("long-lived-agent-credential", case)


# --- agent-privilege-path -------------------------------------------------------------------------------------------

ADMIN = role("ops-admin", trusts=[principal_trust(AGENT.native_ids[0])])
ADMIN_POLICY = grant(ADMIN, "*", name="AdministratorAccess")
HOP = role("hop", trusts=[principal_trust(AGENT.native_ids[0])])
DEEP_ADMIN = role("deep-admin", trusts=[principal_trust(HOP.native_ids[0])])
ROOT_ADMIN = role("ops-root-admin", trusts=[account_trust(ACCOUNT)])

PRIVILEGE = [
    pytest.param(
        Case(
            [*SCAN, AGENT, ADMIN, ADMIN_POLICY],
            expect=("fail",),
            severity=Severity.CRITICAL,
            evidence=(
                "hop 1: invoice-agent -[CAN_ASSUME]-> ops-admin: ops-admin trusts",
                "ops-admin is administrator-equivalent: allows every action (*) via AdministratorAccess",
            ),
        ),
        id="fail-agent-assumes-admin-role",
    ),
    pytest.param(
        Case(
            [*SCAN, AGENT, grant(AGENT, "iam:PutRolePolicy", name="self-edit")],
            expect=("fail",),
            evidence=("invoice-agent holds it directly", "PutRolePolicy", "via self-edit"),
        ),
        id="fail-agent-itself-admin-equivalent",
    ),
    pytest.param(
        Case(
            [*SCAN, AGENT, HOP, DEEP_ADMIN, grant(DEEP_ADMIN, "iam:*", name="iam-all")],
            expect=("fail",),
            evidence=("hop 1: invoice-agent -[CAN_ASSUME]-> hop", "hop 2: hop -[CAN_ASSUME]-> deep-admin"),
        ),
        id="fail-two-hop-chain",
    ),
    pytest.param(
        Case(
            [
                *SCAN,
                AGENT,
                ROOT_ADMIN,
                grant(ROOT_ADMIN, "*", name="AdministratorAccess"),
                grant(AGENT, "sts:AssumeRole", resources=["arn:aws:iam::*:role/ops-*"], name="assume-ops"),
            ],
            expect=("fail",),
            evidence=("assume-ops allows",),
        ),
        id="fail-account-trust-and-agents-own-permission",
    ),
    pytest.param(
        Case([*SCAN, AGENT, ROOT_ADMIN, grant(ROOT_ADMIN, "*", name="AdministratorAccess")]),
        id="none-account-trust-without-agents-permission",
    ),
    pytest.param(
        Case(
            [*SCAN, AGENT, HOP, gap(Facet.GRANTS, resource="iam:GetAccountAuthorizationDetails(AWSManagedPolicy)")],
            expect=("unknown",),
            evidence=("none is admin-equivalent", "could not be decided"),
        ),
        id="unknown-no-path-and-grants-gap",
    ),
    pytest.param(Case([*SCAN, AGENT, HOP, grant(HOP, "s3:*", name="s3-all")]), id="none-reachable-role-not-admin"),
    pytest.param(Case([*SCAN, AGENT]), id="none-no-path"),
    pytest.param(
        Case([*SCAN, *scanned(OTHER_ACCOUNT), AGENT, gap(Facet.GRANTS, scope=OTHER_ACCOUNT)]),
        id="none-grants-gap-only-in-an-unreachable-account",
    ),
    pytest.param(Case([*SCAN, PLAIN, grant(PLAIN, "*")]), id="none-admin-but-not-an-agent"),
    pytest.param(
        Case([*SCAN, AGENT, grant(AGENT, "*", resources=["arn:aws:s3:::invoices", "arn:aws:s3:::invoices/*"])]),
        # Regression: `*` limited to one bucket was taken for administrator access: a false critical.
        id="none-star-on-one-bucket-is-not-admin",
    ),
]


@pytest.mark.parametrize("case", PRIVILEGE)
def test_agent_privilege_path(case: Case) -> None:
    check("agent-privilege-path", case)


def test_privilege_path_carries_the_hops_as_edges() -> None:
    result = run([*SCAN, AGENT, HOP, DEEP_ADMIN, grant(DEEP_ADMIN, "*", name="all")], [record("inv", AGENT)])
    (finding,) = result.rule("agent-privilege-path")
    assert finding.registry_id == "inv" and finding.identity_uid == AGENT.uid
    assert [(e.source, e.target, e.relation) for e in finding.path] == [
        (AGENT.uid, HOP.uid, Relation.CAN_ASSUME),
        (HOP.uid, DEEP_ADMIN.uid, Relation.CAN_ASSUME),
    ]
    assert all(e.reason for e in finding.path)


def test_privilege_path_picks_the_shortest_path_and_counts_the_rest() -> None:
    records = [*SCAN, AGENT, ADMIN, ADMIN_POLICY, HOP, DEEP_ADMIN, grant(DEEP_ADMIN, "*", name="all")]
    (finding,) = run(records).rule("agent-privilege-path")
    assert [e.target for e in finding.path] == [ADMIN.uid]
    assert "1 more administrator-equivalent identities are reachable" in finding.evidence


# --- orphaned-registry-entry ----------------------------------------------------------------------------------------

GONE = role_arn("gone-role")

ORPHANED = [
    pytest.param(
        Case(
            [*SCAN],
            [record("gone", GONE)],
            expect=("fail",),
            severity=Severity.LOW,
            evidence=(f"{GONE} was not found in the scanned scope",),
        ),
        id="fail-missing-in-completely-scanned-account",
    ),
    pytest.param(
        Case([*SCAN, gap(Facet.IDENTITIES)], [record("gone", GONE)], expect=("unknown",), evidence=("denied",)),
        id="unknown-identities-gap",
    ),
    pytest.param(
        Case([*SCAN, gap(Facet.CREDENTIALS, resource="iam:ListAccessKeys")], [record("gone", GONE)], expect=("fail",)),
        id="fail-gap-of-another-facet-does-not-hide-identities",
    ),
    pytest.param(Case([*SCAN], [record("gone", GONE, status="retired")]), id="none-retired-record-skipped"),
    pytest.param(Case([*SCAN], [record("gone", role_arn("gone-role", OTHER_ACCOUNT))]), id="none-account-not-scanned"),
    pytest.param(Case([*SCAN, role("gone-role")], [record("gone", GONE)]), id="none-identity-found"),
    pytest.param(
        Case([*SCAN], [record("gone", "3f2c8a9e-0000-4000-8000-1234567890ab")]), id="none-entra-id-no-entra-scanned"
    ),
    pytest.param(Case([*SCAN], [record("gone", "not-an-identifier-we-know")]), id="none-unrecognised-identifier"),
    pytest.param(
        Case([*SCAN], [record("gone", "AKIAQXAMPLEGONE00001")], expect=("fail",)),
        id="fail-access-key-id-judged-against-every-aws-scope",
    ),
    pytest.param(
        Case([*SCAN], [record("gone", GONE, role_arn("also-gone"))], expect=("fail", "fail")),
        id="fail-once-per-missing-identifier",
    ),
    pytest.param(
        Case([*SCAN, role("gone-role")], [record("gone", GONE, role_arn("also-gone"))], expect=("fail",)),
        id="fail-partially-found",
    ),
]


@pytest.mark.parametrize("case", ORPHANED)
def test_orphaned_registry_entry(case: Case) -> None:
    found = check("orphaned-registry-entry", case)
    assert all(f.registry_id == "gone" for f in found)


# --- collection-gap -------------------------------------------------------------------------------------------------

REPORT_GAP = gap(Facet.CREDENTIAL_USAGE, resource="iam:GetCredentialReport")

COLLECTION = [
    pytest.param(
        Case([*SCAN, gap()], expect=("unknown",), severity=Severity.HIGH, evidence=("affects: scope",)),
        id="scope-failure-is-high",
    ),
    pytest.param(
        Case(
            [*SCAN, REPORT_GAP],
            expect=("unknown",),
            severity=Severity.MEDIUM,
            evidence=("iam:GetCredentialReport: denied: AccessDenied", "affects: credential_usage"),
        ),
        id="denied-operation-is-medium",
    ),
    pytest.param(
        Case(
            [*SCAN, gap(Facet.WORKLOADS, resource="bedrock-agent:ListAgents", reason=GapReason.UNSUPPORTED)],
            expect=("unknown",),
            severity=Severity.INFO,
        ),
        id="unsupported-is-info",
    ),
    pytest.param(
        Case([*SCAN, gap(Facet.SCOPE, subject=user("x"))], expect=("unknown",), severity=Severity.MEDIUM),
        id="whole-scope-facet-for-one-subject-is-not-a-scope-failure",
    ),
    pytest.param(
        Case(
            [
                *SCAN,
                REPORT_GAP,
                gap(Facet.WORKLOADS, resource="lambda:ListFunctions", region="us-east-1"),
                gap(Facet.WORKLOADS, resource="lambda:ListFunctions", region="eu-west-1"),
            ],
            expect=("unknown", "unknown", "unknown"),
        ),
        id="one-finding-per-gap",
    ),
    pytest.param(
        Case(
            [
                *SCAN,
                *(
                    gap(
                        Facet.GRANTS,
                        resource="iam:GetPolicyVersion",
                        reason=GapReason.ERROR,
                        detail=f"the document of arn:aws:iam::aws:policy/{name} could not be read",
                        target=f"arn:aws:iam::aws:policy/{name}",
                    )
                    for name in ("AmazonBedrockFullAccess", "AdministratorAccess")
                ),
            ],
            expect=("unknown", "unknown"),
            evidence=("AmazonBedrockFullAccess", "AdministratorAccess"),
        ),
        # Regression: two gaps of one operation that differ by what they hide (one iam:GetPolicyVersion gap per
        # unreadable policy) must keep distinct ids; the gap's target is part of the key.
        id="distinct-gaps-of-one-operation-keep-distinct-ids",
    ),
    pytest.param(Case([*SCAN, AGENT]), id="none-without-gaps"),
]


@pytest.mark.parametrize("case", COLLECTION)
def test_collection_gap(case: Case) -> None:
    found = check("collection-gap", case)
    assert all(f.status is Status.UNKNOWN and f.provider == "aws" and f.scope == ACCOUNT for f in found)


def test_collection_gap_for_a_subject_names_the_identity() -> None:
    bot = user("keyless")
    (finding,) = run([*SCAN, bot, gap(Facet.CREDENTIALS, resource="iam:ListAccessKeys", subject=bot)]).rule(
        "collection-gap"
    )
    assert finding.identity_uid == bot.uid
    assert "iam:ListAccessKeys" in finding.title and ACCOUNT in finding.title


# --- coverage: what rules ask before they report an absence -------------------------------------------------------


@pytest.mark.parametrize(
    ("gaps", "status"),
    [
        pytest.param([], ScopeStatus.COMPLETE, id="complete"),
        pytest.param([gap(Facet.CREDENTIAL_USAGE)], ScopeStatus.PARTIAL, id="partial"),
        pytest.param([gap()], ScopeStatus.FAILED, id="failed"),
        pytest.param([gap(Facet.SCOPE, subject="aws:user:x")], ScopeStatus.PARTIAL, id="one-subject-is-partial"),
    ],
)
def test_scope_status(gaps: list, status: ScopeStatus) -> None:
    coverage = Coverage(SCAN, gaps)
    assert coverage.scopes[("aws", ACCOUNT)].status is status
    assert coverage.complete is (status is ScopeStatus.COMPLETE)


@pytest.mark.parametrize(
    ("hidden", "facet", "subject", "blind"),
    [
        pytest.param(gap(Facet.GRANTS), Facet.GRANTS, None, True, id="same-facet"),
        pytest.param(gap(Facet.GRANTS), Facet.CREDENTIALS, None, False, id="other-facet"),
        pytest.param(gap(), Facet.CREDENTIALS, "aws:user:u1", True, id="scope-gap-hides-every-facet"),
        pytest.param(
            gap(Facet.CREDENTIALS, subject="aws:user:u1"), Facet.CREDENTIALS, "aws:user:u1", True, id="subject"
        ),
        pytest.param(
            gap(Facet.CREDENTIALS, subject="aws:user:u1"), Facet.CREDENTIALS, "aws:user:u2", False, id="other"
        ),
        pytest.param(gap(Facet.CREDENTIALS, subject="aws:user:u1"), Facet.CREDENTIALS, None, True, id="scope-question"),
        pytest.param(gap(Facet.GRANTS, scope=OTHER_ACCOUNT), Facet.GRANTS, None, False, id="other-scope"),
    ],
)
def test_coverage_blind(hidden: Gap, facet: Facet, subject: str | None, blind: bool) -> None:
    coverage = Coverage(SCAN, [hidden])
    assert (coverage.blind(ACCOUNT, facet, subject) == [hidden]) is blind


def test_scanned_means_visited_even_if_only_a_gap_was_recorded() -> None:
    coverage = Coverage(SCAN, [gap(scope=OTHER_ACCOUNT)])
    assert coverage.scanned("aws", ACCOUNT) and coverage.scanned("aws", OTHER_ACCOUNT)
    assert not coverage.scanned("aws", "999999999999") and not coverage.scanned("gcp", ACCOUNT)


# --- finding ids ----------------------------------------------------------------------------------------------------


def _estate(agent_name: str = "invoice-agent", **agent_kwargs: object) -> tuple[list[Record], list[AgentRecord]]:
    agent = role(agent_name, trusts=[BEDROCK], **agent_kwargs)  # type: ignore[arg-type]
    admin = role("ops-admin", trusts=[principal_trust(role_arn(agent_name))])
    bot = user("invoice-bot")
    records = [
        *SCAN,
        agent,
        admin,
        grant(admin, "*", name="AdministratorAccess"),
        bot,
        access_key(bot, "AKIAQXAMPLEINVBOT001", created=days_ago(400)),
        REPORT_GAP,
    ]
    registry = [
        record("invoice-bot", bot, owner=user_arn("departed"), allowed=["bedrock:InvokeModel"], expires=YESTERDAY),
        record("gone", GONE),
    ]
    return records, registry


def _ids(records: list[Record], registry: list[AgentRecord]) -> dict[tuple[str, str | None, str | None], str]:
    return {(f.rule, f.identity_uid, f.registry_id): f.id for f in run(records, registry).findings}


def test_finding_ids_are_identical_across_evaluations() -> None:
    first = _ids(*_estate())
    second = _ids(*_estate())
    assert first == second
    assert {rule for rule, _, _ in first} >= {
        "unregistered-agent",
        "agent-privilege-path",
        "stale-agent-credential",
        "long-lived-agent-credential",
        "agent-without-owner",
        "expired-agent-registration",
        "orphaned-registry-entry",
        "collection-gap",
    }
    assert len(set(first.values())) == len(first), "two findings share an id"


def test_finding_ids_ignore_display_name_and_description() -> None:
    before = _ids(*_estate())
    after = _ids(*_estate(display_name="Invoice Agent (renamed)", description="now does refunds too"))
    assert before == after


def test_finding_ids_change_with_the_immutable_uid() -> None:
    before = _ids(*_estate())
    after = _ids(*_estate(agent_name="invoice-agent-v2"))
    old = role("invoice-agent").uid
    new = role("invoice-agent-v2").uid
    assert before[("unregistered-agent", old, None)] != after[("unregistered-agent", new, None)]
    unchanged = {k: v for k, v in before.items() if k[1] != old}
    assert unchanged == {k: v for k, v in after.items() if k[1] != new}


def test_findings_are_sorted_most_severe_first_and_count_what_was_evaluated() -> None:
    result = run(*_estate())
    severities = [f.severity for f in result.findings]
    assert severities == sorted(severities, reverse=True)
    assert result.evaluated["unregistered-agent"] == 3  # every identity is evaluated, not only agents
    assert result.evaluated["agent-privilege-path"] == 2  # the classified agent and the registered bot
