"""The emulated tenant: every object the Graph emulator serves, plus helpers to build realistic directories."""

from __future__ import annotations

import base64
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.entra.emulator_model import (
    BUILTIN_DIRECTORY_ROLES,
    GRAPH_APP_ID,
    GRAPH_APP_ROLES,
    MICROSOFT_TENANT_ID,
    AgentInstance,
    Application,
    AppRole,
    AppRoleAssignment,
    OAuth2PermissionGrant,
    RoleAssignment,
    RoleDefinition,
    ServicePrincipal,
    SignInActivity,
    User,
    VerifiedDomain,
)


def guid_from(rng: random.Random) -> str:
    """A random version-4 GUID string from `rng`, so seeded tenants are reproducible."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def opaque_id_from(rng: random.Random) -> str:
    """A 43-character base64url id, the shape Graph uses for appRoleAssignment and grant ids."""
    return base64.urlsafe_b64encode(rng.getrandbits(256).to_bytes(32, "big")).decode()[:43]


def builtin_role_definitions() -> list[RoleDefinition]:
    """The built-in directory roles every tenant has (the ones the scanner cares about)."""
    return [RoleDefinition(id=tid, display_name=name, template_id=tid) for name, tid in BUILTIN_DIRECTORY_ROLES.items()]


@dataclass
class Tenant:
    """One Entra tenant's directory; lists are served in insertion order."""

    tenant_id: str = "00000000-0000-4000-8000-000000000001"
    display_name: str = "Contoso"
    verified_domains: list[VerifiedDomain] = field(default_factory=lambda: [VerifiedDomain("contoso.example", True)])
    users: list[User] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)
    service_principals: list[ServicePrincipal] = field(default_factory=list)
    app_role_assignments: list[AppRoleAssignment] = field(default_factory=list)
    oauth2_permission_grants: list[OAuth2PermissionGrant] = field(default_factory=list)
    role_definitions: list[RoleDefinition] = field(default_factory=builtin_role_definitions)
    role_assignments: list[RoleAssignment] = field(default_factory=list)
    sign_in_activities: list[SignInActivity] = field(default_factory=list)
    agent_instances: list[AgentInstance] | None = field(default_factory=list)  # None: no agent registry (404)
    seed: int = 0
    rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    @classmethod
    def synthetic(
        cls,
        n_service_principals: int,
        n_applications: int,
        n_grants: int,
        *,
        seed: int = 0,
        now: datetime | None = None,
    ) -> Tenant:
        """A large realistic tenant for benchmarks; see emulator_synthetic."""
        from connectors.entra.emulator_synthetic import build_synthetic

        return build_synthetic(n_service_principals, n_applications, n_grants, seed=seed, now=now)

    # ids

    def new_id(self) -> str:
        """A fresh directory object id (GUID)."""
        return guid_from(self.rng)

    @property
    def default_domain(self) -> str:
        """The default verified domain (for user principal names)."""
        return next((d.name for d in self.verified_domains if d.is_default), self.verified_domains[0].name)

    # builders

    def add_user(
        self,
        upn: str,
        display_name: str | None = None,
        *,
        enabled: bool = True,
        id: str | None = None,
        odata_type: str | None = None,
    ) -> User:
        """Add a member user (or, with odata_type, an agentUser); mail defaults to the UPN."""
        name = display_name or upn.split("@", 1)[0].replace(".", " ").title()
        user = User(id or self.new_id(), upn, name, mail=upn, account_enabled=enabled, odata_type=odata_type)
        self.users.append(user)
        return user

    def add_application(self, display_name: str, **fields: Any) -> Application:
        """Register an app in this tenant; keyword arguments are Application fields (app_id, owners, ...)."""
        fields.setdefault("publisher_domain", self.default_domain)
        fields["app_id"] = fields.get("app_id") or self.new_id()
        app = Application(id=self.new_id(), display_name=display_name, **fields)
        self.applications.append(app)
        return app

    def add_service_principal(self, display_name: str, **fields: Any) -> ServicePrincipal:
        """Add a service principal (keyword arguments are its fields); a foreign app's should set its owner org."""
        fields.setdefault("app_display_name", display_name)
        fields["app_id"] = fields.get("app_id") or self.new_id()
        sp = ServicePrincipal(id=self.new_id(), display_name=display_name, **fields)
        self.service_principals.append(sp)
        return sp

    def add_app_with_sp(
        self, display_name: str, *, app_fields: dict[str, Any] | None = None, **sp_fields: Any
    ) -> tuple[Application, ServicePrincipal]:
        """An own-tenant app registration and its service principal (same appId, same owners)."""
        app = self.add_application(display_name, **(app_fields or {}))
        sp_fields.setdefault("app_owner_organization_id", self.tenant_id)
        sp_fields.setdefault("owners", app.owners)
        sp_fields.setdefault("created", app.created)
        sp = self.add_service_principal(display_name, app_id=app.app_id, **sp_fields)
        return app, sp

    def add_graph_resource_sp(self) -> ServicePrincipal:
        """The Microsoft Graph service principal, with its application permissions as app roles."""
        roles = tuple(AppRole(rid, value, value) for value, rid in GRAPH_APP_ROLES.items())
        return self.add_service_principal(
            "Microsoft Graph",
            app_id=GRAPH_APP_ID,
            app_owner_organization_id=MICROSOFT_TENANT_ID,
            app_roles=roles,
            publisher_name="Microsoft Services",
            service_principal_type="Application",
        )

    def assign_app_role(
        self, principal: ServicePrincipal, resource: ServicePrincipal, value: str, *, created: datetime | None = None
    ) -> AppRoleAssignment:
        """Grant `principal` the application permission `value` that `resource` exposes."""
        role = next((r for r in resource.app_roles if r.value == value), None)
        if role is None:
            raise KeyError(f"{resource.display_name} has no app role {value!r}")
        assignment = AppRoleAssignment(
            opaque_id_from(self.rng),
            role.id,
            principal.id,
            principal.display_name,
            resource.id,
            resource.display_name,
            created=created,
        )
        self.app_role_assignments.append(assignment)
        return assignment

    def consent(
        self, client: ServicePrincipal, resource: ServicePrincipal, scopes: Iterable[str], *, user: User | None = None
    ) -> OAuth2PermissionGrant:
        """A delegated grant: one user's consent when `user` is given, else admin consent for all users."""
        consent_type, principal_id = ("Principal", user.id) if user else ("AllPrincipals", None)
        grant = OAuth2PermissionGrant(
            opaque_id_from(self.rng), client.id, consent_type, resource.id, " ".join(scopes), principal_id
        )
        self.oauth2_permission_grants.append(grant)
        return grant

    def assign_directory_role(self, principal_id: str, role: str, *, scope: str = "/") -> RoleAssignment:
        """Give a principal a directory role, named by display name or role definition id."""
        definition = next((d for d in self.role_definitions if role in (d.display_name, d.id)), None)
        if definition is None:
            raise KeyError(f"no directory role {role!r}")
        assignment = RoleAssignment(opaque_id_from(self.rng), principal_id, definition.id, scope)
        self.role_assignments.append(assignment)
        return assignment

    def record_sign_in(
        self, app_id: str, when: datetime, *, delegated: datetime | None = None, application: datetime | None = None
    ) -> SignInActivity:
        """Sign-in activity for an appId; `when` is the last sign-in of any kind (app-only client by default)."""
        activity = SignInActivity(
            app_id,
            last_sign_in=when,
            application_client=application or (None if delegated else when),
            delegated_client=delegated,
        )
        self.sign_in_activities.append(activity)
        return activity

    def add_agent_instance(self, display_name: str, **fields: Any) -> AgentInstance:
        """Register an agent instance in the beta agent registry (enabling the registry if it was absent)."""
        instance = AgentInstance(id=fields.pop("id", None) or self.new_id(), display_name=display_name, **fields)
        if self.agent_instances is None:
            self.agent_instances = []
        self.agent_instances.append(instance)
        return instance

    def add_owner(self, target: Application | ServicePrincipal, owner_id: str) -> None:
        """Make a directory object (user or service principal id) an owner of an app or service principal."""
        target.owners = (*target.owners, owner_id)
