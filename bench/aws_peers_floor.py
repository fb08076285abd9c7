"""The floor: a bare boto3 fetch of the data a scan needs, with no analysis and nothing written.

Without options: GetAccountAuthorizationDetails with no filter (every user, group, role and policy, 1,000 items a
page) and the credential report (GenerateCredentialReport first, again after GAAD until COMPLETE, then
GetCredentialReport): the issue's "bare fetch".
With --all: also every other call of the issue's per-account floor (C3): one ListAccessKeys per user the report
shows with a key (four threads, as the scanner uses), ListServiceSpecificCredentials with AllUsers, paged,
ListOpenIDConnectProviders, and one list call per regional service (Bedrock agents, AgentCore runtimes, Lambda,
SageMaker notebooks) in us-east-1.
Run: python -m bench.aws_peers_floor ENDPOINT_URL [--all]   (credentials from the environment)
"""

from __future__ import annotations

import csv
import io
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3

REGION = "us-east-1"
REGIONAL_LISTS = (
    ("bedrock-agent", "list_agents"),
    ("bedrock-agentcore-control", "list_agent_runtimes"),
    ("lambda", "list_functions"),
    ("sagemaker", "list_notebook_instances"),
)


def fetch(endpoint_url: str) -> tuple[dict[str, int], bytes]:
    """GAAD and the credential report; counts of what came back, and the report."""
    iam = boto3.client("iam", endpoint_url=endpoint_url, region_name=REGION)
    state = iam.generate_credential_report()["State"]  # IAM builds the report while GAAD is read
    counts = {"UserDetailList": 0, "GroupDetailList": 0, "RoleDetailList": 0, "Policies": 0}
    for page in iam.get_paginator("get_account_authorization_details").paginate(PaginationConfig={"PageSize": 1000}):
        for key in counts:
            counts[key] += len(page.get(key, []))
    while state != "COMPLETE":
        state = iam.generate_credential_report()["State"]
        if state != "COMPLETE":
            time.sleep(1.0)
    content = iam.get_credential_report()["Content"]
    counts["report_lines"] = content.count(b"\n")
    return counts, content


def _users_with_keys(report: bytes) -> list[str]:
    """Users with a key in either slot (a slot in use has a rotation date), as the scanner decides."""
    rows = csv.DictReader(io.StringIO(report.decode("utf-8")))
    slots = ("access_key_1_last_rotated", "access_key_2_last_rotated")
    return [row["user"] for row in rows if ":user/" in row["arn"] and any(row[s] not in ("N/A", "") for s in slots)]


def fetch_rest(endpoint_url: str, report: bytes) -> dict[str, int]:
    """Every other call of the per-account floor; counts of what came back."""
    iam = boto3.client("iam", endpoint_url=endpoint_url, region_name=REGION)
    users = _users_with_keys(report)
    with ThreadPoolExecutor(max_workers=4) as pool:
        keys = sum(len(found) for found in pool.map(lambda u: _keys(iam, u), users))
    specific, marker = 0, None
    while True:  # no paginator in botocore for this one
        kwargs: dict[str, Any] = {"AllUsers": True, "ServiceName": "bedrock.amazonaws.com", "MaxItems": 1000}
        page = iam.list_service_specific_credentials(**kwargs, **({"Marker": marker} if marker else {}))
        specific += len(page.get("ServiceSpecificCredentials", []))
        marker = page.get("Marker")
        if not page.get("IsTruncated") or not marker:
            break
    oidc = len(iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", []))
    pages = 0
    for service, operation in REGIONAL_LISTS:
        client = boto3.client(service, endpoint_url=endpoint_url, region_name=REGION)
        if client.can_paginate(operation):
            pages += sum(1 for _ in client.get_paginator(operation).paginate())
        else:
            getattr(client, operation)()
            pages += 1
    return {"users_with_keys": len(users), "keys": keys, "service_specific": specific, "oidc": oidc, "pages": pages}


def _keys(iam: Any, user: str) -> list[dict[str, Any]]:
    return list(iam.list_access_keys(UserName=user).get("AccessKeyMetadata", []))


def main() -> None:
    counts, report = fetch(sys.argv[1])
    if "--all" in sys.argv[2:]:
        counts |= fetch_rest(sys.argv[1], report)
    print(counts)


if __name__ == "__main__":
    main()
