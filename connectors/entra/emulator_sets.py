"""Graph's entity sets, their subtypes (OData casts) and navigation properties, as the emulator serves them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.entra import emulator_wire as wire
from connectors.entra.emulator_agents import INSTANCE_TYPE, LIFECYCLE_TYPE, agent_instance_json, lifecycle_json
from connectors.entra.emulator_index import Index
from connectors.entra.emulator_model import (
    AGENT_BLUEPRINT_PRINCIPAL_TYPE,
    AGENT_BLUEPRINT_TYPE,
    AGENT_IDENTITY_TYPE,
    AgentInstance,
    AgentLifecycle,
    Application,
    AppRoleAssignment,
    FederatedIdentityCredential,
    KeyCredential,
    OAuth2PermissionGrant,
    PasswordCredential,
    RoleAssignment,
    RoleDefinition,
    ServicePrincipal,
    SignInActivity,
    User,
    VerifiedPublisher,
)
from connectors.entra.emulator_tenant import Tenant


@dataclass(frozen=True)
class Kind:
    """An entity type: how to serialize it and which properties $select may name."""

    type_name: str
    serialize: Callable[[Any], wire.Json]
    properties: frozenset[str]


def _kind(type_name: str, serialize: Callable[[Any], wire.Json], *samples: object) -> Kind:
    props = frozenset(k for s in samples for k in serialize(s) if not k.startswith("@"))
    return Kind(type_name, serialize, props)


USER = _kind("microsoft.graph.user", wire.user_json, User("x", "x", "x"))
_SP_SAMPLE = ServicePrincipal(
    "x", "x", "x", agent_identity_blueprint_id="x", verified_publisher=VerifiedPublisher("x", "x")
)
SERVICE_PRINCIPAL = _kind("microsoft.graph.servicePrincipal", wire.service_principal_json, _SP_SAMPLE)
_APP_SAMPLE = Application(
    "x", "x", "x", password_credentials=(PasswordCredential("x"),), key_credentials=(KeyCredential("x"),)
)
APPLICATION = _kind("microsoft.graph.application", wire.application_json, _APP_SAMPLE)
DIRECTORY_OBJECT = Kind(
    "microsoft.graph.directoryObject",
    wire.directory_object_json,
    USER.properties | SERVICE_PRINCIPAL.properties | APPLICATION.properties,
)
APP_ROLE_ASSIGNMENT = _kind(
    "microsoft.graph.appRoleAssignment", wire.app_role_assignment_json, AppRoleAssignment("x", "x", "x", "x", "x", "x")
)
GRANT = _kind("microsoft.graph.oAuth2PermissionGrant", wire.grant_json, OAuth2PermissionGrant("x", "x", "x", "x", "x"))
FIC = _kind(
    "microsoft.graph.federatedIdentityCredential", wire.fic_json, FederatedIdentityCredential("x", "x", "x", "x")
)
ROLE_DEFINITION = _kind(
    "microsoft.graph.unifiedRoleDefinition", wire.role_definition_json, RoleDefinition("x", "x", "x")
)
ROLE_ASSIGNMENT = _kind(
    "microsoft.graph.unifiedRoleAssignment", wire.role_assignment_json, RoleAssignment("x", "x", "x")
)
SIGN_IN_ACTIVITY = _kind(
    "microsoft.graph.servicePrincipalSignInActivity", wire.sign_in_activity_json, SignInActivity("x")
)
LIFECYCLE = _kind(LIFECYCLE_TYPE, lifecycle_json, ServicePrincipal("x", "x", "x", lifecycle=AgentLifecycle()))
AGENT_INSTANCE = _kind(INSTANCE_TYPE, agent_instance_json, AgentInstance("x", "x"))


@dataclass(frozen=True)
class Nav:
    """A navigation property: the related objects of one entity, served as a sub-collection or inline by $expand."""

    name: str
    related: Callable[[Index, Any], Sequence[Any]]
    kind: Kind
    fragment: Callable[[str, str], str]  # (entity set, object id) -> @odata.context fragment
    single: bool = False  # single-valued: $expand inlines one object (or null), not a list
    beta_only: bool = False  # unknown on /v1.0, as Graph's v1.0 metadata does not have it


def _directory_objects(_set: str, _id: str) -> str:
    return "directoryObjects"


def _nav_fragment(name: str) -> Callable[[str, str], str]:
    return lambda entity_set, object_id: f"{entity_set}('{object_id}')/{name}"


OWNERS = Nav("owners", lambda ix, o: ix.existing(o.owners), DIRECTORY_OBJECT, _directory_objects)
SPONSORS = Nav("sponsors", lambda ix, o: ix.existing(o.sponsors), DIRECTORY_OBJECT, _directory_objects)
APP_ROLE_ASSIGNMENTS = Nav(
    "appRoleAssignments",
    lambda ix, o: ix.assignments_by_principal.get(o.id.lower(), []),
    APP_ROLE_ASSIGNMENT,
    _nav_fragment("appRoleAssignments"),
)
APP_ROLE_ASSIGNED_TO = Nav(
    "appRoleAssignedTo",
    lambda ix, o: ix.assignments_by_resource.get(o.id.lower(), []),
    APP_ROLE_ASSIGNMENT,
    _nav_fragment("appRoleAssignedTo"),
)
DELEGATED_GRANTS = Nav(
    "oauth2PermissionGrants",
    lambda ix, o: ix.grants_by_client.get(o.id.lower(), []),
    GRANT,
    _nav_fragment("oauth2PermissionGrants"),
)
FICS = Nav(
    "federatedIdentityCredentials",
    lambda ix, o: o.federated_identity_credentials,
    FIC,
    _nav_fragment("federatedIdentityCredentials"),
)


# beta: a service principal's lifecycle state, which only agent identities have (the object serialized as its state).
LIFECYCLE_NAV = Nav(
    "lifecycle",
    lambda ix, o: [o] if o.odata_type == AGENT_IDENTITY_TYPE else [],
    LIFECYCLE,
    _nav_fragment("lifecycle"),
    single=True,
    beta_only=True,
)


def _navs(*navs: Nav) -> dict[str, Nav]:
    return {n.name.lower(): n for n in navs}


@dataclass(frozen=True)
class EntitySet:
    """A top-level directory collection: its objects, lookups, subtypes and navigation properties per subtype."""

    name: str
    kind: Kind
    items: Callable[[Tenant], Sequence[Any]]
    by_id: Callable[[Index, str], Any]
    by_app_id: Callable[[Index, str], Any] | None
    casts: dict[str, str]  # lower-case cast name -> full @odata.type
    cast_items: Callable[[Index, str], Sequence[Any]]
    navs: dict[str | None, dict[str, Nav]]  # cast @odata.type (or None for the base type) -> navigation properties

    def cast_type(self, cast: str) -> str | None:
        """The full @odata.type for a cast segment such as 'microsoft.graph.agentIdentity', or None if unknown."""
        return self.casts.get(cast.lower().removeprefix("microsoft.graph."))

    def navs_for(self, odata_type: str | None) -> dict[str, Nav]:
        """The navigation properties the base type (or a subtype) has."""
        return self.navs.get(odata_type, self.navs[None])


def _cast_map(*types: str) -> dict[str, str]:
    return {t.removeprefix("#microsoft.graph.").lower(): t for t in types}


_SP_BASE = _navs(OWNERS, APP_ROLE_ASSIGNMENTS, APP_ROLE_ASSIGNED_TO, DELEGATED_GRANTS, LIFECYCLE_NAV)
_APP_BASE = _navs(OWNERS, FICS)
SERVICE_PRINCIPALS = EntitySet(
    "servicePrincipals",
    SERVICE_PRINCIPAL,
    lambda t: t.service_principals,
    lambda ix, i: ix.service_principals.get(i.lower()),
    lambda ix, i: ix.sps_by_app_id.get(i.lower()),
    _cast_map(AGENT_IDENTITY_TYPE, AGENT_BLUEPRINT_PRINCIPAL_TYPE),
    lambda ix, t: ix.sp_casts.get(t.lower(), []),
    {
        None: _SP_BASE,
        AGENT_IDENTITY_TYPE: {**_SP_BASE, **_navs(SPONSORS)},
        AGENT_BLUEPRINT_PRINCIPAL_TYPE: {**_SP_BASE, **_navs(SPONSORS)},
    },
)
APPLICATIONS = EntitySet(
    "applications",
    APPLICATION,
    lambda t: t.applications,
    lambda ix, i: ix.applications.get(i.lower()),
    lambda ix, i: ix.apps_by_app_id.get(i.lower()),
    _cast_map(AGENT_BLUEPRINT_TYPE),
    lambda ix, t: ix.app_casts.get(t.lower(), []),
    {None: _APP_BASE, AGENT_BLUEPRINT_TYPE: {**_APP_BASE, **_navs(SPONSORS)}},
)
USERS = EntitySet(
    "users", USER, lambda t: t.users, lambda ix, i: ix.users.get(i.lower()), None, {}, lambda ix, t: [], {None: {}}
)
ENTITY_SETS = {s.name.lower(): s for s in (SERVICE_PRINCIPALS, APPLICATIONS, USERS)}
