"""Thin boto3 calls, one function per API, each using the fewest requests the API allows."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from connectors.aws.errors import ReportNotReady

GAAD_FILTER = ["User", "Role", "Group", "LocalManagedPolicy"]
REPORT_POLL_SECONDS = 1.0
REPORT_MAX_WAIT_SECONDS = 120.0


def account_authorization_details(iam: Any, filters: list[str] | None = None) -> dict[str, list[Any]]:
    """Every page of GetAccountAuthorizationDetails, merged (1,000 items a page, the API's maximum)."""
    merged: dict[str, list[Any]] = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [],
        "Policies": [],
    }
    paginator = iam.get_paginator("get_account_authorization_details")
    for page in paginator.paginate(Filter=filters or GAAD_FILTER, PaginationConfig={"PageSize": 1000}):
        for key, items in merged.items():
            items.extend(page.get(key, []))
    return merged


def role_descriptions(iam: Any) -> dict[str, str]:
    """Role descriptions by RoleId: GAAD omits them, ListRoles has them (1,000 a page)."""
    found: dict[str, str] = {}
    for page in iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 1000}):
        for role in page.get("Roles", []):
            if role.get("Description"):
                found[role["RoleId"]] = str(role["Description"])
    return found


def start_credential_report(iam: Any) -> str:
    """Ask IAM to (re)generate the credential report; it builds while other calls run."""
    return str(iam.generate_credential_report().get("State", ""))


def credential_report(iam: Any, state: str = "") -> bytes:
    """Poll until the report is complete, then download it."""
    deadline = time.monotonic() + REPORT_MAX_WAIT_SECONDS
    while state != "COMPLETE":
        state = start_credential_report(iam)
        if state == "COMPLETE":
            break
        if time.monotonic() > deadline:
            raise ReportNotReady(f"credential report not ready after {REPORT_MAX_WAIT_SECONDS:.0f} s")
        time.sleep(REPORT_POLL_SECONDS)
    content = iam.get_credential_report()["Content"]
    return content if isinstance(content, bytes) else str(content).encode("utf-8")


def access_keys(iam: Any, user_name: str) -> list[dict[str, Any]]:
    """ListAccessKeys for one user (at most two keys, so one page)."""
    return list(iam.list_access_keys(UserName=user_name).get("AccessKeyMetadata", []))


def access_key_last_used(iam: Any, key_id: str) -> dict[str, Any]:
    """GetAccessKeyLastUsed: the fallback when the credential report is unavailable."""
    return dict(iam.get_access_key_last_used(AccessKeyId=key_id).get("AccessKeyLastUsed", {}))


def service_specific_credentials(iam: Any, service: str) -> list[dict[str, Any]]:
    """Every user's service-specific credentials for a service, in one paged call (AllUsers)."""
    found: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        kwargs: dict[str, Any] = {"AllUsers": True, "ServiceName": service, "MaxItems": 1000}
        if marker:
            kwargs["Marker"] = marker
        page = iam.list_service_specific_credentials(**kwargs)
        found.extend(page.get("ServiceSpecificCredentials", []))
        marker = page.get("Marker")
        if not page.get("IsTruncated") or not marker:
            return found


def oidc_providers(iam: Any) -> list[str]:
    """ARNs of the account's OpenID Connect providers."""
    return [p["Arn"] for p in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", [])]


def organization_accounts(org: Any) -> list[dict[str, Any]]:
    """Every account of the organization (20 a page, the API's maximum)."""
    accounts: list[dict[str, Any]] = []
    for page in org.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 20}):
        accounts.extend(page.get("Accounts", []))
    return accounts


def bedrock_agents(client: Any) -> Iterator[dict[str, Any]]:
    """Bedrock agents with their execution role (ListAgents, then GetAgent each)."""
    for page in client.get_paginator("list_agents").paginate():
        for summary in page.get("agentSummaries", []):
            yield client.get_agent(agentId=summary["agentId"])["agent"]


def agentcore_runtimes(client: Any) -> Iterator[dict[str, Any]]:
    """AgentCore runtimes with their execution role (ListAgentRuntimes, then GetAgentRuntime each)."""
    token: str | None = None
    while True:
        page = client.list_agent_runtimes(**({"nextToken": token} if token else {}))
        for summary in page.get("agentRuntimes", []):
            yield client.get_agent_runtime(agentRuntimeId=summary["agentRuntimeId"])
        token = page.get("nextToken")
        if not token:
            return


def lambda_functions(client: Any) -> Iterator[dict[str, Any]]:
    """Every Lambda function of a region (ListFunctions pages)."""
    for page in client.get_paginator("list_functions").paginate():
        yield from page.get("Functions", [])


def sagemaker_notebooks(client: Any) -> Iterator[dict[str, Any]]:
    """Notebook instances with their execution role."""
    for page in client.get_paginator("list_notebook_instances").paginate():
        for summary in page.get("NotebookInstances", []):
            yield client.describe_notebook_instance(NotebookInstanceName=summary["NotebookInstanceName"])
