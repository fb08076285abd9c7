"""The floor: a bare boto3 fetch of the data a scan needs, with no analysis and nothing written.

GetAccountAuthorizationDetails with no filter (every user, group, role and policy, 1,000 items a page) and the
credential report (GenerateCredentialReport first, again after GAAD until COMPLETE, then GetCredentialReport).
Run: python -m bench.aws_peers_floor ENDPOINT_URL   (credentials from the environment)
"""

from __future__ import annotations

import sys
import time

import boto3


def fetch(endpoint_url: str) -> dict[str, int]:
    """Fetch and count what came back."""
    iam = boto3.client("iam", endpoint_url=endpoint_url, region_name="us-east-1")
    state = iam.generate_credential_report()["State"]  # IAM builds the report while GAAD is read
    counts = {"UserDetailList": 0, "GroupDetailList": 0, "RoleDetailList": 0, "Policies": 0}
    for page in iam.get_paginator("get_account_authorization_details").paginate(PaginationConfig={"PageSize": 1000}):
        for key in counts:
            counts[key] += len(page.get(key, []))
    while state != "COMPLETE":
        state = iam.generate_credential_report()["State"]
        if state != "COMPLETE":
            time.sleep(1.0)
    counts["report_lines"] = iam.get_credential_report()["Content"].count(b"\n")
    return counts


def main() -> None:
    print(fetch(sys.argv[1]))


if __name__ == "__main__":
    main()
