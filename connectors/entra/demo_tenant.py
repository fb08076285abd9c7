"""The demo Entra tenant "Contoso": planted shadow AI, consents, agent identities and decoys, plus its registry entries.

Every planted case maps to a shadowsweep rule; ids are fixed GUIDs or come from a seeded generator, dates are
relative to `now`, so demo output is stable run to run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.entra.demo_agents import plant_agent_governance
from connectors.entra.emulator_model import (
    AGENT_BLUEPRINT_PRINCIPAL_TYPE,
    AGENT_BLUEPRINT_TYPE,
    AGENT_IDENTITY_TYPE,
    GRAPH_APP_ID,
    GRAPH_APP_ROLES,
    MICROSOFT_TENANT_ID,
    Application,
    FederatedIdentityCredential,
    KeyCredential,
    PasswordCredential,
    ResourceAccess,
    ServicePrincipal,
    User,
    VerifiedPublisher,
)
from connectors.entra.emulator_tenant import Tenant

CONTOSO_TENANT_ID = "6f1b2c3d-8a9e-4b7c-9d2e-0a1b2c3d4e5f"
OPENAI_TENANT_ID = "a48cca56-e6da-484e-a814-9c849652bcb3"
OTTER_TENANT_ID = "3c9f1e7a-52d4-4f1b-8e6a-7d2c4b9a1f30"
CHATGPT_APP_ID = "e0476654-c1d5-430b-ab80-70cbd947616a"
DELETED_USER_ID = "5b0e9c1d-3f4a-4e8b-a7c6-2d1e0f9a8b7c"
HOSTILE_NAME = "<img src=x onerror=alert(1)>\u202eevil"
HOSTILE_NOTES = "<script>alert(2)</script>"


@dataclass
class _Demo:
    """The tenant being planted, its people and the Graph resource SP every grant points at."""

    tenant: Tenant
    now: datetime
    people: dict[str, User]
    graph: ServicePrincipal

    def ago(self, days: int) -> datetime:
        return self.now - timedelta(days=days)

    def secret(
        self, start_days_ago: int, end_days_ahead: int, hint: str, name: str = "client-secret"
    ) -> PasswordCredential:
        return PasswordCredential(self.tenant.new_id(), name, hint, self.ago(start_days_ago), self.ago(-end_days_ahead))

    def own_app(
        self,
        name: str,
        age_days: int,
        owner: User | None,
        *,
        secret: PasswordCredential | None = None,
        needs: Iterable[str] = (),
        **app_fields: Any,
    ) -> tuple[Application, ServicePrincipal]:
        """An app registered in Contoso `age_days` ago, with its service principal, owner, secret and permissions."""
        app_fields.update(created=self.ago(age_days), owners=(owner.id,) if owner else ())
        app_fields["password_credentials"] = (secret,) if secret else ()
        app_fields["required_resource_access"] = tuple(ResourceAccess(GRAPH_APP_ID, GRAPH_APP_ROLES[v]) for v in needs)
        return self.tenant.add_app_with_sp(name, app_fields=app_fields)


def _people(tenant: Tenant) -> dict[str, User]:
    people = {
        key: tenant.add_user(f"{key}@contoso.example", name)
        for key, name in (
            ("jane.doe", "Jane Doe"),
            ("omar.haddad", "Omar Haddad"),
            ("li.wei", "Li Wei"),
            ("sara.k", "Sara Kowalski"),
        )
    }
    people["departed.sponsor"] = tenant.add_user("departed.sponsor@contoso.example", "Departed Sponsor", enabled=False)
    return people


def _third_party_consents(d: _Demo) -> None:
    """#3 a user's consent to ChatGPT, #4 admin consent to a meeting note-taker."""
    t, ago = d.tenant, d.ago
    chatgpt = t.add_service_principal(
        "ChatGPT",
        app_id=CHATGPT_APP_ID,
        app_owner_organization_id=OPENAI_TENANT_ID,
        publisher_name="OpenAI",
        verified_publisher=VerifiedPublisher("OpenAI", "6279485", ago(700)),
        homepage="https://chatgpt.com",
        reply_urls=("https://chatgpt.com/connector_platform_oauth_redirect",),
        created=ago(45),
    )
    t.consent(
        chatgpt,
        d.graph,
        ["openid", "profile", "email", "offline_access", "User.Read", "Mail.Read", "Files.Read.All"],
        user=d.people["omar.haddad"],
    )
    t.record_sign_in(chatgpt.app_id, ago(1), delegated=ago(1))
    otter = t.add_service_principal(
        "Otter.ai Meeting Notes",
        app_owner_organization_id=OTTER_TENANT_ID,
        publisher_name="Otter.ai",
        verified_publisher=VerifiedPublisher("Otter.ai", "5412876", ago(900)),
        homepage="https://otter.ai",
        reply_urls=("https://otter.ai/auth/microsoft/callback", "https://otter.ai/signin/microsoft"),
        created=ago(120),
    )
    t.consent(otter, d.graph, ["Calendars.Read", "OnlineMeetings.Read", "User.Read", "offline_access"])
    t.record_sign_in(otter.app_id, ago(2), delegated=ago(2))


def _microsoft_consents(d: _Demo) -> None:
    """#10 (part) people consenting to Microsoft's own tools: not AI, must not be flagged."""
    t = d.tenant
    for app_id, name, who in (
        ("de8bc8b5-d9f9-48b1-a8ad-b748da725064", "Graph Explorer", "li.wei"),
        ("04b07795-8ddb-461a-bbee-02f9e1bf7b46", "Microsoft Azure CLI", "sara.k"),
    ):
        sp = t.add_service_principal(
            name,
            app_id=app_id,
            app_owner_organization_id=MICROSOFT_TENANT_ID,
            publisher_name="Microsoft Services",
            created=d.ago(600),
        )
        t.consent(sp, d.graph, ["openid", "profile", "User.Read", "offline_access"], user=d.people[who])
        t.record_sign_in(sp.app_id, d.ago(7), delegated=d.ago(7))


def _sales_copilot(d: _Demo) -> ServicePrincipal:
    """#5 a Copilot-named own app with a two-year secret and Mail.Read + Sites.Read.All; not registered."""
    t = d.tenant
    _, sp = d.own_app(
        "Sales Copilot Agent",
        12,
        d.people["jane.doe"],
        secret=d.secret(10, 720, "Xy7"),
        needs=["Mail.Read", "Sites.Read.All"],
        description="Drafts follow-up emails for account executives",
    )
    t.assign_app_role(sp, d.graph, "Mail.Read", created=d.ago(10))
    t.assign_app_role(sp, d.graph, "Sites.Read.All", created=d.ago(10))
    # It calls Azure OpenAI: admin consent to Azure Cognitive Services' user_impersonation.
    t.consent(sp, _cognitive_services(t), ["user_impersonation"])
    t.record_sign_in(sp.app_id, d.ago(3))
    return sp


def _cognitive_services(t: Tenant) -> ServicePrincipal:
    """Microsoft's Azure Cognitive Services resource (Azure OpenAI and AI services authenticate against it)."""
    return t.add_service_principal(
        "Azure Cognitive Services",
        app_id="7d312290-28c8-473c-a0ed-8e53749b6d6d",
        app_owner_organization_id=MICROSOFT_TENANT_ID,
        publisher_name="Microsoft Services",
        service_principal_type="Application",
    )


def _ops_automation(d: _Demo, sales_copilot: ServicePrincipal) -> None:
    """#11 a Global Administrator SP owned by the Sales Copilot SP: the agent can take over the tenant."""
    t = d.tenant
    cert = KeyCredential(
        t.new_id(),
        "CN=ops-automation",
        start=d.ago(200),
        end=d.ago(-165),
        custom_key_identifier="3E1A9F0C5B7D2E4F6A8B0C1D2E3F4A5B6C7D8E9F",
    )
    app, sp = d.own_app("ops-automation", 400, d.people["li.wei"], key_credentials=(cert,))
    t.add_owner(app, sales_copilot.id)
    t.add_owner(sp, sales_copilot.id)
    t.assign_directory_role(sp.id, "Global Administrator")
    t.record_sign_in(sp.app_id, d.ago(1))


def _hr_agent(d: _Demo) -> ServicePrincipal:
    """#6 an Entra Agent ID identity whose sponsor is disabled and whose only owner was deleted."""
    t, sponsor = d.tenant, d.people["departed.sponsor"].id
    blueprint = t.add_application(
        "HR Onboarding Agent Blueprint",
        odata_type=AGENT_BLUEPRINT_TYPE,
        created=d.ago(150),
        owners=(DELETED_USER_ID,),
        sponsors=(sponsor,),
        sign_in_audience="AzureADMyOrg",
    )
    t.add_service_principal(
        "HR Onboarding Agent Blueprint",
        app_id=blueprint.app_id,
        odata_type=AGENT_BLUEPRINT_PRINCIPAL_TYPE,
        app_owner_organization_id=t.tenant_id,
        owners=(DELETED_USER_ID,),
        sponsors=(sponsor,),
        created=d.ago(150),
    )
    agent = t.add_service_principal(
        "HR Onboarding Agent",
        odata_type=AGENT_IDENTITY_TYPE,
        service_principal_type="ServiceIdentity",
        agent_identity_blueprint_id=blueprint.app_id,
        app_owner_organization_id=t.tenant_id,
        sponsors=(sponsor,),
        owners=(DELETED_USER_ID,),
        created=d.ago(140),
        tags=("AgentIdentity",),
    )
    t.assign_app_role(agent, d.graph, "User.Read.All", created=d.ago(140))
    t.record_sign_in(agent.app_id, d.ago(20))
    return agent


def _registered_apps(d: _Demo) -> dict[str, str]:
    """#7 retired bot with a live secret, #8 GitHub-federated deployer, #13 clean invoice reader; their appIds."""
    t, p = d.tenant, d.people
    _, claims = d.own_app(
        "Claims Triage Bot", 500, p["omar.haddad"], secret=d.secret(165, 200, "Qm2"), needs=["Files.Read.All"]
    )
    t.assign_app_role(claims, d.graph, "Files.Read.All", created=d.ago(480))
    t.record_sign_in(claims.app_id, d.ago(90))
    fic = FederatedIdentityCredential(
        t.new_id(),
        "github-acme-agents-main",
        "https://token.actions.githubusercontent.com",
        "repo:acme/agents:ref:refs/heads/main",
        description="Deploys from GitHub Actions",
    )
    _, deployer = d.own_app("agent-deployer", 60, p["sara.k"], federated_identity_credentials=(fic,))
    t.record_sign_in(deployer.app_id, d.ago(1))
    _, invoice = d.own_app(
        "invoice-graph-reader", 90, p["jane.doe"], secret=d.secret(30, 150, "k9P"), needs=["Mail.Read"]
    )
    t.assign_app_role(invoice, d.graph, "Mail.Read", created=d.ago(89))
    t.record_sign_in(invoice.app_id, d.ago(2))
    return {"claims": claims.app_id, "deployer": deployer.app_id, "invoice": invoice.app_id}


def _hostile_and_decoys(d: _Demo) -> None:
    """#9 markup and a bidi override in provider strings, #10 an OpenAI-named managed identity, plus plain decoys."""
    t = d.tenant
    _, hostile = d.own_app(HOSTILE_NAME, 30, None, secret=d.secret(30, 700, "<b>"), notes=HOSTILE_NOTES)
    hostile.notes = HOSTILE_NOTES
    resource = "/subscriptions/2b7e9f4c-1d3a-4c5e-8f6b-9a0c1d2e3f4a/resourcegroups/rg-ai/providers/"
    mi = t.add_service_principal(
        "mi-openai-summarizer",
        service_principal_type="ManagedIdentity",
        created=d.ago(75),
        alternative_names=(
            "isExplicit=True",
            resource + "Microsoft.ManagedIdentity/userAssignedIdentities/mi-openai-summarizer",
        ),
    )
    t.record_sign_in(mi.app_id, d.ago(5))
    cert = KeyCredential(t.new_id(), "CN=payroll-export", start=d.ago(100), end=d.ago(-265))
    _, payroll = d.own_app("payroll-export", 800, d.people["li.wei"], key_credentials=(cert,))
    t.assign_app_role(payroll, d.graph, "User.Read.All", created=d.ago(790))
    t.record_sign_in(payroll.app_id, d.ago(1))


REGISTRY_FRAGMENT = """\
  - id: entra-invoice-reader
    owner: jane.doe@contoso.example
    purpose: Read supplier invoices from the accounts-payable mailbox
    status: active
    environment: prod
    allowed_permissions: [Mail.Read]
    identities:
      - {invoice}
  - id: entra-claims-triage
    owner: omar.haddad@contoso.example
    purpose: Triage insurance claims from email (decommissioned)
    status: retired
    environment: prod
    retired_on: {retired_on}
    identities:
      - {claims}
  - id: entra-agent-deployer
    owner: sara.k@contoso.example
    purpose: Deploy agent releases from GitHub Actions
    status: active
    environment: prod
    identities:
      - {deployer}
  - id: entra-hr-agent
    owner: departed.sponsor@contoso.example
    purpose: Answer new hires' HR onboarding questions (Entra Agent ID)
    status: active
    environment: prod
    identities:
      - {hr_agent}
"""


def demo_tenant(now: datetime) -> tuple[Tenant, str]:
    """The Contoso demo tenant and its registry entries (list items for `agents:`, indented by 2 spaces)."""
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    tenant = Tenant(CONTOSO_TENANT_ID, "Contoso", seed=20261)
    demo = _Demo(tenant, now.replace(microsecond=0), _people(tenant), tenant.add_graph_resource_sp())
    _third_party_consents(demo)
    _microsoft_consents(demo)
    sales_copilot = _sales_copilot(demo)
    _ops_automation(demo, sales_copilot)
    hr_agent = _hr_agent(demo)
    app_ids = _registered_apps(demo)
    _hostile_and_decoys(demo)
    plant_agent_governance(tenant, demo.now, demo.people, hr_agent)
    retired_on = (now - timedelta(days=60)).date().isoformat()
    return tenant, REGISTRY_FRAGMENT.format(retired_on=retired_on, hr_agent=hr_agent.id, **app_ids)
