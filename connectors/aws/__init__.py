"""AWS connector: IAM, credentials and AI runtimes across an organization, with read-only calls."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from scanner.config import ConfigSection
from scanner.errors import PluginError
from scanner.logsafe import pin_wire_loggers
from scanner.model import Facet, Gap, Record, ScopeReport
from scanner.plugins import ScopePlan, install_hint

log = logging.getLogger(__name__)

# Every action the connector calls: all read-only, and all but the last two in SecurityAudit.
PERMISSIONS = (
    "sts:GetCallerIdentity",
    "sts:AssumeRole (into organization_role in each member account)",
    "organizations:ListAccounts",
    "iam:GetAccountAuthorizationDetails",
    "iam:ListRoles (role descriptions, which GAAD omits)",
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:ListAccessKeys",
    "iam:GetAccessKeyLastUsed (only when the credential report is unavailable)",
    "iam:ListServiceSpecificCredentials",
    "iam:ListOpenIDConnectProviders",
    "bedrock:ListAgents",
    "bedrock:GetAgent",
    "bedrock-agentcore:ListAgentRuntimes",
    "bedrock-agentcore:GetAgentRuntime",
    "lambda:ListFunctions",
    "sagemaker:ListNotebookInstances",
    "sagemaker:DescribeNotebookInstance",
)

_KEYS = {"profile", "regions", "organization_role", "accounts", "external_id", "endpoint_url", "max_attempts"}


@dataclass(frozen=True, kw_only=True)
class AwsSettings:
    """The validated `[connectors.aws]` table."""

    profile: str | None = None
    regions: tuple[str, ...] = ()
    organization_role: str | None = None
    accounts: tuple[str, ...] = ()
    external_id: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 5


def parse_settings(section: ConfigSection) -> AwsSettings:
    """Validate the table; an unknown key or a wrong type names itself."""
    section.check_keys(_KEYS)
    accounts = section.get_str_list("accounts") or ()
    for account in accounts:
        if not (account.isdigit() and len(account) == 12):
            raise section.error("accounts", f"{account!r} is not a 12-digit AWS account id")
    role = section.get_optional_str("organization_role")
    attempts = section.get("max_attempts", int, 5)
    if not 1 <= attempts <= 10:
        raise section.error("max_attempts", "must be between 1 and 10")
    return AwsSettings(
        profile=section.get_optional_str("profile"),
        regions=section.get_str_list("regions") or (),
        organization_role=role,
        accounts=accounts,
        external_id=section.get_optional_str("external_id"),
        endpoint_url=section.get_optional_str("endpoint_url"),
        max_attempts=attempts,
    )


class AwsConnector:
    """Scans the caller's account, or every ACTIVE account of the organization through organization_role."""

    name: ClassVar[str] = "aws"
    extra: ClassVar[str] = "aws"
    requires: ClassVar[tuple[str, ...]] = ("boto3",)
    permissions: ClassVar[tuple[str, ...]] = PERMISSIONS

    def __init__(self, settings: AwsSettings, session_factory: Any = None) -> None:
        try:
            from connectors.aws.session import default_session_factory
        except ModuleNotFoundError as exc:
            raise PluginError(f"the aws connector needs boto3: {install_hint('aws')}") from exc
        pin_wire_loggers()
        self.settings = settings
        self.session_factory = session_factory or default_session_factory(settings.profile)
        self.caller_account = ""
        self.partition = "aws"
        self.region = "us-east-1"
        self.labels: dict[str, str] = {}

    @classmethod
    def from_config(cls, section: ConfigSection) -> AwsConnector:
        """Build from `[connectors.aws]`."""
        return cls(parse_settings(section))

    def plan(self) -> ScopePlan:
        """Who am I, and which accounts to scan."""
        from connectors.aws.planning import plan_accounts

        return plan_accounts(self)

    def collect(self, scope: str) -> Iterator[Record]:
        """Every record of one account, ending with its call count."""
        from connectors.aws.planning import collect_account

        yield from collect_account(self, scope)


def scope_failure(account: str, resource: str, reason: Any, detail: str) -> Gap:
    """A whole account could not be read."""
    return Gap(
        provider="aws", scope=account, resource=resource, reason=reason, detail=detail, facets=frozenset({Facet.SCOPE})
    )


def scope_report(account: str, calls: int, label: str = "") -> ScopeReport:
    """An account's API call count."""
    return ScopeReport(provider="aws", connector="aws", scope=account, api_calls=calls, label=label)
