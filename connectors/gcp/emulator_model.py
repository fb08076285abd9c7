"""Plain records of the emulated Google Cloud organization: hierarchy, identities, keys and IAM policies."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

NEVER_EXPIRES = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
EMPTY_POLICY_ETAG = "ACAB"  # what GCP returns for a resource without any binding

# The APIs the emulator serves, by service name; every project has them enabled unless told otherwise.
SERVICE_TITLES: dict[str, str] = {
    "cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
    "iam.googleapis.com": "Identity and Access Management (IAM) API",
    "apikeys.googleapis.com": "API Keys API",
    "cloudasset.googleapis.com": "Cloud Asset API",
    "policyanalyzer.googleapis.com": "Policy Analyzer API",
}
DEFAULT_SERVICES = frozenset(SERVICE_TITLES)

USER_MANAGED = "USER_MANAGED"
SYSTEM_MANAGED = "SYSTEM_MANAGED"
GOOGLE_PROVIDED = "GOOGLE_PROVIDED"
USER_PROVIDED = "USER_PROVIDED"


@dataclass(frozen=True, slots=True)
class Condition:
    """An IAM condition: a CEL expression with a title, as on a conditional role binding."""

    title: str
    expression: str
    description: str = ""


@dataclass
class Binding:
    """One role granted to members, optionally under a condition."""

    role: str
    members: list[str]
    condition: Condition | None = None


@dataclass
class Policy:
    """An allow policy; its etag changes whenever its bindings do, like GCP's."""

    bindings: list[Binding] = field(default_factory=list)

    def add(self, role: str, member: str, condition: Condition | None = None) -> None:
        """Grant `role` to `member`, joining an existing binding with the same role and condition."""
        for binding in self.bindings:
            if binding.role == role and binding.condition == condition:
                if member not in binding.members:
                    binding.members.append(member)
                return
        self.bindings.append(Binding(role, [member], condition))

    @property
    def etag(self) -> str:
        """Base64 of 8 bytes (the proto field is bytes), or ACAB for an empty policy."""
        if not self.bindings:
            return EMPTY_POLICY_ETAG
        text = repr([(b.role, sorted(b.members), b.condition) for b in self.bindings])
        return base64.b64encode(hashlib.sha256(text.encode()).digest()[:8]).decode()

    @property
    def has_conditions(self) -> bool:
        """True when any binding is conditional (such a policy is version 3)."""
        return any(b.condition is not None for b in self.bindings)


@dataclass
class Organization:
    """The organization node; display_name is its primary domain."""

    id: str
    display_name: str
    directory_customer_id: str = "C01abcd2e"
    created: datetime = datetime(2019, 3, 4, 17, 30, tzinfo=UTC)
    policy: Policy = field(default_factory=Policy)

    @property
    def name(self) -> str:
        """The resource name, organizations/N."""
        return f"organizations/{self.id}"


@dataclass
class Folder:
    """A folder; parent is "organizations/N" or "folders/N"."""

    id: str
    display_name: str
    parent: str
    created: datetime
    policy: Policy = field(default_factory=Policy)
    state: str = "ACTIVE"

    @property
    def name(self) -> str:
        """The resource name, folders/N."""
        return f"folders/{self.id}"


@dataclass
class ServiceAccountKey:
    """Key metadata only: GCP never returns private key material from a list."""

    key_id: str  # 40 hex digits
    valid_after: datetime
    valid_before: datetime = NEVER_EXPIRES
    key_type: str = USER_MANAGED
    key_origin: str = GOOGLE_PROVIDED
    key_algorithm: str = "KEY_ALG_RSA_2048"
    disabled: bool = False
    last_authenticated: datetime | None = None  # what Policy Analyzer's activity API reports


@dataclass
class ServiceAccount:
    """A user-managed service account of one project, with its own policy (who may act as or impersonate it)."""

    email: str
    unique_id: str  # 21 digits; also its oauth2ClientId
    project_id: str
    display_name: str = ""
    description: str = ""
    disabled: bool = False
    created: datetime = datetime(2022, 1, 10, tzinfo=UTC)
    keys: list[ServiceAccountKey] = field(default_factory=list)
    policy: Policy = field(default_factory=Policy)
    last_authenticated: datetime | None = None  # by any means, keys included

    @property
    def name(self) -> str:
        """The IAM resource name, by projectId and email."""
        return f"projects/{self.project_id}/serviceAccounts/{self.email}"

    @property
    def member(self) -> str:
        """The IAM member string that grants it a role."""
        return f"serviceAccount:{self.email}"


@dataclass
class WorkloadIdentityProvider:
    """An OIDC (issuer_uri) or AWS (aws_account_id) provider; an empty attribute_condition trusts every token."""

    provider_id: str
    display_name: str = ""
    description: str = ""
    issuer_uri: str | None = None
    allowed_audiences: list[str] = field(default_factory=list)
    aws_account_id: str | None = None
    attribute_mapping: dict[str, str] = field(default_factory=lambda: {"google.subject": "assertion.sub"})
    attribute_condition: str = ""
    disabled: bool = False


@dataclass
class WorkloadIdentityPool:
    """A workload identity pool in a project (location global)."""

    pool_id: str
    display_name: str = ""
    description: str = ""
    disabled: bool = False
    providers: list[WorkloadIdentityProvider] = field(default_factory=list)


@dataclass
class ApiKey:
    """An API key's metadata (never its keyString); api_targets are the services it is restricted to."""

    uid: str
    display_name: str
    created: datetime
    api_targets: list[str] = field(default_factory=list)
    service_account_email: str | None = None
    allowed_referrers: list[str] = field(default_factory=list)
    last_updated: datetime | None = None


@dataclass
class Project:
    """A project with its identities, keys and policy; invisible projects are ones the caller may not get."""

    project_id: str
    number: str
    display_name: str
    parent: str
    created: datetime
    state: str = "ACTIVE"
    policy: Policy = field(default_factory=Policy)
    enabled_services: set[str] = field(default_factory=lambda: set(DEFAULT_SERVICES))
    service_accounts: list[ServiceAccount] = field(default_factory=list)
    pools: list[WorkloadIdentityPool] = field(default_factory=list)
    api_keys: list[ApiKey] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    visible: bool = True

    @property
    def name(self) -> str:
        """The v3 resource name carries the number, not the projectId."""
        return f"projects/{self.number}"
