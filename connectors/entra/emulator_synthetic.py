"""A large, realistic, reproducible tenant for benchmarks: 100k service principals build in about a second or two."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connectors.entra.emulator_model import (
    AGENT_BLUEPRINT_TYPE,
    AGENT_IDENTITY_TYPE,
    GRAPH_APP_ROLES,
    MICROSOFT_TENANT_ID,
    Application,
    AppRole,
    AppRoleAssignment,
    FederatedIdentityCredential,
    KeyCredential,
    OAuth2PermissionGrant,
    PasswordCredential,
    RoleAssignment,
    ServicePrincipal,
    SignInActivity,
    User,
    VerifiedDomain,
    VerifiedPublisher,
)
from connectors.entra.emulator_tenant import Tenant, guid_from, opaque_id_from

CHATGPT_APP_ID = "e0476654-c1d5-430b-ab80-70cbd947616a"
CLAUDE_MCP_CLIENT_APP_ID = "08ad6f98-a4f8-4635-bb8d-f1a3044760f0"
CLAUDE_MCP_SERVER_APP_ID = "07c030f6-5743-41b7-ba00-0a6e85f37c17"
AOAI_ROLES = ("Cognitive Services OpenAI User", "OpenAI.Chat.Completions", "OpenAI.Embeddings")
_AI_WORDS = ("Copilot", "GPT Assistant", "AI Agent", "LLM Summarizer", "Claude Connector", "OpenAI Bot")
_PLAIN_WORDS = ("Portal", "Sync", "Reporting", "Backup", "Connector", "Scheduler", "Gateway", "Exporter", "Monitor")
_TEAMS = ("finance", "hr", "sales", "ops", "legal", "data", "it", "marketing", "support", "eng")
_USER_SCOPES = (
    "openid profile email offline_access User.Read",
    "User.Read",
    "openid profile User.Read Calendars.Read",
    "User.Read Mail.Read offline_access",
    "Files.Read Sites.Read.All User.Read",
)
_AI_SCOPES = "openid profile email offline_access User.Read Mail.Read Files.Read.All"


@dataclass
class _Gen:
    """Shared state of one generation run."""

    rng: random.Random
    now: datetime
    tenant: Tenant

    def guid(self) -> str:
        return guid_from(self.rng)

    def days_ago(self, lo: int, hi: int) -> datetime:
        return self.now - timedelta(days=self.rng.randint(lo, hi), seconds=self.rng.randrange(86400))


def _users(g: _Gen, n: int) -> list[User]:
    domain = g.tenant.default_domain
    users = [User(g.guid(), f"user{i:06d}@{domain}", f"User {i:06d}", f"user{i:06d}@{domain}") for i in range(n)]
    for u in users[:: max(1, n // 50)]:
        u.account_enabled = False  # about 2% of them left the company but were only disabled
    g.tenant.users.extend(users)
    return users


def _resources(g: _Gen) -> tuple[ServicePrincipal, ServicePrincipal]:
    graph = g.tenant.add_graph_resource_sp()
    roles = tuple(AppRole(g.guid(), v, v) for v in AOAI_ROLES)
    aoai = ServicePrincipal(
        g.guid(),
        g.guid(),
        "Azure OpenAI Gateway (fabrikam-aoai)",
        "Azure OpenAI Gateway",
        app_owner_organization_id=g.tenant.tenant_id,
        app_roles=roles,
    )
    g.tenant.service_principals.append(aoai)
    return graph, aoai


def _secret(g: _Gen) -> PasswordCredential:
    start = g.days_ago(1, 900)
    return PasswordCredential(
        g.guid(), "secret", g.guid()[:3], start, start + timedelta(days=g.rng.choice((180, 365, 730)))
    )


def _own_app(g: _Gen, i: int, users: list[User]) -> Application:
    rng, ai = g.rng, i % 37 == 0
    name = f"{rng.choice(_TEAMS)}-{rng.choice(_AI_WORDS if ai else _PLAIN_WORDS)}-{i:05d}"
    app = Application(g.guid(), g.guid(), name, created=g.days_ago(1, 1500), publisher_domain=g.tenant.default_domain)
    roll = rng.random()
    if roll < 0.6:
        app.password_credentials = (_secret(g),)
    elif roll < 0.75:
        start = g.days_ago(1, 700)
        app.key_credentials = (KeyCredential(g.guid(), f"CN={name}", start=start, end=start + timedelta(days=365)),)
    if rng.random() < 0.03:
        fic = FederatedIdentityCredential(
            g.guid(),
            "github-main",
            "https://token.actions.githubusercontent.com",
            f"repo:fabrikam/{name}:ref:refs/heads/main",
        )
        app.federated_identity_credentials = (fic,)
    if rng.random() < 0.8:
        app.owners = (users[rng.randrange(len(users))].id,)
    if i % 1000 == 0:
        app.odata_type = AGENT_BLUEPRINT_TYPE
    return app


def _own_sps(g: _Gen, apps: list[Application]) -> list[ServicePrincipal]:
    tid = g.tenant.tenant_id
    return [
        ServicePrincipal(
            g.guid(),
            a.app_id,
            a.display_name,
            a.display_name,
            app_owner_organization_id=tid,
            created=a.created,
            owners=a.owners,
            tags=("WindowsAzureActiveDirectoryIntegratedApp",),
        )
        for a in apps
    ]


def _foreign_sp(
    g: _Gen, i: int, vendors: list[str], blueprints: list[Application], users: list[User]
) -> ServicePrincipal:
    rng, roll = g.rng, g.rng.random()
    if roll < 0.1:
        return ServicePrincipal(
            g.guid(),
            g.guid(),
            f"mi-{rng.choice(_TEAMS)}-{i:06d}",
            service_principal_type="ManagedIdentity",
            alternative_names=(f"/subscriptions/{g.guid()}/resourceGroups/rg-{i}",),
        )
    if roll < 0.11 and blueprints:
        sponsor = users[rng.randrange(len(users))].id
        return ServicePrincipal(
            g.guid(),
            g.guid(),
            f"agent-{rng.choice(_TEAMS)}-{i:06d}",
            service_principal_type="ServiceIdentity",
            odata_type=AGENT_IDENTITY_TYPE,
            agent_identity_blueprint_id=rng.choice(blueprints).app_id,
            sponsors=(sponsor,),
            app_owner_organization_id=g.tenant.tenant_id,
        )
    ms = roll < 0.4
    words = _AI_WORDS if i % 41 == 0 else _PLAIN_WORDS
    org = MICROSOFT_TENANT_ID if ms else vendors[i % len(vendors)]
    name = f"{'Microsoft' if ms else 'Vendor' + str(i % len(vendors))} {rng.choice(words)} {i:06d}"
    publisher = None if ms else VerifiedPublisher(f"Vendor {i % len(vendors)}", str(4_000_000 + i % len(vendors)))
    return ServicePrincipal(
        g.guid(),
        g.guid(),
        name,
        name,
        app_owner_organization_id=org,
        verified_publisher=publisher,
        reply_urls=() if ms else (f"https://app{i}.vendor.example/auth",),
    )


def _ai_vendor_sps(g: _Gen) -> list[ServicePrincipal]:
    openai = VerifiedPublisher("OpenAI", "6279485", datetime(2023, 5, 1, tzinfo=UTC))
    anthropic = VerifiedPublisher("Anthropic", "6812401", datetime(2024, 9, 1, tzinfo=UTC))
    specs = (
        (CHATGPT_APP_ID, "ChatGPT", openai),
        (CLAUDE_MCP_CLIENT_APP_ID, "M365 MCP Client for Claude", anthropic),
        (CLAUDE_MCP_SERVER_APP_ID, "M365 MCP Server for Claude", anthropic),
    )
    return [
        ServicePrincipal(g.guid(), app_id, name, name, app_owner_organization_id=g.guid(), verified_publisher=vp)
        for app_id, name, vp in specs
    ]


def _grants(
    g: _Gen,
    n: int,
    clients: list[ServicePrincipal],
    ai: list[ServicePrincipal],
    users: list[User],
    graph: ServicePrincipal,
) -> list[OAuth2PermissionGrant]:
    out, rng, nc, nu = [], g.rng, len(clients), len(users)
    for i in range(n):
        if i % 20 == 0:  # 5%: a user consented to ChatGPT or Claude
            client, user, scope = ai[(i // 20) % len(ai)], users[(i // 60) % nu], _AI_SCOPES
        elif i % 10 == 1:  # admin consent for everyone
            client, user, scope = clients[(i * 7) % nc], None, "User.Read Directory.Read.All"
        else:
            client, user, scope = clients[i % nc], users[(i // nc) % nu], _USER_SCOPES[i % len(_USER_SCOPES)]
        out.append(
            OAuth2PermissionGrant(
                opaque_id_from(rng),
                client.id,
                "Principal" if user else "AllPrincipals",
                graph.id,
                scope,
                user.id if user else None,
            )
        )
    return out


def _assignments(g: _Gen, sps: list[ServicePrincipal], graph: ServicePrincipal, aoai: ServicePrincipal) -> None:
    roles = list(GRAPH_APP_ROLES.items())
    add: Callable[[AppRoleAssignment], None] = g.tenant.app_role_assignments.append
    for i, sp in enumerate(sps):
        if i % 10 == 0:
            value, role_id = roles[i % len(roles)]
            add(
                AppRoleAssignment(
                    opaque_id_from(g.rng),
                    role_id,
                    sp.id,
                    sp.display_name,
                    graph.id,
                    graph.display_name,
                    created=sp.created,
                )
            )
        if any(w in sp.display_name for w in _AI_WORDS):
            role = aoai.app_roles[i % len(aoai.app_roles)]
            add(AppRoleAssignment(opaque_id_from(g.rng), role.id, sp.id, sp.display_name, aoai.id, aoai.display_name))
    for sp in sps[:: max(1, len(sps) // 20)]:
        g.tenant.role_assignments.append(
            RoleAssignment(opaque_id_from(g.rng), sp.id, "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3")
        )


def build_synthetic(
    n_service_principals: int, n_applications: int, n_grants: int, *, seed: int = 0, now: datetime | None = None
) -> Tenant:
    """A tenant with exactly n_service_principals SPs, n_applications apps and n_grants delegated grants."""
    if n_service_principals < 5:
        raise ValueError("a synthetic tenant needs at least 5 service principals (Graph, a gateway and 3 AI vendors)")
    rng = random.Random(seed)
    tenant = Tenant(guid_from(rng), "Fabrikam (synthetic)", [VerifiedDomain("fabrikam.example", True)], seed=seed)
    g = _Gen(rng, (now or datetime.now(UTC)).replace(microsecond=0), tenant)
    users = _users(g, max(10, min(50_000, n_grants // 8 + 10)))
    graph, aoai = _resources(g)
    apps = [_own_app(g, i, users) for i in range(n_applications)]
    tenant.applications.extend(apps)
    ai_vendors = _ai_vendor_sps(g)
    room = n_service_principals - len(tenant.service_principals) - len(ai_vendors)
    own = _own_sps(g, apps[:room])
    blueprints = [a for a in apps if a.odata_type]
    vendors = [g.guid() for _ in range(200)]
    foreign = [_foreign_sp(g, i, vendors, blueprints, users) for i in range(room - len(own))]
    tenant.service_principals.extend([*ai_vendors, *own, *foreign])
    clients = [s for s in foreign if s.service_principal_type == "Application"] or own or [graph]
    tenant.oauth2_permission_grants.extend(_grants(g, n_grants, clients, ai_vendors, users, graph))
    _assignments(g, own + foreign, graph, aoai)
    _sign_ins(g)
    return tenant


def _sign_ins(g: _Gen) -> None:
    """About 70% of service principals signed in at some point in the last 400 days."""
    for sp in g.tenant.service_principals:
        if g.rng.random() < 0.7:
            last = g.days_ago(0, 400)
            g.tenant.sign_in_activities.append(SignInActivity(sp.app_id, last, application_client=last))
