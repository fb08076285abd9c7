"""The emulators' plan appliers: each planned command changes the emulated cloud; anything unknown raises."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.aws.emulator import AwsEmulator
from connectors.aws.emulator_apply import apply_aws, default_account
from connectors.emulator_argv import UnknownCommand
from connectors.entra.emulator_apply import apply_az
from connectors.entra.emulator_model import FederatedIdentityCredential, PasswordCredential
from connectors.entra.emulator_tenant import Tenant
from connectors.gcp.emulator_apply import apply_gcloud
from connectors.gcp.emulator_org import Org
from scanner.offboard_aws import DENY_ALL_TRUST

GRAPH = "https://graph.microsoft.com/v1.0"


@pytest.mark.parametrize(
    "argv",
    [
        ("az", "ad", "sp", "delete", "--id=x"),
        ("az", "rest", "--method=get", f"--url={GRAPH}/oauth2PermissionGrants/x"),
        ("az", "rest", "--method=delete", "--url=https://example.com/v1.0/oauth2PermissionGrants/x"),
        ("az", "ad", "sp", "update", "--id=x", "--set", "displayName=y"),
        ("az", "ad", "app", "credential", "delete", "--id=x", "--key-id=y", "--append"),
        ("gcloud", "projects", "delete", "p"),
        ("gcloud", "iam", "service-accounts", "disable", "a@p.iam.gserviceaccount.com", "--impersonate=x"),
        ("gcloud", "services", "api-keys", "delete", "--quiet"),
        ("az", "--version"),
    ],
)
def test_unknown_commands_and_options_raise(argv: tuple[str, ...]) -> None:
    with pytest.raises(UnknownCommand):
        if argv[0] == "az":
            apply_az(Tenant(), argv)
        else:
            apply_gcloud(Org(), argv)


def test_az_applier_changes_the_tenant() -> None:
    tenant = Tenant()
    graph = tenant.add_graph_resource_sp()
    secret = PasswordCredential("key-1")
    federated = FederatedIdentityCredential("fic-1", "github", "https://token.actions.githubusercontent.com", "repo:x")
    app, sp = tenant.add_app_with_sp(
        "Agent", app_fields={"password_credentials": (secret,), "federated_identity_credentials": (federated,)}
    )
    assignment = tenant.assign_app_role(sp, graph, "Mail.Read")
    grant = tenant.consent(sp, graph, ["User.Read"])
    role = tenant.assign_directory_role(sp.id, "Global Administrator")
    for argv in (
        ("az", "ad", "sp", "update", f"--id={sp.id}", "--set", "accountEnabled=false"),
        (
            "az",
            "rest",
            "--method=delete",
            f"--url={GRAPH}/servicePrincipals/{sp.id}/appRoleAssignments/{assignment.id}",
        ),
        ("az", "rest", "--method=delete", f"--url={GRAPH}/oauth2PermissionGrants/{grant.id}"),
        ("az", "rest", "--method=delete", f"--url={GRAPH}/roleManagement/directory/roleAssignments/{role.id}"),
        ("az", "ad", "app", "credential", "delete", f"--id={app.app_id}", "--key-id=key-1"),
        ("az", "ad", "app", "federated-credential", "delete", f"--id={app.app_id}", "--federated-credential-id=fic-1"),
    ):
        apply_az(tenant, argv)
    assert sp.account_enabled is False
    assert tenant.app_role_assignments == tenant.oauth2_permission_grants == tenant.role_assignments == []
    assert app.password_credentials == () and app.federated_identity_credentials == ()
    with pytest.raises(LookupError):  # already gone: Graph answers 404, the applier raises
        apply_az(tenant, ("az", "rest", "--method=delete", f"--url={GRAPH}/oauth2PermissionGrants/{grant.id}"))


def test_gcloud_applier_changes_the_org() -> None:
    org = Org()
    project = org.add_project("data-pipelines")
    account = org.add_service_account(project, "llm-pipeline")
    key = org.add_key(account, datetime(2021, 1, 1, tzinfo=UTC))
    org.grant(project, "roles/aiplatform.user", account.member)
    org.grant(project, "roles/aiplatform.user", "user:jane@example.com")
    api_key = org.add_api_key(project, "website-chat")
    email, scope = account.email, f"--project={project.project_id}"
    for argv in (
        ("gcloud", "iam", "service-accounts", "disable", email, scope),
        ("gcloud", "iam", "service-accounts", "keys", "disable", key.key_id, f"--iam-account={email}", scope),
        ("gcloud", "projects", "remove-iam-policy-binding", project.number, f"--member={account.member}",
         "--role=roles/aiplatform.user"),
        ("gcloud", "iam", "service-accounts", "keys", "delete", key.key_id, f"--iam-account={email}", scope, "--quiet"),
        ("gcloud", "services", "api-keys", "delete", f"projects/{project.number}/locations/global/keys/{api_key.uid}",
         "--quiet"),
    ):  # fmt: skip
        apply_gcloud(org, argv)
    assert account.disabled and account.keys == [] and project.api_keys == []
    assert [(b.role, b.members) for b in project.policy.bindings] == [
        ("roles/aiplatform.user", ["user:jane@example.com"])
    ]
    with pytest.raises(LookupError):
        apply_gcloud(org, ("gcloud", "iam", "service-accounts", "disable", "nobody@x.iam.gserviceaccount.com"))


def test_aws_applier_calls_the_emulator(aws_emulator: AwsEmulator) -> None:
    aws_emulator.reset()
    iam = aws_emulator.client("iam")
    user = iam.create_user(UserName="claims-agent-bot")["User"]
    assert user["UserId"].startswith("AIDA")  # like AWS, so a deleted user's id is still placed in its provider
    key = iam.create_access_key(UserName="claims-agent-bot")["AccessKey"]["AccessKeyId"]
    iam.create_role(RoleName="pricing-copilot", AssumeRolePolicyDocument=DENY_ALL_TRUST)
    home = default_account(aws_emulator)
    for argv in (
        (
            "aws",
            "iam",
            "update-access-key",
            "--user-name=claims-agent-bot",
            f"--access-key-id={key}",
            "--status=Inactive",
        ),
        ("aws", "iam", "delete-access-key", "--user-name=claims-agent-bot", f"--access-key-id={key}"),
        ("aws", "iam", "delete-user", "--user-name=claims-agent-bot"),
        ("aws", "iam", "delete-role", "--role-name=pricing-copilot"),
    ):
        apply_aws(aws_emulator, home, argv, home=home)
    assert [u["UserName"] for u in iam.list_users()["Users"]] == []
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []
    for unknown in (
        ("aws", "iam", "create-user", "--user-name=x"),  # not a planned command
        ("aws", "iam", "delete-user", "--user-name=x", "--no-such-option=1"),
        ("aws", "iam", "delete-user", "--user-name", "x"),  # only --name=value, as the planner writes
        ("gcloud", "iam", "delete-user"),
    ):
        with pytest.raises(UnknownCommand):
            apply_aws(aws_emulator, home, unknown, home=home)
