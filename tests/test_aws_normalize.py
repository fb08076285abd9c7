"""Pure AWS mappers on recorded, scrubbed API responses: GAAD, credential report, keys, Bedrock keys and runtimes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from builders import ACCOUNT, run

from connectors.aws.normalize import (
    PolicyBook,
    ReportRow,
    access_key_record,
    env_var_names,
    parse_credential_report,
    parse_time,
    role_records,
    role_uid,
    service_specific_record,
    user_records,
    user_uid,
    workload,
)
from connectors.aws.regional import regional_records
from scanner.model import Credential, Effect, Grant, Identity, Record, TrustKind, Workload
from scanner.permissions import admin_equivalent, allows, effective_actions

FIXTURES = Path(__file__).parent / "fixtures" / "aws"
CANARY = "SHADOWSWEEP-CANARY"
PREFIX = f"arn:aws:iam::{ACCOUNT}"


@cache
def fixture(name: str) -> Any:
    path = FIXTURES / name
    return path.read_bytes() if path.suffix == ".csv" else json.loads(path.read_text(encoding="utf-8"))


def report() -> dict[str, ReportRow]:
    return parse_credential_report(fixture("credential_report.csv"))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- timestamps -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2024-05-01T10:00:00+00:00", at("2024-05-01T10:00:00"), id="report-format"),
        pytest.param("2025-01-10T08:00:00Z", at("2025-01-10T08:00:00"), id="zulu"),
        pytest.param("2025-01-10T10:00:00+02:00", at("2025-01-10T08:00:00"), id="offset-kept-as-instant"),
        pytest.param("2025-01-10T08:00:00", at("2025-01-10T08:00:00"), id="naive-string-is-utc"),
        pytest.param(datetime(2025, 1, 10, 8), at("2025-01-10T08:00:00"), id="naive-datetime-is-utc"),
        pytest.param(
            datetime(2025, 1, 10, 9, tzinfo=timezone(timedelta(hours=1))),
            at("2025-01-10T08:00:00"),
            id="aware-datetime",
        ),
        pytest.param("N/A", None, id="n-a"),
        pytest.param("no_information", None, id="no-information"),
        pytest.param("not_supported", None, id="not-supported"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="none"),
        pytest.param(1700000000, None, id="number"),
        pytest.param("2024-13-45T00:00:00Z", None, id="invalid-date"),
    ],
)
def test_parse_time(value: Any, expected: datetime | None) -> None:
    parsed = parse_time(value)
    assert parsed == expected
    assert parsed is None or parsed.tzinfo is not None


# --- credential report ----------------------------------------------------------------------------------------------


def test_credential_report_rows_by_arn_without_the_root_account() -> None:
    rows = report()
    assert set(rows) == {
        f"{PREFIX}:user/alice",
        f"{PREFIX}:user/agents/bedrock-bot",
        f"{PREFIX}:user/BedrockAPIKey-x1y2",
        f"{PREFIX}:user/legacy-batch",
    }
    assert not any(arn.endswith(":root") for arn in rows)


@pytest.mark.parametrize(
    ("user", "password_enabled", "password_last_used", "keys", "has_keys"),
    [
        pytest.param(
            "alice",
            True,
            at("2026-05-28T17:45:12"),
            ((False, None, None, ""), (False, None, None, "")),
            False,
            id="human-with-password-no-keys",
        ),
        pytest.param(
            "agents/bedrock-bot",
            False,
            None,
            (
                (True, at("2025-01-10T08:05:31"), at("2026-05-31T22:10:00"), "bedrock"),
                (False, at("2025-11-20T14:00:02"), None, ""),
            ),
            True,
            id="two-keys-one-inactive-never-used",
        ),
        pytest.param(
            "BedrockAPIKey-x1y2",
            False,
            None,
            ((False, None, None, ""), (False, None, None, "")),
            False,
            id="console-api-key-user-without-access-keys",
        ),
        pytest.param(
            "legacy-batch",
            False,
            None,
            ((True, at("2013-06-01T10:00:00"), None, ""), (False, None, None, "")),
            True,
            id="no-information-cells-are-none",
        ),
    ],
)
def test_credential_report_cells(
    user: str, password_enabled: bool, password_last_used: datetime | None, keys: tuple[Any, ...], has_keys: bool
) -> None:
    row = report()[f"{PREFIX}:user/{user}"]
    assert row.password_enabled is password_enabled
    assert row.password_last_used == password_last_used
    assert row.keys == keys
    assert row.has_keys is has_keys


# --- access keys ----------------------------------------------------------------------------------------------------

BOT_ARN = f"{PREFIX}:user/agents/bedrock-bot"


def _bot_keys() -> dict[str, Credential]:
    row = report()[BOT_ARN]
    listed = fixture("list_access_keys_bedrock-bot.json")["AccessKeyMetadata"]
    return {k["AccessKeyId"]: access_key_record(BOT_ARN, ACCOUNT, k, row) for k in listed}


@pytest.mark.parametrize(
    ("key_id", "active", "last_used", "service"),
    [
        pytest.param("AKIAQXAMPLEBOTKEY001", True, at("2026-05-31T22:10:00"), "bedrock", id="slot-1-matched-by-age"),
        pytest.param("AKIAQXAMPLEBOTKEY002", False, None, "", id="slot-2-matched-by-age-never-used"),
    ],
)
def test_access_keys_take_last_use_from_the_report_slot_of_the_same_creation_time(
    key_id: str, active: bool, last_used: datetime | None, service: str
) -> None:
    # ListAccessKeys returns the newer key first; the report's slot 1 is the older key. Position must not matter.
    cred = _bot_keys()[key_id]
    assert cred.uid == f"aws:access-key:{key_id}"
    assert cred.identity_uid == user_uid(BOT_ARN)
    assert (cred.kind, cred.native_id, cred.scope, cred.provider) == ("access_key", key_id, ACCOUNT, "aws")
    assert (cred.active, cred.last_used_at, cred.last_used_service) == (active, last_used, service)
    assert cred.usage_visible is True and cred.expires_at is None


@pytest.mark.parametrize(
    ("create_date", "matched"),
    [
        pytest.param("2025-01-10T08:05:31Z", True, id="same-second"),
        pytest.param("2025-01-10T08:05:32Z", True, id="one-second-skew"),
        pytest.param("2025-01-10T08:06:31Z", False, id="a-minute-apart-is-another-key"),
        pytest.param(None, False, id="no-create-date"),
    ],
)
def test_report_slot_matching_tolerance(create_date: str | None, matched: bool) -> None:
    key = {"UserName": "bedrock-bot", "AccessKeyId": "AKIAQXAMPLEBOTKEY009", "Status": "Active"}
    if create_date:
        key["CreateDate"] = create_date
    cred = access_key_record(BOT_ARN, ACCOUNT, key, report()[BOT_ARN])
    assert (cred.last_used_at is not None) is matched


def test_access_key_without_a_report_has_no_last_use() -> None:
    key = fixture("list_access_keys_bedrock-bot.json")["AccessKeyMetadata"][1]
    cred = access_key_record(BOT_ARN, ACCOUNT, key, None)
    assert cred.last_used_at is None and cred.last_used_service == "" and cred.active


# --- GAAD -----------------------------------------------------------------------------------------------------------


def gaad_records(with_report: bool = True) -> list[Record]:
    """GAAD (plus the partition's AWS-managed policies) mapped the way the account collector maps it."""
    gaad = fixture("get_account_authorization_details.json")
    book = PolicyBook()
    book.add_gaad_policies(gaad["Policies"])
    book.add_gaad_policies(fixture("get_account_authorization_details_aws_managed.json")["Policies"])
    groups = {g["GroupName"]: g for g in gaad["GroupDetailList"]}
    rows = report() if with_report else {}
    records: list[Record] = []
    for detail in gaad["RoleDetailList"]:
        records += role_records(detail, ACCOUNT, book)
    for detail in gaad["UserDetailList"]:
        records += user_records(detail, ACCOUNT, book, groups, rows.get(detail["Arn"]))
    return records


def identities(records: list[Record]) -> dict[str, Identity]:
    return {r.name: r for r in records if isinstance(r, Identity)}


def grants_of(records: list[Record], name: str) -> list[Grant]:
    uid = identities(records)[name].uid
    return [r for r in records if isinstance(r, Grant) and r.subject_uid == uid]


def test_gaad_identities() -> None:
    found = identities(gaad_records())
    assert set(found) == {
        "invoice-reconciler",
        "gh-deployer",
        "ops-admin",
        "support-router",
        "open-relay",
        "AWSServiceRoleForSupport",
        "bedrock-bot",
        "alice",
        "BedrockAPIKey-x1y2",
        "legacy-batch",
    }
    inv = found["invoice-reconciler"]
    arn = f"{PREFIX}:role/invoice-reconciler"
    assert (inv.uid, inv.kind, inv.scope, inv.provider) == (role_uid(arn), "role", ACCOUNT, "aws")
    assert inv.native_ids == (arn, "AROAQXAMPLEINVOICE01")
    assert inv.created_at == at("2025-01-10T08:00:00")
    assert inv.last_used_at == at("2026-05-30T08:15:00")
    assert inv.tags == {"team": "finance"}
    assert inv.description == "Execution role of the invoice reconciliation agent"
    assert inv.attributes["service_linked"] is False and inv.attributes["last_used_region"] == "us-east-1"
    assert found["AWSServiceRoleForSupport"].attributes["service_linked"] is True
    assert found["gh-deployer"].last_used_at is None
    bot = found["bedrock-bot"]
    assert bot.uid == user_uid(BOT_ARN) and bot.native_ids == (BOT_ARN, "AIDAQXAMPLEBEDROCK01")
    assert bot.attributes["path"] == "/agents/" and bot.attributes["groups"] == ["ml-engineers"]


@pytest.mark.parametrize(
    ("name", "human", "last_used"),
    [
        pytest.param("alice", True, at("2026-05-28T17:45:12"), id="console-password-is-human"),
        pytest.param("bedrock-bot", False, at("2026-05-31T22:10:00"), id="last-use-is-latest-key-use"),
        pytest.param("BedrockAPIKey-x1y2", False, None, id="never-used"),
        pytest.param("legacy-batch", False, None, id="no-information-is-not-a-date"),
    ],
)
def test_users_take_human_and_last_use_from_the_report(name: str, human: bool, last_used: datetime | None) -> None:
    user = identities(gaad_records())[name]
    assert (user.human, user.last_used_at) == (human, last_used)


def test_users_without_a_report_row_are_neither_human_nor_used() -> None:
    alice = identities(gaad_records(with_report=False))["alice"]
    assert (alice.human, alice.last_used_at) == (False, None)


def test_role_trusts_from_dict_and_url_encoded_documents() -> None:
    found = identities(gaad_records())
    (bedrock,) = found["invoice-reconciler"].trusts
    assert (bedrock.kind, bedrock.principal) == (TrustKind.SERVICE, "bedrock.amazonaws.com")
    assert any("aws:SourceAccount" in c for c in bedrock.conditions)
    (github,) = found["gh-deployer"].trusts
    assert github.kind is TrustKind.FEDERATED and github.principal == "token.actions.githubusercontent.com"
    assert github.subjects == ("repo:acme/infra:ref:refs/heads/main", "repo:acme/infra:environment:prod")
    assert {(t.kind, t.principal) for t in found["ops-admin"].trusts} == {
        (TrustKind.ACCOUNT, ACCOUNT),
        (TrustKind.ACCOUNT, "444455556666"),
    }


def _by_kind(grants: list[Grant]) -> dict[str, list[Grant]]:
    out: dict[str, list[Grant]] = {}
    for g in grants:
        out.setdefault(g.kind, []).append(g)
    return out


def test_role_grants_inline_managed_and_boundary() -> None:
    grants = _by_kind(grants_of(gaad_records(), "invoice-reconciler"))
    assert sorted(grants) == ["inline-policy", "managed-policy", "permissions-boundary"]
    (inline,) = grants["inline-policy"]
    assert "invoke-claude" in inline.name
    assert [a.lower() for a in inline.permissions] == ["bedrock:invokemodel", "bedrock:invokemodelwithresponsestream"]
    assert inline.statements[0].resources == ("arn:aws:bedrock:us-east-1::foundation-model/anthropic.*",)
    managed = {g.target: g for g in grants["managed-policy"]}
    assert set(managed) == {f"{PREFIX}:policy/s3-reader", "arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess"}
    # Only the default version (v2) counts; v1 allowed s3:* on everything.
    assert [a.lower() for a in managed[f"{PREFIX}:policy/s3-reader"].permissions] == ["s3:getobject", "s3:listbucket"]
    (boundary,) = grants["permissions-boundary"]
    assert boundary.target == f"{PREFIX}:policy/boundaries/agent-boundary"
    assert [st.effect for st in boundary.statements] == [Effect.ALLOW, Effect.DENY]  # from a URL-encoded document
    assert len({g.uid for gs in grants.values() for g in gs}) == 4


def test_user_grants_include_group_policies_and_boundary() -> None:
    grants = _by_kind(grants_of(gaad_records(), "bedrock-bot"))
    assert sorted(grants) == ["group-policy", "inline-policy", "managed-policy", "permissions-boundary"]
    (inline,) = grants["inline-policy"]
    assert [a.lower() for a in inline.permissions] == ["bedrock:converse", "bedrock:conversestream"]  # URL-encoded
    group = {g.target.rsplit("#", 1)[-1].rsplit("/", 1)[-1]: g for g in grants["group-policy"]}
    assert set(group) == {"notebook-access", "AmazonBedrockReadOnly"}
    assert all("ml-engineers" in g.name for g in grants["group-policy"])
    assert [a.lower() for a in group["AmazonBedrockReadOnly"].permissions] == ["bedrock:get*", "bedrock:list*"]


def test_admin_through_a_group_and_boundary_capping_on_normalized_grants() -> None:
    records = gaad_records()
    assert admin_equivalent(grants_of(records, "alice")) is not None  # AdministratorAccess via group admins
    assert admin_equivalent(grants_of(records, "ops-admin")) is not None
    assert admin_equivalent(grants_of(records, "gh-deployer")) is None  # PowerUser-style NotAction iam:*
    inv = grants_of(records, "invoice-reconciler")
    effective = [h.pattern.lower() for h in effective_actions(inv)]
    assert "bedrock:invokemodel" in effective and "s3:getobject" in effective
    assert allows(inv, "iam:PassRole") is None
    gh = grants_of(records, "gh-deployer")
    assert allows(gh, "iam:PassRole", f"{PREFIX}:role/app-worker") is not None  # explicit Allow beside NotAction
    assert allows(gh, "iam:PassRole", f"{PREFIX}:role/ops-admin") is None
    assert grants_of(records, "legacy-batch") == []


# --- Bedrock API keys (service-specific credentials) ----------------------------------------------------------------


def _service_credentials() -> dict[str, Credential]:
    """The connector resolves each credential's user through GAAD, so IAM paths are kept."""
    arns = {u["UserName"]: u["Arn"] for u in fixture("get_account_authorization_details.json")["UserDetailList"]}
    listed = fixture("list_service_specific_credentials.json")["ServiceSpecificCredentials"]
    return {c["ServiceSpecificCredentialId"]: service_specific_record(ACCOUNT, c, arns[c["UserName"]]) for c in listed}


@pytest.mark.parametrize(
    ("cred_id", "active", "expires"),
    [
        pytest.param("ACCAQXAMPLEBEDROCK01", True, at("2026-09-01T12:00:05"), id="active-with-expiry"),
        pytest.param("ACCAQXAMPLEBEDROCK02", True, None, id="never-expires"),
        pytest.param("ACCAQXAMPLEBEDROCK03", False, at("2025-05-31T09:00:00"), id="expired-status-is-inactive"),
    ],
)
def test_service_specific_credentials(cred_id: str, active: bool, expires: datetime | None) -> None:
    cred = _service_credentials()[cred_id]
    assert cred.uid == f"aws:service-specific:{cred_id}"
    assert (cred.kind, cred.service, cred.native_id) == ("service_specific", "bedrock.amazonaws.com", cred_id)
    assert (cred.active, cred.expires_at, cred.last_used_at) == (active, expires, None)
    assert cred.usage_visible is False  # AWS never reports when a Bedrock API key was last used


def test_service_specific_credential_of_a_root_path_user_attaches_to_it() -> None:
    users = identities(gaad_records())
    assert _service_credentials()["ACCAQXAMPLEBEDROCK01"].identity_uid == users["BedrockAPIKey-x1y2"].uid


def test_service_specific_credential_of_a_user_with_a_path_attaches_to_it() -> None:
    # Regression: the user ARN was rebuilt as {prefix}:user/{UserName}, dropping the IAM path (/agents/).
    users = identities(gaad_records())
    assert _service_credentials()["ACCAQXAMPLEBEDROCK02"].identity_uid == users["bedrock-bot"].uid


# --- runtimes: names of environment variables, never their values ---------------------------------------------------


def test_env_var_names_are_names_only_and_sorted() -> None:
    support, thumbnailer = fixture("list_functions.json")["Functions"]
    assert env_var_names(support) == ("ANTHROPIC_API_KEY", "LOG_LEVEL", "OPENAI_API_KEY")
    assert env_var_names(thumbnailer) == ()
    assert env_var_names({"Environment": {"Variables": None}}) == ()
    assert env_var_names({"Environment": {"Error": {"ErrorCode": "KMSAccessDenied"}}}) == ()


class FakePaginator:
    """Serves recorded pages, whatever the parameters."""

    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages

    def paginate(self, **_: Any) -> Iterator[dict[str, Any]]:
        return iter(self.pages)


class FakeClient:
    """A boto3-shaped client answering from recorded responses: pages for paginators, callables for operations."""

    def __init__(self, pages: dict[str, list[dict[str, Any]]] | None = None, **operations: Callable[..., Any]) -> None:
        self.pages = pages or {}
        self.operations = operations

    def get_paginator(self, name: str) -> FakePaginator:
        return FakePaginator(self.pages[name])

    def __getattr__(self, name: str) -> Callable[..., Any]:
        operations = self.__dict__.get("operations", {})
        if name in operations:
            return operations[name]  # type: ignore[no-any-return]
        raise AttributeError(name)


class FakeCollector:
    """What regional_records needs of an AccountCollector."""

    def __init__(self, clients: dict[str, FakeClient]) -> None:
        self.account = ACCOUNT
        self.regions = ("us-east-1",)
        self._clients = clients
        self.clients = self
        self.gaps: list[tuple[Any, ...]] = []

    def get(self, service: str, region: str | None = None) -> FakeClient:
        return self._clients[service]

    def gap(self, *args: Any, **kwargs: Any) -> None:
        self.gaps.append((*args, kwargs))


def _get_agent(agentId: str) -> dict[str, Any]:
    agent = fixture("get_agent.json")
    assert agentId == agent["agent"]["agentId"]
    return agent  # type: ignore[no-any-return]


def regional() -> tuple[list[Record], FakeCollector]:
    agent = fixture("get_agent.json")["agent"]
    summary = {k: agent[k] for k in ("agentId", "agentName", "agentStatus", "updatedAt")}
    collector = FakeCollector(
        {
            "bedrock-agent": FakeClient({"list_agents": [{"agentSummaries": [summary]}]}, get_agent=_get_agent),
            "bedrock-agentcore-control": FakeClient(list_agent_runtimes=lambda **_: {"agentRuntimes": []}),
            "lambda": FakeClient({"list_functions": [fixture("list_functions.json")]}),
            "sagemaker": FakeClient({"list_notebook_instances": [{"NotebookInstances": []}]}),
        }
    )
    return list(regional_records(collector)), collector  # type: ignore[arg-type]


def test_regional_runtimes_from_get_agent_and_list_functions() -> None:
    records, collector = regional()
    assert collector.gaps == []
    found = {w.name: w for w in records if isinstance(w, Workload)}
    assert set(found) == {"invoice-agent", "support-triage", "thumbnailer"}
    agent = found["invoice-agent"]
    assert (agent.kind, agent.region, agent.scope) == ("bedrock-agent", "us-east-1", ACCOUNT)
    assert agent.runs_as_uid == role_uid(f"{PREFIX}:role/invoice-reconciler")
    assert agent.native_ids == (f"arn:aws:bedrock:us-east-1:{ACCOUNT}:agent/INVAGENT01",)
    lam = found["support-triage"]
    assert lam.kind == "lambda-function" and lam.runs_as_uid == role_uid(f"{PREFIX}:role/support-router")
    assert lam.env_var_names == ("ANTHROPIC_API_KEY", "LOG_LEVEL", "OPENAI_API_KEY")
    assert found["thumbnailer"].env_var_names == ()


def test_no_environment_variable_value_appears_in_any_record() -> None:
    raw = json.dumps(fixture("list_functions.json"))
    assert raw.count(CANARY) == 3  # the fixture really carries the secret-looking values
    records = [*gaad_records(), *regional()[0]]
    records.append(
        workload(
            kind="lambda-function",
            arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:support-triage",
            name="support-triage",
            role_arn=f"{PREFIX}:role/support-router",
            scope=ACCOUNT,
            region="us-east-1",
            env_names=env_var_names(fixture("list_functions.json")["Functions"][0]),
        )
    )
    for rec in records:
        assert CANARY not in repr(rec), rec


def test_fixture_estate_classifies_end_to_end() -> None:
    gaad = gaad_records()
    bot = fixture("list_access_keys_bedrock-bot.json")["AccessKeyMetadata"]
    keys = [access_key_record(BOT_ARN, ACCOUNT, k, report()[BOT_ARN]) for k in bot]
    records = [*gaad, *keys, *_service_credentials().values(), *regional()[0]]
    result = run(records)
    verdicts = {result.index.identities[uid].name: v for uid, v in result.verdicts.items()}
    agents = {name for name, v in verdicts.items() if v.is_agent}
    assert {"invoice-reconciler", "support-router", "BedrockAPIKey-x1y2"} <= agents
    assert not {"alice", "gh-deployer", "legacy-batch", "AWSServiceRoleForSupport", "open-relay"} & agents
    router = {ev.signal for ev in verdicts["support-router"].evidence}
    assert "ai-sdk-environment" in router
    assert "bedrock-agent-runtime" in {ev.signal for ev in verdicts["invoice-reconciler"].evidence}
    for finding in result.findings:
        assert CANARY not in repr(finding)
