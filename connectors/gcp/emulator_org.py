"""The emulated organization (`Org`): the store every endpoint reads, with builders that keep its indexes right."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from connectors.gcp.emulator_model import (
    DEFAULT_SERVICES,
    GOOGLE_PROVIDED,
    NEVER_EXPIRES,
    SYSTEM_MANAGED,
    USER_MANAGED,
    ApiKey,
    Condition,
    Folder,
    Organization,
    Policy,
    Project,
    ServiceAccount,
    ServiceAccountKey,
    WorkloadIdentityPool,
    WorkloadIdentityProvider,
)

Resource = Organization | Folder | Project | ServiceAccount
SYSTEM_KEY_LIFETIME = timedelta(days=730)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Org:
    """One organization: folders, projects and everything inside them; `now` anchors observation windows."""

    organization: Organization = field(default_factory=lambda: Organization("123456789012", "example.com"))
    now: datetime = field(default_factory=_utc_now)
    seed: int = 0
    quota_project: str | None = None  # the consumer project of calls that name none (else the first project)
    folders: dict[str, Folder] = field(default_factory=dict)  # by folder id
    projects: dict[str, Project] = field(default_factory=dict)  # by projectId
    rng: random.Random = field(init=False, repr=False, compare=False)
    _by_number: dict[str, Project] = field(init=False, repr=False, default_factory=dict)
    _sa_by_email: dict[str, ServiceAccount] = field(init=False, repr=False, default_factory=dict)
    _sa_by_uid: dict[str, ServiceAccount] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    @classmethod
    def synthetic(cls, n_projects: int, n_service_accounts: int, *, seed: int = 0) -> Org:
        """A large realistic organization for benchmarks; see emulator_synthetic."""
        from connectors.gcp.emulator_synthetic import build_synthetic

        return build_synthetic(n_projects, n_service_accounts, seed=seed)

    # ids

    def digits(self, n: int, *, lead: str = "") -> str:
        """A random number with exactly n digits (after `lead`), reproducible from the seed."""
        width = n - len(lead)
        return lead + str(self.rng.randrange(10 ** (width - 1), 10**width))

    def key_id(self) -> str:
        """A service-account key id: 40 hex digits."""
        return f"{self.rng.getrandbits(160):040x}"

    def uid(self) -> str:
        """An API key uid (a UUID)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # lookups

    def project(self, ref: str) -> Project | None:
        """A project by projectId or number (with or without "projects/")."""
        ref = ref.removeprefix("projects/")
        return self.projects.get(ref) or self._by_number.get(ref)

    def folder(self, ref: str) -> Folder | None:
        """A folder by id or "folders/N"."""
        return self.folders.get(ref.removeprefix("folders/"))

    def service_account(self, ref: str) -> ServiceAccount | None:
        """A user-managed service account by email or uniqueId."""
        return self._sa_by_email.get(ref) or self._sa_by_uid.get(ref)

    def all_service_accounts(self) -> Iterator[ServiceAccount]:
        """Every service account, project by project."""
        for project in self.projects.values():
            yield from project.service_accounts

    def ancestors(self, parent: str) -> list[str]:
        """The folders ("folders/N") from `parent` up to the organization, nearest first."""
        chain: list[str] = []
        while parent.startswith("folders/"):
            folder = self.folder(parent)
            if folder is None or parent in chain:
                break
            chain.append(parent)
            parent = folder.parent
        return chain

    def consumer(self) -> Project | None:
        """The project charged for calls that name no project."""
        if self.quota_project is not None:
            return self.project(self.quota_project)
        return next(iter(self.projects.values()), None)

    # builders

    def add_folder(
        self,
        display_name: str,
        parent: Folder | str | None = None,
        *,
        id: str | None = None,
        created: datetime | None = None,
    ) -> Folder:
        """A folder under the organization (or under `parent`)."""
        parent_name = parent.name if isinstance(parent, Folder) else parent or self.organization.name
        folder_id = id or self.digits(12)
        folder = Folder(folder_id, display_name, parent_name, created or self.now - timedelta(days=900))
        self.folders[folder_id] = folder
        return folder

    def add_project(
        self,
        project_id: str,
        parent: Folder | str | None = None,
        *,
        display_name: str | None = None,
        number: str | None = None,
        created: datetime | None = None,
        services: Iterable[str] = (),
    ) -> Project:
        """A project under the organization (or a folder); the emulated APIs plus `services` are enabled."""
        if project_id in self.projects:
            raise ValueError(f"duplicate project {project_id}")
        parent_name = parent.name if isinstance(parent, Folder) else parent or self.organization.name
        number = number or self.digits(12)
        while number in self._by_number:
            number = self.digits(12)
        project = Project(project_id, number, display_name or project_id, parent_name, created or self.now)
        project.enabled_services = set(DEFAULT_SERVICES) | set(services)
        self.projects[project_id] = project
        self._by_number[number] = project
        return project

    def add_service_account(
        self,
        project: Project | str,
        account_id: str,
        display_name: str = "",
        description: str = "",
        *,
        disabled: bool = False,
        created: datetime | None = None,
        unique_id: str | None = None,
    ) -> ServiceAccount:
        """A user-managed service account `account_id@<projectId>.iam.gserviceaccount.com`."""
        owner = self._project(project)
        email = f"{account_id}@{owner.project_id}.iam.gserviceaccount.com"
        if email in self._sa_by_email:
            raise ValueError(f"duplicate service account {email}")
        uid = unique_id or self.digits(21, lead="1")
        while uid in self._sa_by_uid:
            uid = self.digits(21, lead="1")
        account = ServiceAccount(email, uid, owner.project_id, display_name, description, disabled)
        account.created = created or owner.created
        owner.service_accounts.append(account)
        self._sa_by_email[email] = account
        self._sa_by_uid[uid] = account
        return account

    def add_key(
        self,
        account: ServiceAccount,
        valid_after: datetime,
        *,
        valid_before: datetime | None = None,
        key_type: str = USER_MANAGED,
        key_origin: str = GOOGLE_PROVIDED,
        disabled: bool = False,
        last_authenticated: datetime | None = None,
    ) -> ServiceAccountKey:
        """A key; user-managed keys never expire unless valid_before is set, system-managed ones last two years."""
        if valid_before is None:
            valid_before = valid_after + SYSTEM_KEY_LIFETIME if key_type == SYSTEM_MANAGED else NEVER_EXPIRES
        key = ServiceAccountKey(self.key_id(), valid_after, valid_before, key_type, key_origin, disabled=disabled)
        key.last_authenticated = last_authenticated
        account.keys.append(key)
        if last_authenticated and (
            account.last_authenticated is None or account.last_authenticated < last_authenticated
        ):
            account.last_authenticated = last_authenticated
        return key

    def add_pool(
        self,
        project: Project | str,
        pool_id: str,
        display_name: str = "",
        *,
        description: str = "",
        disabled: bool = False,
    ) -> WorkloadIdentityPool:
        """A workload identity pool (location global)."""
        pool = WorkloadIdentityPool(pool_id, display_name, description, disabled)
        self._project(project).pools.append(pool)
        return pool

    def add_provider(
        self,
        pool: WorkloadIdentityPool,
        provider_id: str,
        *,
        issuer_uri: str | None = None,
        allowed_audiences: Iterable[str] = (),
        aws_account_id: str | None = None,
        attribute_mapping: dict[str, str] | None = None,
        attribute_condition: str = "",
        display_name: str = "",
    ) -> WorkloadIdentityProvider:
        """An OIDC provider (issuer_uri) or AWS provider (aws_account_id) in `pool`."""
        provider = WorkloadIdentityProvider(provider_id, display_name, issuer_uri=issuer_uri)
        provider.allowed_audiences = list(allowed_audiences)
        provider.aws_account_id = aws_account_id
        provider.attribute_condition = attribute_condition
        if attribute_mapping is not None:
            provider.attribute_mapping = dict(attribute_mapping)
        pool.providers.append(provider)
        return provider

    def add_api_key(
        self,
        project: Project | str,
        display_name: str,
        *,
        api_targets: Iterable[str] = (),
        created: datetime | None = None,
        service_account_email: str | None = None,
    ) -> ApiKey:
        """An API key, restricted to `api_targets` (services) when given."""
        key = ApiKey(self.uid(), display_name, created or self.now, list(api_targets), service_account_email)
        self._project(project).api_keys.append(key)
        return key

    def grant(self, resource: Resource | str, role: str, member: str, *, condition: Condition | None = None) -> None:
        """Bind `role` to `member` on a resource (object, "organizations/N", "folders/N", projectId or SA email)."""
        self.policy_of(resource).add(role, member, condition)

    def policy_of(self, resource: Resource | str) -> Policy:
        """The allow policy of a resource given as an object or a name."""
        if not isinstance(resource, str):
            return resource.policy
        if resource in (self.organization.name, self.organization.id):
            return self.organization.policy
        is_folder = resource.startswith("folders/")
        found: Folder | Project | ServiceAccount | None = self.folder(resource) if is_folder else None
        found = found or self.project(resource) or self.service_account(resource)
        if found is None:
            raise KeyError(f"unknown resource {resource}")
        return found.policy

    def _project(self, project: Project | str) -> Project:
        if isinstance(project, Project):
            return project
        found = self.project(project)
        if found is None:
            raise KeyError(f"unknown project {project}")
        return found
