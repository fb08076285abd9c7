"""Normalized records: the only contract between connectors and the engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class GapReason(StrEnum):
    """Why a part of the estate could not be read."""

    DENIED = "denied"
    THROTTLED = "throttled"
    UNSUPPORTED = "unsupported"
    ERROR = "error"


class Facet(StrEnum):
    """What kind of fact a gap hides, so rules know which verdicts become unknown."""

    SCOPE = "scope"  # the whole scope: nothing in it was read
    IDENTITIES = "identities"  # the identity inventory is incomplete
    CREDENTIALS = "credentials"  # credentials of some identities were not listed
    CREDENTIAL_USAGE = "credential_usage"  # when credentials were last used
    IDENTITY_USAGE = "identity_usage"  # when identities were last used
    GRANTS = "grants"  # permissions held by identities
    WORKLOADS = "workloads"  # runtimes (agents, functions) that run as identities
    DIRECTORY = "directory"  # people who own or sponsor identities
    ATTESTATION = "attestation"  # when agents were last attested (Entra Agent ID lifecycle)
    NATIVE_REGISTRY = "native_registry"  # a provider's own agent registry (Entra agent registry instances)


class Effect(StrEnum):
    """Effect of a policy statement."""

    ALLOW = "Allow"
    DENY = "Deny"


class TrustKind(StrEnum):
    """Who a trust relationship lets act as an identity."""

    SERVICE = "service"  # a cloud service principal, e.g. bedrock.amazonaws.com
    PRINCIPAL = "principal"  # a specific principal (role, user, service account)
    ACCOUNT = "account"  # every principal of an account that is allowed to assume
    FEDERATED = "federated"  # an external identity provider (OIDC, SAML, workload identity)
    ANYONE = "anyone"  # a wildcard principal


@dataclass(frozen=True, kw_only=True, slots=True)
class Trust:
    """One way another party can act as an identity (assume, impersonate, federate)."""

    kind: TrustKind
    principal: str  # service name, ARN, account id, or issuer URL
    action: str = ""  # e.g. sts:AssumeRole, sts:AssumeRoleWithWebIdentity
    conditions: tuple[str, ...] = ()  # human-readable condition summaries, e.g. "sub=repo:org/x:*"
    subjects: tuple[str, ...] = ()  # federated subjects the conditions allow, when known


@dataclass(frozen=True, kw_only=True, slots=True)
class Statement:
    """One normalized policy statement; action patterns match case-insensitively."""

    effect: Effect
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ("*",)
    not_resources: tuple[str, ...] = ()  # NotResource: every resource except these
    conditional: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Attestation:
    """An agent's attestation state as its provider read it; None for the date means never attested."""

    last_attested_at: datetime | None
    compliance_issues: tuple[str, ...] = ()  # e.g. "SponsorCountBelowMinimum: ..."
    governing_policy: str = ""  # the id of the lifecycle policy that governs it, when known


@dataclass(frozen=True, kw_only=True, slots=True)
class Identity:
    """A principal that can act: role, user, service principal, service account."""

    uid: str
    provider: str
    kind: str
    scope: str
    name: str
    native_ids: tuple[str, ...] = ()
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    enabled: bool = True
    human: bool = False  # evidence says a person signs in as it (console password, interactive)
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    trusts: tuple[Trust, ...] = ()
    owners: tuple[str, ...] = ()  # uids or native ids of principals that own (can add credentials to) it
    sponsors: tuple[str, ...] = ()  # people accountable for it in the provider (Entra agent sponsors)
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class Credential:
    """A secret-bearing credential, described only by ids, hints and dates."""

    uid: str
    identity_uid: str
    provider: str
    scope: str
    kind: str  # access_key | secret | certificate | federated | api_key | service_specific
    native_id: str = ""
    service: str = ""  # service the credential is bound to, e.g. bedrock.amazonaws.com
    created_at: datetime | None = None
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    last_used_service: str = ""
    usage_visible: bool = True  # False where the provider never reports last use for this kind
    active: bool = True


@dataclass(frozen=True, kw_only=True, slots=True)
class Grant:
    """Permissions an identity holds, through a policy, role or consent."""

    uid: str
    subject_uid: str
    provider: str
    scope: str
    kind: str  # managed-policy | inline-policy | group-policy | permissions-boundary | app-role | ...
    target: str  # the policy ARN, resource, or role that grants
    name: str = ""
    permissions: tuple[str, ...] = ()  # allowed action patterns, for display and drift
    statements: tuple[Statement, ...] = ()  # precise form, when the provider has one
    attributes: Mapping[str, Any] = field(default_factory=dict)  # normalized facts, e.g. consent type


@dataclass(frozen=True, kw_only=True, slots=True)
class Workload:
    """A runtime that acts as an identity: a Bedrock agent, a Lambda function, a notebook."""

    uid: str
    provider: str
    kind: str  # bedrock-agent | agentcore-runtime | lambda-function | sagemaker-notebook | ...
    scope: str
    name: str
    runs_as_uid: str
    region: str = ""
    native_ids: tuple[str, ...] = ()
    env_var_names: tuple[str, ...] = ()  # names only, never values
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class Federation:
    """An identity provider that a scope trusts (OIDC, SAML, workload identity pool)."""

    uid: str
    provider: str
    scope: str
    issuer: str
    audiences: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Gap:
    """A part of the estate that could not be read: data, not an exception."""

    provider: str
    scope: str
    resource: str  # the operation or object, e.g. iam:GetCredentialReport
    reason: GapReason
    detail: str = ""
    subject_uid: str | None = None  # narrower than the scope, when the gap concerns one identity
    target: str = ""  # the object that could not be read, when narrower than the operation (a policy ARN)
    facets: frozenset[Facet] = frozenset({Facet.SCOPE})
    region: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Absent:
    """An identifier a directory was asked about and answered 'no such object': proven absence."""

    provider: str
    scope: str
    identifier: str
    detail: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class AgentInstance:
    """One entry of a provider's own agent registry: which identities an agent uses, who owns it, where it came from."""

    uid: str  # "{provider}:agent_instance:{instance id}"
    provider: str
    scope: str
    instance_id: str
    name: str
    agent_identity_id: str = ""
    agent_user_id: str = ""
    blueprint_id: str = ""
    owners: tuple[str, ...] = ()  # directory object ids of its owners
    originating_store: str = ""  # e.g. "Copilot Studio"
    managed_by: str = ""  # the application that manages it
    created_by: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ScopeReport:
    """Emitted once per scope a connector visited: its API call count."""

    provider: str
    connector: str
    scope: str
    api_calls: int
    label: str = ""  # e.g. an account name


Record = Identity | Credential | Grant | Workload | Federation | Gap | Absent | AgentInstance | ScopeReport
