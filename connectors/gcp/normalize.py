"""Pure mappers from Google Cloud REST JSON to normalized records; no SDK calls here."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from connectors.gcp.hierarchy import Container
from scanner.model import Grant, Identity, Record
from scanner.times import parse_timestamp

PROVIDER = "gcp"
IMPERSONATION_ROLES = frozenset(
    {
        "roles/iam.serviceAccountTokenCreator",
        "roles/iam.serviceAccountUser",
        "roles/iam.workloadIdentityUser",
        "roles/iam.serviceAccountOpenIdTokenCreator",
    }
)
_SERVICE_AGENT = re.compile(r"^service-\d+@(gcp-sa-[a-z0-9-]+)\.iam\.gserviceaccount\.com$")
_SA_PROJECT = re.compile(r"^[^@]+@([a-z][a-z0-9-]+)\.iam\.gserviceaccount\.com$")
POOL = re.compile(
    r"^principalSet://iam\.googleapis\.com/(projects/[^/]+/locations/global/workloadIdentityPools/[^/]+)/"
)


def parse_time(value: Any) -> datetime | None:
    """RFC 3339 from Google APIs; the far-future 9999 'never' becomes None."""
    if isinstance(value, str) and value.startswith("9999"):
        return None
    return parse_timestamp(value)


def member_ref(member: str) -> str:
    """The identifier a binding member resolves through (an email for service accounts)."""
    kind, _, value = member.partition(":")
    return value if kind == "serviceAccount" else member


def _principal_identity(member: str, scope: str) -> Identity:
    agent = "/reasoningEngines/" in member or "agents.global." in member
    return Identity(
        uid=f"{PROVIDER}:principal:{member}",
        provider=PROVIDER,
        kind="agent_identity" if agent else "principal",
        scope=scope,
        name="/".join(member.split("/")[-2:]) if agent else member,
        native_ids=(member,),
        attributes={"principal_type": "agent-engine" if "/reasoningEngines/" in member else "agent" if agent else ""},
    )


def _service_agent_identity(email: str, scope: str) -> Identity:
    match = _SERVICE_AGENT.match(email)
    return Identity(
        uid=f"{PROVIDER}:service_account:{email}",
        provider=PROVIDER,
        kind="service_agent" if match else "service_account",
        scope=scope,
        name=email,
        native_ids=(email, f"serviceAccount:{email}"),
        attributes={"service_agent": match.group(1) if match else "", "google_managed": bool(match)},
    )


def member_identities(bindings: Iterable[dict[str, Any]], scope: str, scanned: set[str]) -> Iterator[Identity]:
    """Identities that exist only as binding members: AI service agents, agent principals, outside accounts."""
    for binding in bindings:
        for member in binding.get("members", []):
            if member.startswith("principal://"):
                yield _principal_identity(member, scope)
            elif member.startswith("serviceAccount:"):
                email = member_ref(member)
                project = _SA_PROJECT.match(email)
                if _SERVICE_AGENT.match(email) or (project and project.group(1) not in scanned):
                    yield _service_agent_identity(email, scope)


def binding_grants(bindings: Iterable[dict[str, Any]], container: str, scope: str) -> Iterator[Grant]:
    """One grant per member and role; a binding on a folder or organization applies to every project below."""
    for binding in bindings:
        role = binding.get("role", "")
        condition = binding.get("condition") or {}
        for member in binding.get("members", []):
            yield Grant(
                uid=f"{PROVIDER}:binding:{container}|{role}|{member}",
                subject_uid=member_ref(member),
                provider=PROVIDER,
                scope=scope,
                kind="iam-binding",
                target=container,
                name=f"{role} on {container}" + (f" if {condition.get('title') or 'condition'}" if condition else ""),
                permissions=(role,),
                attributes={"condition": condition.get("expression", ""), "member": member},
            )


def container_records(containers: Iterable[Container], scanned: set[str], scope: str) -> Iterator[Record]:
    """Grants (and member identities) from organization and folder policies."""
    for container in containers:
        if container.name.startswith("projects/"):
            continue
        yield from member_identities(container.bindings, scope, scanned)
        yield from binding_grants(container.bindings, container.name, scope)
