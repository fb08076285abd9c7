"""The demo tenant's Agent ID governance: attestations of agent identities and the beta agent registry's instances.

Planted after every other demo object, so the seeded ids of the rest of the tenant stay what they were.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from connectors.entra.emulator_model import (
    AGENT_IDENTITY_TYPE,
    AGENT_USER_TYPE,
    AgentLifecycle,
    ComplianceIssue,
    ServicePrincipal,
    User,
)
from connectors.entra.emulator_tenant import Tenant

AGENT_POLICY_ID = "f360e310-e2c9-4bb3-a3ca-791d3c0b6548"
POWER_VIRTUAL_AGENTS_APP_ID = "9d8f559b-5984-46a4-902a-ad4271e83efa"  # manages Copilot Studio agents
VENDOR_FAQ_INSTANCE = "Copilot Studio Agent: vendor-faq-0193"
DELETED_OWNER_ID = "0c7d2e91-6a4b-4f3e-9d8c-1b2a3c4d5e6f"


def _agent(t: Tenant, name: str, blueprint_app_id: str, sponsor: User, created: datetime) -> ServicePrincipal:
    return t.add_service_principal(
        name,
        odata_type=AGENT_IDENTITY_TYPE,
        service_principal_type="ServiceIdentity",
        agent_identity_blueprint_id=blueprint_app_id,
        app_owner_organization_id=t.tenant_id,
        sponsors=(sponsor.id,),
        created=created,
        tags=("AgentIdentity",),
    )


def plant_agent_governance(t: Tenant, now: datetime, people: dict[str, User], hr_agent: ServicePrincipal) -> None:
    """#14 attestations: stale (HR agent), recent, never; #15 registry instances: HR agent, an agent user, an orphan."""
    blueprint = hr_agent.agent_identity_blueprint_id or ""
    sponsor_issue = ComplianceIssue(
        "SponsorCountBelowMinimum",
        "The agent identity does not meet the minimum sponsor count requirement.",
        "sponsorPresence",
        AGENT_POLICY_ID,
        ("MissingRequiredNumberOfSponsors",),
    )
    hr_agent.lifecycle = AgentLifecycle(now - timedelta(days=200), (sponsor_issue,), AGENT_POLICY_ID)
    benefits = _agent(t, "HR Benefits Agent", blueprint, people["jane.doe"], now - timedelta(days=60))
    benefits.lifecycle = AgentLifecycle(now - timedelta(days=12), (), AGENT_POLICY_ID)
    _agent(t, "HR Offboarding Agent", blueprint, people["sara.k"], now - timedelta(days=45))  # never attested
    t.add_agent_instance(
        "HR Onboarding Agent",
        id="Copilot Studio Agent: hr-onboarding-0042",
        agent_identity_id=hr_agent.id,
        agent_identity_blueprint_id=blueprint,
        owner_ids=(people["omar.haddad"].id,),
        originating_store="Copilot Studio",
        managed_by=POWER_VIRTUAL_AGENTS_APP_ID,
        created_by=people["jane.doe"].id,
        source_agent_id="hr-onboarding-0042",
        created=now - timedelta(days=140),
    )
    procurement = t.add_user("procurement-agent@contoso.example", "Procurement Q&A Agent", odata_type=AGENT_USER_TYPE)
    t.add_agent_instance(
        "Procurement Q&A",
        id="Copilot Studio Agent: procurement-qa-0117",
        agent_user_id=procurement.id,
        owner_ids=(people["li.wei"].id,),
        originating_store="Copilot Studio",
        managed_by=POWER_VIRTUAL_AGENTS_APP_ID,
        created_by=people["li.wei"].id,
        source_agent_id="procurement-qa-0117",
        created=now - timedelta(days=30),
    )
    t.add_agent_instance(
        "Vendor FAQ",
        id=VENDOR_FAQ_INSTANCE,
        owner_ids=(DELETED_OWNER_ID,),
        originating_store="Copilot Studio",
        managed_by=POWER_VIRTUAL_AGENTS_APP_ID,
        source_agent_id="vendor-faq-0193",
        created=now - timedelta(days=300),
    )
