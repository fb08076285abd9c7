"""A large, realistic, reproducible organization for benchmarks: 5,000 projects and 20,000 accounts in a second."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connectors.gcp.emulator_model import SYSTEM_MANAGED, Folder, Organization, Project, ServiceAccount
from connectors.gcp.emulator_org import Org

GEMINI_API = "generativelanguage.googleapis.com"
AGENT_DOMAIN = "agents.global.org-{org}.system.id.goog"
_DEPARTMENTS = ("data", "ml", "web", "payments", "identity", "platform", "search", "ads", "support", "finance")
_ENVS = ("prod", "staging", "dev", "test", "sandbox")
_PLAIN_ROLES = (
    "roles/storage.objectViewer",
    "roles/pubsub.publisher",
    "roles/bigquery.dataViewer",
    "roles/logging.logWriter",
    "roles/cloudsql.client",
    "roles/run.invoker",
)
_AI_ROLES = ("roles/aiplatform.user", "roles/aiplatform.admin", "roles/discoveryengine.agentUser")
_PLAIN_NAMES = ("etl", "api", "batch", "cron", "deploy", "backup", "ingest", "export", "sync", "monitor")
_AI_NAMES = ("vertex-agent", "llm-summarizer", "gemini-bot", "rag-indexer", "genai-assistant")


@dataclass
class _Gen:
    """Shared state of one generation run."""

    rng: random.Random
    org: Org

    def days_ago(self, lo: int, hi: int) -> datetime:
        return self.org.now - timedelta(days=self.rng.randint(lo, hi), seconds=self.rng.randrange(86400))


def build_synthetic(n_projects: int, n_service_accounts: int, *, seed: int = 0) -> Org:
    """About 50 folders (10 departments x 4 teams), projects spread over them, accounts spread over the projects."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    org = Org(Organization(str(rng.randrange(10**11, 10**12)), "bigcorp.example"), now=now, seed=seed)
    gen = _Gen(rng, org)
    org.grant(org.organization, "roles/resourcemanager.organizationAdmin", "user:admin@bigcorp.example")
    leaves = _folders(gen, max(1, min(50, n_projects // 100)))
    projects = [_project(gen, i, leaves[i % len(leaves)].name) for i in range(n_projects)]
    for i in range(n_service_accounts):
        _account(gen, i, projects[i % len(projects)])
    return org


def _folders(gen: _Gen, n_folders: int) -> list[Folder]:
    """Department folders, each with team sub-folders; projects go into the leaves."""
    org = gen.org
    departments = [org.add_folder(name) for name in _DEPARTMENTS[: max(1, n_folders // 5)]]
    leaves: list[Folder] = []
    for index in range(n_folders - len(departments)):
        department = departments[index % len(departments)]
        leaves.append(org.add_folder(f"{department.display_name}-team-{index // len(departments)}", department))
    for department in departments:
        org.grant(department, "roles/viewer", f"group:{department.display_name}-eng@bigcorp.example")
    return leaves or list(departments)


def _project(gen: _Gen, index: int, parent: str) -> Project:
    org, rng = gen.org, gen.rng
    name = f"{rng.choice(_DEPARTMENTS)}-{rng.choice(_ENVS)}-{index:05d}"
    project = org.add_project(name, parent, created=gen.days_ago(30, 2500))
    org.grant(project, "roles/owner", f"user:owner{index % 300}@bigcorp.example")
    org.grant(project, "roles/editor", f"group:team{index % 120}@bigcorp.example")
    if index % 20 == 0:
        targets = [GEMINI_API] if index % 100 == 0 else ["maps.googleapis.com"]
        org.add_api_key(project, f"key-{index}", api_targets=targets, created=gen.days_ago(1, 900))
    if index % 200 == 0:
        _vertex(gen, project)
    if index % 250 == 0:
        pool = org.add_pool(project, "github", "GitHub Actions")
        org.add_provider(pool, "github", issuer_uri="https://token.actions.githubusercontent.com")
    return project


def _vertex(gen: _Gen, project: Project) -> None:
    """Vertex AI and Agent Engine service agents, and one per-agent principal, on the project policy."""
    n, org = project.number, gen.org
    vertex_agent = f"serviceAccount:service-{n}@gcp-sa-aiplatform.iam.gserviceaccount.com"
    org.grant(project, "roles/aiplatform.serviceAgent", vertex_agent)
    re_agent = f"serviceAccount:service-{n}@gcp-sa-aiplatform-re.iam.gserviceaccount.com"
    org.grant(project, "roles/aiplatform.reasoningEngineServiceAgent", re_agent)
    engine = gen.rng.randrange(10**18, 10**19)
    domain = AGENT_DOMAIN.format(org=org.organization.id)
    principal = (
        f"principal://{domain}/resources/aiplatform/projects/{n}/locations/us-central1/reasoningEngines/{engine}"
    )
    org.grant(project, "roles/aiplatform.user", principal)


def _account(gen: _Gen, index: int, project: Project) -> ServiceAccount:
    org, rng = gen.org, gen.rng
    ai = index % 25 == 0
    base = _AI_NAMES[index % len(_AI_NAMES)] if ai else _PLAIN_NAMES[index % len(_PLAIN_NAMES)]
    account = org.add_service_account(
        project, f"{base}-{index:05d}"[:30], f"{base} {index}", disabled=index % 40 == 0, created=gen.days_ago(1, 2000)
    )
    org.grant(project, rng.choice(_AI_ROLES) if ai else rng.choice(_PLAIN_ROLES), account.member)
    if index % 3 == 0:
        used = gen.days_ago(0, 400) if rng.random() < 0.7 else None
        org.add_key(account, gen.days_ago(1, 1800), disabled=index % 33 == 0, last_authenticated=used)
    if index % 10 == 0:
        org.add_key(account, gen.days_ago(1, 14), key_type=SYSTEM_MANAGED)
    if index % 50 == 0:
        org.grant(account, "roles/iam.serviceAccountTokenCreator", f"user:dev{index % 97}@bigcorp.example")
    return account
