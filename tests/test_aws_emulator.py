"""Real-behaviour tests of the local AWS emulator and the demo estate, through boto3 over HTTP."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from connectors.aws.demo_estate import seed_demo_org
from connectors.aws.emulator import DEFAULT_MANAGED_POLICIES, AwsEmulator
from connectors.aws.emulator_seed import allow, service_trust
from connectors.aws.emulator_state import iam_backend

DEFAULT_ACCOUNT = "123456789012"
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


@pytest.fixture(scope="module")
def emu() -> Iterator[AwsEmulator]:
    with pytest.MonkeyPatch.context() as mp:
        for name, value in FAKE_ENV.items():
            mp.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            mp.delenv(name, raising=False)
        with AwsEmulator() as emulator:
            yield emulator


@pytest.fixture(autouse=True)
def fresh(emu: AwsEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    emu.reset()


def _member(emu: AwsEmulator, name: str = "member") -> str:
    org = emu.client("organizations")
    try:
        org.create_organization(FeatureSet="ALL")
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "AlreadyInOrganizationException"
    status = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
    return str(status["AccountId"])


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _trust() -> str:
    return json.dumps(service_trust("lambda.amazonaws.com"))


def test_counts_per_account_and_operation_match_client_side(emu: AwsEmulator) -> None:
    member = _member(emu)
    emu.reset_counts()
    sent: list[str] = []
    iam, lam, agents = emu.client("iam"), emu.client("lambda"), emu.client("bedrock-agent")
    member_iam = emu.assumed_client("iam", member)
    for client in (iam, lam, agents, member_iam):
        client.meta.events.register("before-send", lambda request, **_: sent.append(request.url))
    iam.list_users()
    iam.list_users()
    lam.list_functions()
    agents.list_agents()
    member_iam.list_roles()
    counts = emu.counts()
    assert counts[DEFAULT_ACCOUNT] == {
        "iam:ListUsers": 2,
        "lambda:ListFunctions": 1,
        "bedrock-agent:ListAgents": 1,
        "sts:AssumeRole": 1,
    }
    assert counts[member] == {"iam:ListRoles": 1}
    assert emu.total_calls(member) == 1
    assert emu.total_calls() == len(sent) + 1  # + the AssumeRole made by assumed_client's own sts client
    emu.reset_counts()
    assert emu.counts() == {} and emu.total_calls() == 0


def _bulk_roles(emu: AwsEmulator, account: str, count: int) -> None:
    with emu.exclusive():
        backend = iam_backend(account)
        for index in range(count):
            backend.create_role(f"role-{index:04d}", _trust(), "/", None, "", [], None)


def test_gaad_pages_like_aws(emu: AwsEmulator) -> None:
    _bulk_roles(emu, DEFAULT_ACCOUNT, 250)
    iam = emu.client("iam")
    iam.create_user(UserName="u1")
    iam.create_group(GroupName="g1")
    pages, marker = [], None
    while True:
        kwargs: dict[str, Any] = {"MaxItems": 100} | ({"Marker": marker} if marker else {})
        page = iam.get_account_authorization_details(**kwargs)
        pages.append(page)
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    roles = [r["RoleName"] for p in pages for r in p["RoleDetailList"]]
    assert len(pages) >= 3
    assert sorted(roles) == [f"role-{i:04d}" for i in range(250)]
    assert [u["UserName"] for u in pages[0]["UserDetailList"]] == ["u1"]
    assert emu.counts()[DEFAULT_ACCOUNT]["iam:GetAccountAuthorizationDetails"] == len(pages)
    full = iam.get_paginator("get_account_authorization_details").paginate().build_full_result()
    assert len(full["RoleDetailList"]) == 250
    assert len(iam.get_account_authorization_details(MaxItems=1000)["RoleDetailList"]) < 250  # gaad_page_size cap


def test_gaad_filter_and_policy_names(emu: AwsEmulator) -> None:
    iam = emu.client("iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=_trust())
    iam.create_user(UserName="u")
    document = json.dumps(allow(("s3:GetObject", "*")))
    arn = iam.create_policy(PolicyName="local", PolicyDocument=document)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    roles_only = iam.get_account_authorization_details(Filter=["Role"])
    assert [r["RoleName"] for r in roles_only["RoleDetailList"]] == ["r"]
    assert roles_only["UserDetailList"] == [] and roles_only["Policies"] == []
    local = iam.get_account_authorization_details(Filter=["LocalManagedPolicy"])["Policies"]
    assert [(p["PolicyName"], p["Arn"]) for p in local] == [("local", arn)]
    assert local[0]["PolicyId"] and local[0]["PolicyVersionList"][0]["Document"] == json.loads(document)


def test_aws_managed_policies_attachable_and_in_gaad(emu: AwsEmulator) -> None:
    iam = emu.client("iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=_trust())
    assert iam.get_account_authorization_details(Filter=["AWSManagedPolicy"])["Policies"] == []
    for name in ("AmazonBedrockLimitedAccess", "service-role/AWSLambdaBasicExecutionRole"):
        iam.attach_role_policy(RoleName="r", PolicyArn=f"arn:aws:iam::aws:policy/{name}")
    policies = iam.get_account_authorization_details(Filter=["AWSManagedPolicy"])["Policies"]
    by_name = {p["PolicyName"]: p for p in policies}
    assert set(by_name) == {"AmazonBedrockLimitedAccess", "AWSLambdaBasicExecutionRole"}
    assert (
        by_name["AWSLambdaBasicExecutionRole"]["Arn"]
        == "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    )
    document = json.dumps(by_name["AmazonBedrockLimitedAccess"]["PolicyVersionList"][0]["Document"])
    assert "bedrock:CallWithBearerToken" in document or "bedrock:InvokeModel" in document
    scope_all = {p["PolicyName"] for p in iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]}
    assert scope_all == set(DEFAULT_MANAGED_POLICIES)
    with pytest.raises(ClientError) as exc:
        iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/AmazonEC2FullAccess")
    assert _error(exc)[0] == "NoSuchEntity"
    member_iam = emu.assumed_client("iam", _member(emu))
    member_iam.attach_role_policy(
        RoleName="OrganizationAccountAccessRole", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )


def test_list_users_pages(emu: AwsEmulator) -> None:
    iam = emu.client("iam")
    for index in range(5):
        iam.create_user(UserName=f"user-{index}")
    first = iam.list_users(MaxItems=2)
    assert first["IsTruncated"] and len(first["Users"]) == 2
    users = iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 2}).build_full_result()["Users"]
    assert sorted(u["UserName"] for u in users) == [f"user-{i}" for i in range(5)]
    assert emu.counts()[DEFAULT_ACCOUNT]["iam:ListUsers"] == 4


def test_deny_in_query_json_and_rest_json_protocols(emu: AwsEmulator) -> None:
    member = _member(emu)
    emu.deny("iam:ListRoles", account=DEFAULT_ACCOUNT)
    emu.deny("lambda:ListFunctions")
    emu.deny("organizations:ListAccounts")
    with pytest.raises(ClientError) as exc:
        emu.client("iam").list_roles()
    assert _error(exc) == ("AccessDenied", 403)
    emu.assumed_client("iam", member).list_roles()  # denied in one account only
    with pytest.raises(ClientError) as exc:
        emu.client("lambda").list_functions()
    assert _error(exc) == ("AccessDeniedException", 403)
    with pytest.raises(ClientError) as exc:
        emu.client("organizations").list_accounts()
    assert _error(exc) == ("AccessDeniedException", 403)
    emu.clear_faults()
    emu.client("iam").list_roles()
    with pytest.raises(ValueError):
        emu.deny("ListRoles")


def test_throttle_then_pass_through(emu: AwsEmulator) -> None:
    emu.throttle("iam:ListRoles", times=2)
    with pytest.raises(ClientError) as exc:
        emu.client("iam", max_attempts=1).list_roles()
    assert _error(exc) == ("Throttling", 400)
    response = emu.client("iam", max_attempts=3).list_roles()
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert emu.counts()[DEFAULT_ACCOUNT]["iam:ListRoles"] == 3
    emu.throttle("lambda:ListFunctions")
    with pytest.raises(ClientError) as exc:
        emu.client("lambda", max_attempts=1).list_functions()
    assert _error(exc) == ("ThrottlingException", 400)
    emu.client("lambda", max_attempts=1).list_functions()


def test_unimplemented_operation_is_a_clean_501(emu: AwsEmulator) -> None:
    with pytest.raises(ClientError) as exc:
        emu.client("bedrock", max_attempts=3).list_foundation_models()
    assert _error(exc) == ("NotImplemented", 501)
    assert emu.unsupported() == {"bedrock:ListFoundationModels": 1}  # 501 is not retried
    assert emu.counts()[DEFAULT_ACCOUNT] == {"bedrock:ListFoundationModels": 1}


def test_deny_assume_role_into_one_account(emu: AwsEmulator) -> None:
    blocked, open_ = _member(emu, "blocked"), _member(emu, "open")
    emu.deny_assume_role(blocked)
    sts = emu.client("sts")
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=f"arn:aws:iam::{blocked}:role/OrganizationAccountAccessRole", RoleSessionName="probe")
    assert _error(exc) == ("AccessDenied", 403)
    sts.assume_role(RoleArn=f"arn:aws:iam::{open_}:role/OrganizationAccountAccessRole", RoleSessionName="probe")


def test_service_specific_credentials(emu: AwsEmulator) -> None:
    iam = emu.client("iam")
    for user in ("ann", "ben"):
        iam.create_user(UserName=user)
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    first = emu.add_service_specific_credential(DEFAULT_ACCOUNT, "ann", created=created)
    emu.add_service_specific_credential(DEFAULT_ACCOUNT, "ann", "codecommit.amazonaws.com")
    expires = created + timedelta(days=30)
    emu.add_service_specific_credential(DEFAULT_ACCOUNT, "ben", active=False, expires=expires)
    bedrock = iam.list_service_specific_credentials(AllUsers=True, ServiceName="bedrock.amazonaws.com")
    creds = bedrock["ServiceSpecificCredentials"]
    assert [(c["UserName"], c["Status"]) for c in creds] == [("ann", "Active"), ("ben", "Inactive")]
    assert creds[0]["ServiceSpecificCredentialId"] == first and re.fullmatch(r"ACCA[A-Z0-9]{17}", first)
    assert creds[0]["CreateDate"] == created and "ExpirationDate" not in creds[0]
    assert creds[1]["ExpirationDate"] == expires and creds[1]["ServiceUserName"] == f"ben-at-{DEFAULT_ACCOUNT}"
    assert len(iam.list_service_specific_credentials(UserName="ann")["ServiceSpecificCredentials"]) == 2
    page = iam.list_service_specific_credentials(AllUsers=True, MaxItems=2)
    assert page["IsTruncated"] and len(page["ServiceSpecificCredentials"]) == 2
    rest = iam.list_service_specific_credentials(AllUsers=True, MaxItems=2, Marker=page["Marker"])
    assert not rest["IsTruncated"] and len(rest["ServiceSpecificCredentials"]) == 1
    assert iam.list_service_specific_credentials()["ServiceSpecificCredentials"] == []  # caller is no IAM user
    with pytest.raises(ClientError) as exc:
        iam.list_service_specific_credentials(UserName="nobody")
    assert _error(exc)[0] == "NoSuchEntity"
    assert emu.counts()[DEFAULT_ACCOUNT]["iam:ListServiceSpecificCredentials"] == 6


def test_service_specific_credentials_of_the_caller_and_create_api(emu: AwsEmulator) -> None:
    iam = emu.client("iam")
    iam.create_user(UserName="ann")
    key = iam.create_access_key(UserName="ann")["AccessKey"]
    made = iam.create_service_specific_credential(UserName="ann", ServiceName="bedrock.amazonaws.com")
    assert made["ServiceSpecificCredential"]["ServiceCredentialSecret"]
    as_ann = emu.client("iam", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    listed = as_ann.list_service_specific_credentials()["ServiceSpecificCredentials"]
    assert [c["UserName"] for c in listed] == ["ann"] and "ServiceCredentialSecret" not in listed[0]
    emu.reset()
    iam.create_user(UserName="ann")
    assert iam.list_service_specific_credentials(AllUsers=True)["ServiceSpecificCredentials"] == []


def test_dates_reach_api_and_credential_report(emu: AwsEmulator) -> None:
    iam = emu.client("iam")
    iam.create_user(UserName="ann")
    iam.create_login_profile(UserName="ann", Password="Not-a-real-passw0rd!")
    key_id = iam.create_access_key(UserName="ann")["AccessKey"]["AccessKeyId"]
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=_trust())
    day = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    emu.set_created(DEFAULT_ACCOUNT, "user", "ann", day - timedelta(days=400))
    emu.set_access_key_dates(
        DEFAULT_ACCOUNT, "ann", key_id, created=day - timedelta(days=300), last_used=day, last_used_service="bedrock"
    )
    emu.set_user_password_last_used(DEFAULT_ACCOUNT, "ann", day)
    emu.set_role_last_used(DEFAULT_ACCOUNT, "r", day, "eu-west-1")
    assert iam.get_role(RoleName="r")["Role"]["RoleLastUsed"] == {"LastUsedDate": day, "Region": "eu-west-1"}
    used = iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]
    assert (used["LastUsedDate"], used["ServiceName"], used["Region"]) == (day, "bedrock", "us-east-1")
    assert iam.get_user(UserName="ann")["User"]["PasswordLastUsed"] == day
    iam.generate_credential_report()
    rows = iam.get_credential_report()["Content"].decode().splitlines()
    row = dict(zip(rows[0].split(","), rows[1].split(","), strict=True))
    assert row["user_creation_time"] == "2025-01-28T05:06:07+00:00"
    assert (row["password_enabled"], row["password_last_used"]) == ("true", "2026-03-04T05:06:07+00:00")
    assert row["access_key_1_last_rotated"] == "2025-05-08T05:06:07+00:00"
    assert (row["access_key_1_last_used_service"], row["access_key_1_last_used_region"]) == ("bedrock", "us-east-1")
    assert (row["access_key_2_active"], row["access_key_2_last_used_date"], row["password_next_rotation"]) == (
        "false",
        "N/A",
        "N/A",
    )


def test_concurrent_reads_during_writes(emu: AwsEmulator) -> None:
    _bulk_roles(emu, DEFAULT_ACCOUNT, 50)
    iam = emu.client("iam")
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(5):
                iam.get_account_authorization_details(MaxItems=100)
                iam.list_roles()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for index in range(30):
        iam.create_role(RoleName=f"late-{index}", AssumeRolePolicyDocument=_trust())
    for thread in threads:
        thread.join()
    assert errors == []
    assert emu.counts()[DEFAULT_ACCOUNT]["iam:CreateRole"] == 30


def _gaad(client: Any) -> dict[str, Any]:
    return dict(client.get_paginator("get_account_authorization_details").paginate().build_full_result())


EXPECTED = {
    "management": (
        {"invoice-reconciler", "github-deploy", "TravelAgentBookingService", "support-escalation"},
        {"alice", "agent-smith"},
    ),
    "ml_prod": (
        {
            "AmazonBedrockExecutionRoleForAgents_SUPPORT7Q",
            "support-summarizer-lambda",
            "pricing-copilot",
            "research-assistant-agent",
        },
        {"BedrockAPIKey-x7q2", "claims-agent-bot"},
    ),
    "data_sandbox": (
        {"notebook-llm-experiments", "agentcore-ops-runtime", "data-admin"},
        {"etl-enricher", "bob"},
    ),
}


def test_seed_demo_org_builds_the_estate(emu: AwsEmulator) -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    org = seed_demo_org(emu, now=now)
    accounts = {"management": org.management, "ml_prod": org.ml_prod, "data_sandbox": org.data_sandbox}
    assert org.management == DEFAULT_ACCOUNT and len(set(accounts.values())) == 3
    identities = 0
    for label, account in accounts.items():
        iam = emu.client("iam") if account == org.management else emu.assumed_client("iam", account)
        gaad = _gaad(iam)
        roles = {r["RoleName"]: r for r in gaad["RoleDetailList"]}
        roles.pop("OrganizationAccountAccessRole", None)
        users = {u["UserName"] for u in gaad["UserDetailList"]}
        assert (set(roles), users) == EXPECTED[label]
        identities += len(roles) + len(users)
    assert identities == 17
    _check_management(emu, org.management)
    _check_members(emu, org.management, org.ml_prod, org.data_sandbox)
    registry = yaml.safe_load(org.registry_yaml)
    assert registry["version"] == 1
    by_id = {agent["id"]: agent for agent in registry["agents"]}
    assert set(by_id) == {
        "invoice-reconciler",
        "claims-agent",
        "pricing-copilot",
        "research-assistant",
        "agentcore-ops",
        "etl-enricher",
        "legacy-chatbot",
    }
    assert by_id["claims-agent"]["retired_on"] == (now - timedelta(days=90)).date()
    assert by_id["pricing-copilot"]["expires"] == (now - timedelta(days=60)).date()
    assert by_id["agentcore-ops"]["owner"] == f"arn:aws:iam::{org.data_sandbox}:user/departed-dev"
    assert by_id["invoice-reconciler"]["allowed_permissions"] == ["bedrock:InvokeModel", "s3:GetObject"]
    assert by_id["legacy-chatbot"]["identities"] == [f"arn:aws:iam::{org.ml_prod}:role/legacy-chatbot"]


def _check_management(emu: AwsEmulator, account: str) -> None:
    iam = emu.client("iam")
    role = iam.get_role(RoleName="invoice-reconciler")["Role"]
    principal = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": "bedrock.amazonaws.com"} and role["Tags"] == [{"Key": "team", "Value": "finance"}]
    agents = emu.client("bedrock-agent").list_agents()["agentSummaries"]
    assert [a["agentName"] for a in agents] == ["invoice-reconciler"]
    escalation = iam.get_role(RoleName="support-escalation")["Role"]
    assert escalation["Description"] == "<script>alert(1)</script> \"quotes\" 'single' javascript:alert(2)"
    assert escalation["Tags"] == [{"Key": "note", "Value": "<img src=x onerror=alert(3)>"}]
    env = emu.client("lambda").get_function(FunctionName="travel-agent-booking")["Configuration"]["Environment"]
    assert set(env["Variables"]) == {"TABLE_NAME", "PAYMENT_GATEWAY_URL"}
    github = iam.get_role(RoleName="github-deploy")["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert github["Principal"]["Federated"].endswith(":oidc-provider/token.actions.githubusercontent.com")
    assert len(iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]) == 1


def _check_members(emu: AwsEmulator, management: str, ml_prod: str, sandbox: str) -> None:
    ml_iam = emu.assumed_client("iam", ml_prod)
    org_role = ml_iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]
    assert org_role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": f"arn:aws:iam::{management}:root"
    }
    attached = ml_iam.list_attached_role_policies(RoleName="OrganizationAccountAccessRole")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AdministratorAccess"]
    functions = emu.assumed_client("lambda", ml_prod).list_functions()["Functions"]
    assert set(functions[0]["Environment"]["Variables"]) == {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "LOG_LEVEL"}
    keys = ml_iam.list_service_specific_credentials(AllUsers=True)["ServiceSpecificCredentials"]
    assert [(k["UserName"], k["ServiceName"], k["Status"]) for k in keys] == [
        ("BedrockAPIKey-x7q2", "bedrock.amazonaws.com", "Active")
    ]
    key_id = ml_iam.list_access_keys(UserName="claims-agent-bot")["AccessKeyMetadata"][0]["AccessKeyId"]
    assert ml_iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]["ServiceName"] == "bedrock"
    agents = emu.assumed_client("bedrock-agent", ml_prod).list_agents()["agentSummaries"]
    assert [a["agentName"] for a in agents] == ["support-triage"]
    notebooks = emu.assumed_client("sagemaker", sandbox).list_notebook_instances()["NotebookInstances"]
    assert [n["NotebookInstanceName"] for n in notebooks] == ["llm-experiments"]
    runtimes = emu.assumed_client("bedrock-agentcore-control", sandbox).list_agent_runtimes()["agentRuntimes"]
    assert len(runtimes) == 1
    sandbox_iam = emu.assumed_client("iam", sandbox)
    assert sandbox_iam.list_mfa_devices(UserName="bob")["MFADevices"]
