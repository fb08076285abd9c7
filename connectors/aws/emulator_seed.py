"""Seeding helpers for emulated accounts: create roles, users, keys and workloads with realistic dates."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from connectors.aws.emulator import AwsEmulator

CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
AWS_POLICY = "arn:aws:iam::aws:policy/"
ORG_ROLE = "OrganizationAccountAccessRole"


def service_trust(service: str, account: str | None = None) -> dict[str, Any]:
    """A trust policy letting an AWS service assume the role (optionally only on behalf of `account`)."""
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if account:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def allow(*grants: tuple[str | list[str], str | list[str]]) -> dict[str, Any]:
    """An Allow policy document with one statement per (actions, resources) pair."""
    statements = [{"Effect": "Allow", "Action": actions, "Resource": resources} for actions, resources in grants]
    return {"Version": "2012-10-17", "Statement": statements}


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buffer.getvalue()


class SeedAccount:
    """Seeds one account through boto3 clients, and sets through the emulator the dates the API cannot set."""

    def __init__(self, emu: AwsEmulator, account: str, now: datetime, *, assumed: bool) -> None:
        self.emu, self.id, self.now, self._assumed = emu, account, now, assumed
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        """A cached client acting in this account."""
        if service not in self._clients:
            assumed = self._assumed
            self._clients[service] = self.emu.assumed_client(service, self.id) if assumed else self.emu.client(service)
        return self._clients[service]

    def ago(self, days: float) -> datetime:
        """A moment `days` before now."""
        return self.now - timedelta(days=days)

    def arn(self, kind: str, name: str) -> str:
        """The IAM ARN of a role or user of this account."""
        return f"arn:aws:iam::{self.id}:{kind}/{name}"

    def role(
        self,
        name: str,
        trust: dict[str, Any],
        *,
        created_days: float,
        managed: Iterable[str] = (),
        inline: dict[str, dict[str, Any]] | None = None,
        last_used_days: float | None = None,
        **extra: Any,
    ) -> str:
        """Create a role with its policies and dates; returns its ARN."""
        iam = self.client("iam")
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), **extra)["Role"]
        self._policies("role", name, managed, inline or {})
        self.emu.set_created(self.id, "role", name, self.ago(created_days))
        if last_used_days is not None:
            self.emu.set_role_last_used(self.id, name, self.ago(last_used_days))
        return str(role["Arn"])

    def user(
        self,
        name: str,
        *,
        created_days: float,
        managed: Iterable[str] = (),
        inline: dict[str, dict[str, Any]] | None = None,
        password_used_days: float | None = None,
    ) -> str:
        """Create a user (with a console password when password_used_days is given); returns its ARN."""
        iam = self.client("iam")
        arn = str(iam.create_user(UserName=name)["User"]["Arn"])
        self._policies("user", name, managed, inline or {})
        if password_used_days is not None:
            iam.create_login_profile(UserName=name, Password="Demo-Passw0rd!-not-real")
            self.emu.set_user_password_last_used(self.id, name, self.ago(password_used_days))
        self.emu.set_created(self.id, "user", name, self.ago(created_days))
        return arn

    def access_key(self, user: str, *, created_days: float, used_days: float | None, service: str = "iam") -> str:
        """Create an active access key with dates; the secret is thrown away."""
        key_id = str(self.client("iam").create_access_key(UserName=user)["AccessKey"]["AccessKeyId"])
        last_used = self.ago(used_days) if used_days is not None else None
        self.emu.set_access_key_dates(
            self.id, user, key_id, created=self.ago(created_days), last_used=last_used, last_used_service=service
        )
        return key_id

    def _policies(self, kind: str, name: str, managed: Iterable[str], inline: dict[str, dict[str, Any]]) -> None:
        iam = self.client("iam")
        attach, put = (
            (iam.attach_role_policy, iam.put_role_policy)
            if kind == "role"
            else (iam.attach_user_policy, iam.put_user_policy)
        )
        key = "RoleName" if kind == "role" else "UserName"
        for policy in managed:
            attach(**{key: name, "PolicyArn": AWS_POLICY + policy})
        for policy_name, document in inline.items():
            put(**{key: name, "PolicyName": policy_name, "PolicyDocument": json.dumps(document)})

    def lambda_function(self, name: str, role_arn: str, env: dict[str, str]) -> None:
        """Create a Lambda function running as role_arn with these environment variables."""
        self.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role_arn,
            Handler="handler.handler",
            Code={"ZipFile": _zip_bytes()},
            Environment={"Variables": env},
        )

    def notebook(self, name: str, role_arn: str) -> None:
        """Create a SageMaker notebook instance running as role_arn."""
        self.client("sagemaker").create_notebook_instance(
            NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=role_arn
        )

    def agentcore_runtime(self, name: str, role_arn: str) -> None:
        """Create a Bedrock AgentCore runtime running as role_arn (name: letters, digits and _ only)."""
        image = f"{self.id}.dkr.ecr.us-east-1.amazonaws.com/{name.lower()}:latest"
        self.client("bedrock-agentcore-control").create_agent_runtime(
            agentRuntimeName=name,
            agentRuntimeArtifact={"containerConfiguration": {"containerUri": image}},
            roleArn=role_arn,
            networkConfiguration={"networkMode": "PUBLIC"},
        )

    def virtual_mfa(self, user: str) -> None:
        """Give a user an enabled virtual MFA device."""
        iam = self.client("iam")
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName=user, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )

    def bedrock_agent(self, name: str, role_arn: str, instruction: str) -> None:
        """Create a Bedrock agent whose execution role is role_arn."""
        self.client("bedrock-agent").create_agent(
            agentName=name, agentResourceRoleArn=role_arn, foundationModel=CLAUDE, instruction=instruction
        )
