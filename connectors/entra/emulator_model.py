"""The emulated directory's objects: plain slotted dataclasses, so a 100k-object tenant stays small in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MICROSOFT_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
AGENT_IDENTITY_TYPE = "#microsoft.graph.agentIdentity"
AGENT_BLUEPRINT_TYPE = "#microsoft.graph.agentIdentityBlueprint"
AGENT_BLUEPRINT_PRINCIPAL_TYPE = "#microsoft.graph.agentIdentityBlueprintPrincipal"
AGENT_USER_TYPE = "#microsoft.graph.agentUser"

# Microsoft Graph application permissions (app role ids are the same in every tenant).
GRAPH_APP_ROLES: dict[str, str] = {
    "Mail.Read": "810c84a8-4a9e-49e6-bf7d-12d183f40d01",
    "Files.Read.All": "01d4889c-1287-42c6-ac1f-5d1e02578ef6",
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "RoleManagement.ReadWrite.Directory": "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
    "Sites.Read.All": "332a536c-c7ef-4017-ab91-336970924f0d",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "Calendars.Read": "798ee544-9d2d-430c-a058-570e29e34338",
}

# Built-in directory roles: display name -> template id (the role definition id of a built-in role).
BUILTIN_DIRECTORY_ROLES: dict[str, str] = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
    "Directory Readers": "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
    "Security Reader": "5d6b6bb7-de71-4623-b4af-96380a352509",
}


@dataclass(slots=True)
class User:
    """A member user; a deleted user is simply not in the tenant."""

    id: str
    user_principal_name: str
    display_name: str
    mail: str | None = None
    account_enabled: bool = True
    job_title: str | None = None
    odata_type: str | None = None  # "#microsoft.graph.agentUser" for an agent's user account


@dataclass(slots=True)
class PasswordCredential:
    """A client secret's metadata; the secret text itself is never stored or served."""

    key_id: str
    display_name: str | None = None
    hint: str | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(slots=True)
class KeyCredential:
    """A certificate credential's metadata."""

    key_id: str
    display_name: str | None = None
    type: str = "AsymmetricX509Cert"
    usage: str = "Verify"
    start: datetime | None = None
    end: datetime | None = None
    custom_key_identifier: str | None = None


@dataclass(slots=True)
class FederatedIdentityCredential:
    """Workload identity federation: tokens from `issuer` for `subject` are exchanged for the app's."""

    id: str
    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...] = ("api://AzureADTokenExchange",)
    description: str | None = None


@dataclass(slots=True)
class AppRole:
    """An app role a resource service principal exposes (application permissions are app roles)."""

    id: str
    value: str
    display_name: str
    allowed_member_types: tuple[str, ...] = ("Application",)
    is_enabled: bool = True
    description: str | None = None


@dataclass(slots=True)
class VerifiedPublisher:
    """The Microsoft Partner Network publisher verification of a multi-tenant app."""

    display_name: str
    verified_publisher_id: str
    added: datetime | None = None


@dataclass(slots=True)
class ResourceAccess:
    """One permission an app registration declares it needs: type "Role" (application) or "Scope" (delegated)."""

    resource_app_id: str
    id: str
    type: str = "Role"


@dataclass(slots=True)
class Application:
    """An app registration in this tenant (object id `id`, client id `app_id`)."""

    id: str
    app_id: str
    display_name: str
    created: datetime | None = None
    sign_in_audience: str = "AzureADMyOrg"
    publisher_domain: str | None = None
    notes: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    password_credentials: tuple[PasswordCredential, ...] = ()
    key_credentials: tuple[KeyCredential, ...] = ()
    federated_identity_credentials: tuple[FederatedIdentityCredential, ...] = ()
    required_resource_access: tuple[ResourceAccess, ...] = ()
    owners: tuple[str, ...] = ()
    sponsors: tuple[str, ...] = ()
    odata_type: str | None = None


@dataclass(slots=True)
class ComplianceIssue:
    """Why an agent identity is non-compliant with its lifecycle policy (identityGovernance.complianceIssue)."""

    issue_code: str
    description: str = ""
    rule_type: str = "attestation"
    governing_policy_id: str | None = None
    block_reasons: tuple[str, ...] = ()


@dataclass(slots=True)
class AgentLifecycle:
    """An agent identity's lifecycle state (beta): last attestation (None: never), compliance issues, policy."""

    last_attestation: datetime | None = None
    compliance_issues: tuple[ComplianceIssue, ...] = ()
    governing_policy_id: str | None = None


@dataclass(slots=True)
class AgentInstance:
    """An entry of the beta agent registry (/agentRegistry/agentInstances); ids may be any string."""

    id: str
    display_name: str
    agent_identity_id: str | None = None
    agent_identity_blueprint_id: str | None = None
    agent_user_id: str | None = None
    owner_ids: tuple[str, ...] = ()
    originating_store: str | None = None
    managed_by: str | None = None
    created_by: str | None = None
    source_agent_id: str | None = None
    url: str | None = None
    created: datetime | None = None


@dataclass(slots=True)
class ServicePrincipal:
    """An enterprise application / managed identity / agent identity: what actually signs in and holds grants."""

    id: str
    app_id: str
    display_name: str
    app_display_name: str | None = None
    service_principal_type: str = "Application"
    app_owner_organization_id: str | None = None
    verified_publisher: VerifiedPublisher | None = None
    publisher_name: str | None = None
    account_enabled: bool = True
    tags: tuple[str, ...] = ()
    created: datetime | None = None
    homepage: str | None = None
    reply_urls: tuple[str, ...] = ()
    notes: str | None = None
    description: str | None = None
    alternative_names: tuple[str, ...] = ()
    app_roles: tuple[AppRole, ...] = ()
    password_credentials: tuple[PasswordCredential, ...] = ()
    key_credentials: tuple[KeyCredential, ...] = ()
    owners: tuple[str, ...] = ()
    sponsors: tuple[str, ...] = ()
    odata_type: str | None = None
    agent_identity_blueprint_id: str | None = None
    lifecycle: AgentLifecycle | None = None  # agent identities only; None serves a never-attested state


@dataclass(slots=True)
class AppRoleAssignment:
    """An application permission granted to a service principal on a resource service principal."""

    id: str
    app_role_id: str
    principal_id: str
    principal_display_name: str
    resource_id: str
    resource_display_name: str
    principal_type: str = "ServicePrincipal"
    created: datetime | None = None


@dataclass(slots=True)
class OAuth2PermissionGrant:
    """Delegated consent: AllPrincipals (admin consent) or Principal (one user's consent); `scope` space-separated."""

    id: str
    client_id: str
    consent_type: str
    resource_id: str
    scope: str
    principal_id: str | None = None


@dataclass(slots=True)
class RoleDefinition:
    """A directory role definition (built-in ones have id == templateId)."""

    id: str
    display_name: str
    template_id: str
    is_built_in: bool = True
    is_enabled: bool = True
    description: str | None = None


@dataclass(slots=True)
class RoleAssignment:
    """A directory role held by a principal at a scope ("/" is tenant-wide)."""

    id: str
    principal_id: str
    role_definition_id: str
    directory_scope_id: str = "/"


@dataclass(slots=True)
class SignInActivity:
    """Last sign-in times of one app (by appId), as the beta servicePrincipalSignInActivities report has them."""

    app_id: str
    last_sign_in: datetime | None = None
    application_client: datetime | None = None
    delegated_client: datetime | None = None
    application_resource: datetime | None = None
    delegated_resource: datetime | None = None


@dataclass(slots=True)
class VerifiedDomain:
    """A verified DNS domain of the tenant."""

    name: str
    is_default: bool = False
    is_initial: bool = False
