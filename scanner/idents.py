"""Which provider and scope an identifier belongs to, so a missing one is judged against the right coverage."""

from __future__ import annotations

import re

_AWS_ARN = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):")
_AWS_KEY = re.compile(r"^(AKIA|ASIA|AROA|AIDA|ACCA|ANPA|AGPA)[A-Z0-9]{12,}$")
_GCP_SA = re.compile(r"^[^@\s]+@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_GCP_NAME = re.compile(r"^(?:projects/[^/]+/locations/[^/]+/|principal(?:Set)?://)")  # API keys, agent principals
_UID = re.compile(r"^(aws|entra|gcp):[a-z_-]+:.")  # shadowsweep's own identity uids, as `registry suggest` writes


def infer_scope(identifier: str) -> tuple[str, str | None] | None:
    """(provider, scope) of an identifier; scope None when only the provider is knowable."""
    if match := _AWS_ARN.match(identifier):
        return "aws", match.group(1)
    if identifier.startswith("aws:") and (match := _AWS_ARN.match(identifier.split(":", 2)[2])):
        return "aws", match.group(1)
    if _AWS_KEY.match(identifier):
        return "aws", None
    if match := _GCP_SA.match(identifier):
        return "gcp", match.group(1)
    if _GUID.match(identifier):
        return "entra", None
    if _GCP_NAME.match(identifier):
        return "gcp", None
    if match := _UID.match(identifier):
        return match.group(1), None
    return None
