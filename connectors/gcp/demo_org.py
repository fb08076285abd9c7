"""The demo Google Cloud organization "acme.example": planted shadow AI, risky credentials and decoys, plus registry.

Every planted case maps to a shadowsweep rule. Ids are fixed (or come from a seeded generator) and dates are relative
to `now`, so demo output is stable run to run:
 1. an Agent Engine per-agent principal nobody registered, with the Vertex AI and Agent Engine service agents;
 2. llm-pipeline: a five-year-old user-managed key that never expires, used two days ago (plus a system key);
 3. a Gemini API key ("website-chat") next to a harmless Maps key;
 4. a GitHub workload identity provider with no attribute condition, trusted to act as an editor;
 5. support-agent, registered, key-less, within its allowed role;
 6. impersonation of llm-pipeline by a user and a CI account; a folder-level AI role for a group;
 7. an organization admin and a travel-booking decoy that is not AI;
 8. legacy-summarizer, registered as retired yet still holding a role and an active key.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.gcp.emulator_model import SYSTEM_MANAGED, Condition, Organization, Project
from connectors.gcp.emulator_org import Org

ORG_ID = "483920175531"
ML_FOLDER_ID = "274658193021"
CORP_FOLDER_ID = "618204937512"
PROJECT_NUMBERS = {
    "ml-platform-prod": "804562319074",
    "data-pipelines": "371905826413",
    "marketing-web": "559013782246",
    "sandbox-research": "926471038855",
}
REASONING_ENGINE_ID = "6358402917364518912"
ML_NUMBER = PROJECT_NUMBERS["ml-platform-prod"]
AGENT_PRINCIPAL = (
    f"principal://agents.global.org-{ORG_ID}.system.id.goog/resources/aiplatform/projects/{ML_NUMBER}"
    f"/locations/us-central1/reasoningEngines/{REASONING_ENGINE_ID}"
)
VERTEX_AGENT = f"service-{ML_NUMBER}@gcp-sa-aiplatform.iam.gserviceaccount.com"
AGENT_ENGINE_AGENT = f"service-{ML_NUMBER}@gcp-sa-aiplatform-re.iam.gserviceaccount.com"
SUPPORT_AGENT = "support-agent@ml-platform-prod.iam.gserviceaccount.com"
SUPPORT_AGENT_ID = "104729384615203948571"
LLM_PIPELINE = "llm-pipeline@data-pipelines.iam.gserviceaccount.com"
LLM_PIPELINE_ID = "117384920571638492015"
LEGACY_SUMMARIZER = "legacy-summarizer@data-pipelines.iam.gserviceaccount.com"
DEPLOYER = "deployer@sandbox-research.iam.gserviceaccount.com"
CI_RUNNER = "ci-runner@sandbox-research.iam.gserviceaccount.com"
TRAVEL_AGENT = "travel-agent-booking@marketing-web.iam.gserviceaccount.com"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GEMINI_API = "generativelanguage.googleapis.com"
SANDBOX_NUMBER = PROJECT_NUMBERS["sandbox-research"]
GITHUB_POOL_SET = (
    f"principalSet://iam.googleapis.com/projects/{SANDBOX_NUMBER}/locations/global/workloadIdentityPools/github/*"
)

REGISTRY_FRAGMENT = """\
  - id: gcp-support-agent
    owner: jane.doe@example.com
    purpose: Customer support agent on Vertex AI
    status: active
    environment: prod
    allowed_permissions: [roles/aiplatform.user]
    identities:
      - {support}
      - "{support_id}"
  - id: gcp-legacy-summarizer
    owner: omar.haddad@example.com
    purpose: Summarize support tickets with Gemini (decommissioned)
    status: retired
    environment: prod
    retired_on: {retired_on}
    identities:
      - {legacy}
"""


def _hierarchy(org: Org, now: datetime) -> dict[str, Project]:
    """The ml and corp folders, the four projects, the org admin and the folder-level AI role (#6, #7)."""
    ml = org.add_folder("ml", id=ML_FOLDER_ID, created=now - timedelta(days=1400))
    corp = org.add_folder("corp", id=CORP_FOLDER_ID, created=now - timedelta(days=1500))
    parents = {"ml-platform-prod": ml, "data-pipelines": ml, "marketing-web": corp, "sandbox-research": corp}
    services = {
        "ml-platform-prod": ("aiplatform.googleapis.com", "bigquery.googleapis.com"),
        "data-pipelines": ("aiplatform.googleapis.com", "storage.googleapis.com"),
        "marketing-web": (GEMINI_API, "maps-backend.googleapis.com"),
        "sandbox-research": ("sts.googleapis.com", "iamcredentials.googleapis.com"),
    }
    projects = {
        pid: org.add_project(
            pid, parents[pid], number=number, created=now - timedelta(days=1300 - 200 * i), services=services[pid]
        )
        for i, (pid, number) in enumerate(PROJECT_NUMBERS.items())
    }
    org.grant(org.organization, "roles/resourcemanager.organizationAdmin", "user:alice@acme.example")
    org.grant(org.organization, "roles/iam.securityReviewer", "group:security@acme.example")
    org.grant(ml, "roles/aiplatform.user", "group:ml-engineers@acme.example")
    org.grant(corp, "roles/viewer", "group:corp-it@acme.example")
    for project in projects.values():
        org.grant(project, "roles/owner", "user:alice@acme.example")
    return projects


def _ml_platform(org: Org, project: Project, now: datetime) -> None:
    """#1 the unregistered Agent Engine identity and the service agents; #5 the registered support agent."""
    org.grant(project, "roles/aiplatform.user", AGENT_PRINCIPAL)
    org.grant(project, "roles/bigquery.dataViewer", AGENT_PRINCIPAL)
    org.grant(project, "roles/aiplatform.reasoningEngineServiceAgent", f"serviceAccount:{AGENT_ENGINE_AGENT}")
    org.grant(project, "roles/aiplatform.serviceAgent", f"serviceAccount:{VERTEX_AGENT}")
    support = org.add_service_account(
        project,
        "support-agent",
        "Customer support agent on Vertex AI",
        "Answers customer tickets with Gemini on Vertex AI",
        unique_id=SUPPORT_AGENT_ID,
        created=now - timedelta(days=200),
    )
    support.last_authenticated = now - timedelta(days=1)
    org.grant(project, "roles/aiplatform.user", support.member)
    expiry = (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    break_glass = Condition("break-glass", f'request.time < timestamp("{expiry}")', "On-call access for one week")
    org.grant(project, "roles/aiplatform.admin", "group:ml-oncall@acme.example", condition=break_glass)


def _data_pipelines(org: Org, project: Project, now: datetime) -> None:
    """#2 the LLM pipeline's old key, #6 who can impersonate it, #8 the retired summarizer still holding access."""
    pipeline = org.add_service_account(
        project, "llm-pipeline", "LLM pipeline", "Nightly ticket summaries", unique_id=LLM_PIPELINE_ID
    )
    pipeline.created = now - timedelta(days=5 * 365 + 3)
    org.add_key(pipeline, now - timedelta(days=5 * 365), last_authenticated=now - timedelta(days=2))
    org.add_key(pipeline, now - timedelta(days=3), key_type=SYSTEM_MANAGED)
    org.grant(project, "roles/aiplatform.user", pipeline.member)
    org.grant(project, "roles/storage.objectViewer", pipeline.member)
    org.grant(pipeline, "roles/iam.serviceAccountTokenCreator", "user:bob@acme.example")
    org.grant(pipeline, "roles/iam.serviceAccountTokenCreator", f"serviceAccount:{CI_RUNNER}")
    legacy = org.add_service_account(
        project, "legacy-summarizer", "Legacy summarizer", "Ticket summaries (replaced by llm-pipeline)"
    )
    legacy.created = now - timedelta(days=420)
    org.add_key(legacy, now - timedelta(days=400), last_authenticated=now - timedelta(days=45))
    org.grant(project, "roles/aiplatform.user", legacy.member)
    etl = org.add_service_account(project, "etl-runner", "ETL runner", "Loads warehouse tables")
    org.grant(project, "roles/bigquery.dataEditor", etl.member)


def _marketing(org: Org, project: Project, now: datetime) -> None:
    """#3 the Gemini API key beside a Maps key; #7 the travel-booking decoy."""
    chat = org.add_api_key(project, "website-chat", api_targets=[GEMINI_API], created=now - timedelta(days=120))
    chat.allowed_referrers = ["https://www.acme.example/*"]
    maps = org.add_api_key(
        project, "maps-frontend", api_targets=["maps.googleapis.com"], created=now - timedelta(days=700)
    )
    maps.allowed_referrers = ["https://www.acme.example/*"]
    travel = org.add_service_account(project, "travel-agent-booking", "Books travel", "Books staff travel via Concur")
    org.grant(project, "roles/datastore.user", travel.member)


def _sandbox(org: Org, project: Project) -> None:
    """#4 a GitHub provider with no attribute condition, trusted to act as the editor `deployer`; #6 ci-runner."""
    pool = org.add_pool(project, "github", "GitHub Actions", description="Deploys from GitHub Actions")
    mapping = {
        "google.subject": "assertion.sub",
        "attribute.repository": "assertion.repository",
        "attribute.actor": "assertion.actor",
    }
    org.add_provider(pool, "github", display_name="GitHub", issuer_uri=GITHUB_ISSUER, attribute_mapping=mapping)
    partners = org.add_pool(project, "aws-partners", "AWS partners")
    condition = "attribute.aws_role == 'arn:aws:sts::210987654321:assumed-role/partner-reader'"
    org.add_provider(partners, "partner-aws", aws_account_id="210987654321", attribute_condition=condition)
    deployer = org.add_service_account(project, "deployer", "Deployer", "Terraform applies from CI")
    org.grant(project, "roles/editor", deployer.member)
    org.grant(deployer, "roles/iam.workloadIdentityUser", GITHUB_POOL_SET)
    runner = org.add_service_account(project, "ci-runner", "CI runner", "Runs integration tests")
    org.grant(project, "roles/storage.admin", runner.member)


def demo_org(now: datetime) -> tuple[Org, str]:
    """The acme.example demo organization and its registry entries (list items for `agents:`, indented by 2 spaces)."""
    now = (now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)).replace(microsecond=0)
    org = Org(Organization(ORG_ID, "acme.example", "C03xk7q2p"), now=now, seed=483920)
    projects = _hierarchy(org, now)
    _ml_platform(org, projects["ml-platform-prod"], now)
    _data_pipelines(org, projects["data-pipelines"], now)
    _marketing(org, projects["marketing-web"], now)
    _sandbox(org, projects["sandbox-research"])
    retired_on = (now - timedelta(days=30)).date().isoformat()
    fragment = REGISTRY_FRAGMENT.format(
        support=SUPPORT_AGENT, support_id=SUPPORT_AGENT_ID, legacy=LEGACY_SUMMARIZER, retired_on=retired_on
    )
    return org, fragment
