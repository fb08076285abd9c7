"""Bulk seeding of emulated AWS accounts in the emulator's process: moto's models are filled directly.

Over HTTP, 10,000 CreateRole calls take minutes (moto's create_role scans every role); here the same roles take
well under a second. Call these inside `AwsEmulator.exclusive()` after the emulator has started (so new accounts
get the emulator's AWS managed policies), in the process that runs the emulator.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.seed_policies import ROLE_POLICY_MIX

MANAGEMENT = "123456789012"  # moto's default account: the organization's management account
ORG_ROLE = "OrganizationAccountAccessRole"
BEDROCK = "bedrock.amazonaws.com"
# The engine benchmark's mix, within the emulator's AWS managed policies (ViewOnlyAccess is not among them).
ROLE_POLICIES = {
    ("AmazonS3FullAccess" if name == "ViewOnlyAccess" else name): share for name, share in ROLE_POLICY_MIX.items()
}
NOW = datetime.now(UTC).replace(tzinfo=None)  # moto keeps naive UTC


@dataclass(frozen=True)
class AccountShape:
    """What one account holds."""

    roles: int
    users: int
    users_with_keys: int
    bedrock_roles: int  # of the roles: trust bedrock.amazonaws.com, with AmazonBedrockFullAccess
    bedrock_keys: int = 0  # of the users with keys: also a Bedrock API key (service-specific credential)


def _trust(principal: dict[str, Any], condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _policy(actions: list[str], resource: str = "*") -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}
    )


def create_organization(members: int) -> list[str]:
    """An organization in moto's default account with `members` ACTIVE member accounts; returns their ids.

    Each member gets OrganizationAccountAccessRole, as moto's CreateAccount gives it.
    """
    from moto.organizations.models import organizations_backends

    org = organizations_backends[MANAGEMENT]["aws"]
    org.create_organization(region="us-east-1", FeatureSet="ALL")
    for number in range(members):
        org.create_account(AccountName=f"member-{number:04d}", Email=f"member-{number:04d}@example.com")
    return [account.id for account in org.accounts if account.id != MANAGEMENT]


def seed_account(account: str, shape: AccountShape, seed: int = 7) -> dict[str, int]:
    """Fill one account's IAM backend; returns what was created (roles, users, keys, bedrock_roles, bedrock_keys)."""
    from moto.iam import models as iam_models
    from moto.iam.utils import random_role_id

    from connectors.aws import emulator_ssc
    from connectors.aws.emulator_state import iam_backend

    rng = random.Random(f"{seed}-{account}")
    backend: Any = iam_backend(account)  # moto's models, filled directly
    role_class: Any = iam_models.Role
    policies = {policy.name: policy for policy in backend.aws_managed_policies}

    def ago(days: int) -> datetime:
        return NOW - timedelta(days=rng.randint(0, days), seconds=rng.randint(0, 86_399))

    trusts = {
        "bedrock": _trust({"Service": BEDROCK}, {"StringEquals": {"aws:SourceAccount": account}}),
        "lambda": _trust({"Service": "lambda.amazonaws.com"}),
        "ec2": _trust({"Service": "ec2.amazonaws.com"}),
        "ecs": _trust({"Service": "ecs-tasks.amazonaws.com"}),
        "root": _trust({"AWS": f"arn:aws:iam::{account}:root"}),
    }
    inline = {
        "read-data": _policy(["s3:GetObject", "s3:ListBucket"], f"arn:aws:s3:::data-{account}/*"),
        "queue": _policy(["sqs:SendMessage", "sqs:ReceiveMessage"]),
        "assume": _policy(["sts:AssumeRole"], f"arn:aws:iam::{account}:role/*"),
        "invoke": _policy(["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]),
    }
    for number in range(shape.roles):
        ai = number < shape.bedrock_roles
        roll = rng.random()
        kind = "bedrock" if ai else "root" if roll < 0.12 else rng.choice(("lambda", "ec2", "ecs"))
        name = f"bedrock-agent-{number:05d}" if ai else f"svc-{number:05d}"
        role = role_class(
            account_id=account,
            partition="aws",
            role_id=random_role_id(account),
            name=name,
            assume_role_policy_document=trusts[kind],
            path="/",
            permissions_boundary=None,
            description="Bedrock agent execution role" if ai else "",
            tags=[{"Key": "team", "Value": f"team-{number % 17}"}] if number % 3 else [],
            max_session_duration="3600",
        )
        role.create_date = ago(1500)
        if rng.random() < 0.7:
            role.last_used, role.last_used_region = ago(200), "us-east-1"
        backend.roles[role.id] = role
        managed = (
            "AmazonBedrockFullAccess"
            if ai
            else "AdministratorAccess"
            if roll > 0.99
            else rng.choices(list(ROLE_POLICIES), list(ROLE_POLICIES.values()))[0]
        )
        policies[managed].attach_to(role)
        if ai:
            role.put_policy("invoke", inline["invoke"])
        elif rng.random() < 0.5:
            policy = "assume" if rng.random() < 0.06 else rng.choice(("read-data", "queue"))
            role.put_policy(policy, inline[policy])
    keys = bedrock_keys = 0
    for number in range(shape.users):
        name = f"ci-user-{number:05d}"
        user: Any = backend.create_user("us-east-1", name)
        user.create_date = ago(2000)
        policies["AmazonS3ReadOnlyAccess"].attach_to(user)
        if number % 20 == 0:  # a person, with a console password
            user.password, user.password_last_used = "not-a-real-password", ago(60)
        if number < shape.users_with_keys:
            for _ in range(2 if number % 10 == 5 else 1):
                key: Any = backend.create_access_key(name)
                key.create_date = ago(900)
                if keys % 10 == 0:
                    key.last_used = iam_models.AccessKeyLastUsed(ago(90), "s3", "us-east-1")
                keys += 1
            if number < shape.bedrock_keys:
                emulator_ssc.add_credential(backend, name, BEDROCK, created=ago(120))
                bedrock_keys += 1
    return {
        "roles": shape.roles,
        "users": shape.users,
        "keys": keys,
        "bedrock_roles": min(shape.bedrock_roles, shape.roles),
        "bedrock_keys": bedrock_keys,
    }
