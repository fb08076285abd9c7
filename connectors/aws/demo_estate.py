"""The demo estate: a three-account AWS organization with agents, decoys and humans, plus its sample registry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from connectors.aws.emulator import AwsEmulator
from connectors.aws.emulator_seed import AWS_POLICY, ORG_ROLE, SeedAccount, allow, service_trust

BEDROCK, LAMBDA, AGENTCORE = "bedrock.amazonaws.com", "lambda.amazonaws.com", "bedrock-agentcore.amazonaws.com"
INVOKE = "bedrock:InvokeModel"
HOSTILE_DESCRIPTION = "<script>alert(1)</script> \"quotes\" 'single' javascript:alert(2)"
HOSTILE_TAG = "<img src=x onerror=alert(3)>"  # real IAM rejects <> in tag values; moto keeps them for the HTML tests


@dataclass(frozen=True)
class DemoOrg:
    """Account ids of the seeded organization and the sample registry that goes with it."""

    management: str
    ml_prod: str
    data_sandbox: str
    registry_yaml: str


def _root_trust(account: str) -> dict[str, Any]:
    principal = {"AWS": f"arn:aws:iam::{account}:root"}
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
    }


def _github_trust(account: str) -> dict[str, Any]:
    host = "token.actions.githubusercontent.com"
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/{host}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {f"{host}:aud": "sts.amazonaws.com"},
            "StringLike": {f"{host}:sub": "repo:acme/infra:ref:refs/heads/main"},
        },
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def seed_management(acct: SeedAccount) -> None:
    """Identities 1-6: a registered agent, a CI role, humans, a name decoy and a hostile description."""
    invoice_policy = allow((INVOKE, "*"), ("s3:GetObject", "arn:aws:s3:::acme-invoices/*"))
    invoice = acct.role(
        "invoice-reconciler",
        service_trust(BEDROCK, acct.id),
        created_days=400,
        last_used_days=1,
        inline={"invoke-and-read": invoice_policy},
        Tags=[{"Key": "team", "Value": "finance"}],
    )
    acct.bedrock_agent("invoice-reconciler", invoice, "Match supplier invoices to purchase orders and flag gaps.")
    acct.client("iam").create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["f" * 40]
    )
    acct.role("github-deploy", _github_trust(acct.id), created_days=700, last_used_days=2, managed=["PowerUserAccess"])
    acct.user("alice", created_days=900, password_used_days=1)
    acct.access_key("alice", created_days=200, used_days=1, service="s3")
    travel = acct.role(
        "TravelAgentBookingService",
        service_trust(LAMBDA),
        created_days=600,
        last_used_days=0.5,
        managed=["AmazonDynamoDBFullAccess"],
        Description="Books flights and hotels for the travel desk",
    )
    acct.lambda_function(
        "travel-agent-booking", travel, {"TABLE_NAME": "bookings", "PAYMENT_GATEWAY_URL": "https://pay.example.com"}
    )
    acct.user("agent-smith", created_days=800, managed=["ReadOnlyAccess"], password_used_days=10)
    acct.role(
        "support-escalation",
        service_trust(LAMBDA),
        created_days=200,
        inline={"write-logs": allow(("logs:PutLogEvents", f"arn:aws:logs:us-east-1:{acct.id}:log-group:/support/*"))},
        Description=HOSTILE_DESCRIPTION,
        Tags=[{"Key": "note", "Value": HOSTILE_TAG}],
    )


def seed_ml_prod(acct: SeedAccount) -> None:
    """Identities 7-12: shadow agents, a Bedrock API key, a retired agent's live key, an expired and a drifted agent."""
    _seed_ml_prod_shadow(acct)
    _seed_ml_prod_registered(acct)


def _seed_ml_prod_shadow(acct: SeedAccount) -> None:
    """Identities 7-9, none registered: a Bedrock agent role, an LLM-calling Lambda, a Bedrock API key user."""
    support = acct.role(
        "AmazonBedrockExecutionRoleForAgents_SUPPORT7Q",
        service_trust(BEDROCK, acct.id),
        created_days=45,
        last_used_days=1,
        managed=["AmazonBedrockFullAccess"],
        inline={"read-kb": allow(("s3:GetObject", "arn:aws:s3:::acme-support-kb/*"))},
        Path="/service-role/",
    )
    acct.bedrock_agent("support-triage", support, "Triage incoming support tickets and route them to the right team.")
    summarizer = acct.role(
        "support-summarizer-lambda",
        service_trust(LAMBDA),
        created_days=30,
        last_used_days=0.2,
        managed=["service-role/AWSLambdaBasicExecutionRole"],
    )
    env = {
        "OPENAI_API_KEY": "sk-demo-CANARY-0000000000000000",  # fake canary values: the scanner must never read them
        "ANTHROPIC_API_KEY": "sk-ant-demo-CANARY-000000",
        "LOG_LEVEL": "info",
    }
    acct.lambda_function("support-summarizer", summarizer, env)
    acct.user("BedrockAPIKey-x7q2", created_days=40, managed=["AmazonBedrockLimitedAccess"])
    acct.emu.add_service_specific_credential(acct.id, "BedrockAPIKey-x7q2", created=acct.ago(40))


def _seed_ml_prod_registered(acct: SeedAccount) -> None:
    """Identities 10-12, registered: retired but keyed, expired time-box, scope drift."""
    acct.user("claims-agent-bot", created_days=420, inline={"claims": allow((INVOKE, "*"), ("dynamodb:Query", "*"))})
    acct.access_key("claims-agent-bot", created_days=300, used_days=5, service="bedrock")
    acct.role(
        "pricing-copilot",
        service_trust(AGENTCORE, acct.id),
        created_days=200,
        last_used_days=3,
        inline={"invoke": allow((INVOKE, "*"))},
    )
    acct.role(
        "research-assistant-agent",
        service_trust(BEDROCK, acct.id),
        created_days=150,
        last_used_days=2,
        inline={"everything": allow((["bedrock:*", "s3:*"], "*"))},
    )


def seed_data_sandbox(acct: SeedAccount) -> None:
    """Identities 13-17: a notebook agent, an AgentCore runtime with a path to admin, a stale key, a human."""
    notebook = acct.role(
        "notebook-llm-experiments",
        service_trust("sagemaker.amazonaws.com"),
        created_days=100,
        last_used_days=4,
        managed=["AmazonSageMakerFullAccess"],
        inline={"invoke": allow((INVOKE, "*"))},
    )
    acct.notebook("llm-experiments", notebook)
    data_admin = acct.arn("role", "data-admin")
    runtime = acct.role(
        "agentcore-ops-runtime",
        service_trust(AGENTCORE, acct.id),
        created_days=250,
        last_used_days=1,
        inline={"ops": allow(("sts:AssumeRole", data_admin), (INVOKE, "*"))},
    )
    acct.agentcore_runtime("agentcore_ops_runtime", runtime)  # moto implements CreateAgentRuntime
    acct.role("data-admin", _root_trust(acct.id), created_days=900, managed=["AdministratorAccess"])
    etl_policy = allow((INVOKE, "*"), ("s3:GetObject", "arn:aws:s3:::acme-etl-staging/*"))
    acct.user("etl-enricher", created_days=510, inline={"enrich": etl_policy})
    acct.access_key("etl-enricher", created_days=500, used_days=200, service="bedrock")
    acct.user("bob", created_days=700, managed=["ReadOnlyAccess"], password_used_days=2)
    acct.virtual_mfa("bob")


def _org_role_like_aws(member: SeedAccount, management: str) -> None:
    """AWS's OrganizationAccountAccessRole trusts the management root and has AdministratorAccess."""
    iam = member.client("iam")
    iam.update_assume_role_policy(RoleName=ORG_ROLE, PolicyDocument=json.dumps(_root_trust(management)))
    iam.attach_role_policy(RoleName=ORG_ROLE, PolicyArn=AWS_POLICY + "AdministratorAccess")


def _create_account(org: Any, name: str) -> str:
    status = org.create_account(AccountName=name, Email=f"aws+{name}@example.com")["CreateAccountStatus"]
    return str(status["AccountId"])


def seed_demo_org(emu: AwsEmulator, *, now: datetime | None = None) -> DemoOrg:
    """Build the three-account demo organization in a started emulator; returns its ids and registry."""
    now = now or datetime.now(UTC)
    org = emu.client("organizations")
    org.create_organization(FeatureSet="ALL")
    management = str(org.describe_organization()["Organization"]["MasterAccountId"])
    ml_prod, sandbox = _create_account(org, "ml-prod"), _create_account(org, "data-sandbox")
    seed_management(SeedAccount(emu, management, now, assumed=False))
    for account, seed in ((ml_prod, seed_ml_prod), (sandbox, seed_data_sandbox)):
        member = SeedAccount(emu, account, now, assumed=True)
        _org_role_like_aws(member, management)
        seed(member)
    return DemoOrg(management, ml_prod, sandbox, registry_yaml(management, ml_prod, sandbox, now.date()))


REGISTRY_TEMPLATE = """\
# Sample shadowsweep agent registry for the demo organization (CONTRACT v1).
version: 1
agents:
  - id: invoice-reconciler
    owner: jane.doe@example.com
    purpose: Reconcile supplier invoices against purchase orders
    status: active
    environment: prod
    allowed_permissions: [bedrock:InvokeModel, s3:GetObject]
    identities:
      - arn:aws:iam::{management}:role/invoice-reconciler
  - id: claims-agent
    owner: omar.haddad@example.com
    purpose: Triage insurance claims (decommissioned)
    status: retired
    environment: prod
    retired_on: {retired_on}
    identities:
      - arn:aws:iam::{ml_prod}:user/claims-agent-bot
  - id: pricing-copilot
    owner: li.wei@example.com
    purpose: Suggest price changes to the pricing team
    status: active
    environment: prod
    expires: {expired}
    identities:
      - arn:aws:iam::{ml_prod}:role/pricing-copilot
  - id: research-assistant
    owner: sara.k@example.com
    purpose: Summarise research papers for analysts
    status: active
    environment: prod
    allowed_permissions: [bedrock:InvokeModel]
    identities:
      - arn:aws:iam::{ml_prod}:role/research-assistant-agent
  - id: agentcore-ops
    owner: "arn:aws:iam::{sandbox}:user/departed-dev"
    purpose: Run operational runbooks on Bedrock AgentCore
    status: active
    environment: sandbox
    allowed_permissions: [bedrock:InvokeModel, sts:AssumeRole]
    identities:
      - arn:aws:iam::{sandbox}:role/agentcore-ops-runtime
  - id: etl-enricher
    owner: dana.r@example.com
    purpose: Enrich ETL records with model-generated labels
    status: active
    environment: sandbox
    allowed_permissions: [bedrock:InvokeModel, s3:GetObject]
    identities:
      - arn:aws:iam::{sandbox}:user/etl-enricher
  - id: legacy-chatbot
    owner: max.m@example.com
    purpose: Customer FAQ chatbot (v1)
    status: active
    environment: prod
    identities:
      - arn:aws:iam::{ml_prod}:role/legacy-chatbot
"""


def registry_yaml(management: str, ml_prod: str, sandbox: str, today: date) -> str:
    """The sample registry for these account ids, with dates relative to today."""
    return REGISTRY_TEMPLATE.format(
        management=management,
        ml_prod=ml_prod,
        sandbox=sandbox,
        retired_on=(today - timedelta(days=90)).isoformat(),
        expired=(today - timedelta(days=60)).isoformat(),
    )


def plant_cross_cloud(emu: AwsEmulator, management: str, tenant_id: str, app_id: str) -> str:
    """A role that trusts tokens Entra issues to one app, with administrator access: a cross-cloud path."""
    issuer = f"sts.windows.net/{tenant_id}/"
    iam = emu.client("iam")
    iam.create_open_id_connect_provider(Url=f"https://{issuer}", ClientIDList=[app_id], ThumbprintList=["a" * 40])
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{management}:oidc-provider/{issuer}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{issuer}:aud": app_id}},
            }
        ],
    }
    name = "entra-deployer-admin"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), Description="Deploys from Azure")
    iam.attach_role_policy(RoleName=name, PolicyArn=f"{AWS_POLICY}AdministratorAccess")
    return f"arn:aws:iam::{management}:role/{name}"
