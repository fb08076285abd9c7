"""GCP normalizers on recorded, scrubbed REST JSON: pure functions, no emulator."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.gcp.normalize import parse_time
from connectors.gcp.normalize_project import project_records
from connectors.gcp.project import ProjectData
from scanner.config import ScanSettings
from scanner.engine import evaluate
from scanner.model import Credential, Federation, Grant, Identity, TrustKind
from scanner.registry import Registry

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
RAW = json.loads((Path(__file__).parent / "fixtures" / "gcp" / "project.json").read_text())
LLM = "llm-pipeline@data-pipelines.iam.gserviceaccount.com"


def data(*, activity: bool = True) -> ProjectData:
    d = ProjectData(project_id="data-pipelines", number="661104873214")
    d.bindings = RAW["projectPolicy"]["bindings"]
    d.accounts = RAW["serviceAccounts"]["accounts"]
    d.keys = {LLM: RAW["keys"]["keys"]}
    d.account_bindings = {LLM: RAW["accountPolicy"]["bindings"]}
    pool = "projects/661104873299/locations/global/workloadIdentityPools/github"
    d.providers = [{**p, "pool": pool} for p in RAW["providers"]["workloadIdentityPoolProviders"]]
    d.api_keys = RAW["apiKeys"]["keys"]
    if activity:
        d.key_use = {
            a["fullResourceName"].rsplit("/", 1)[-1]: a["activity"]["lastAuthenticatedTime"]
            for a in RAW["activities"]["activities"]
        }
    return d


@pytest.fixture
def records() -> list[Any]:
    return list(project_records(data(), {"data-pipelines"}, NOW))


def of(records: list[Any], kind: type) -> list[Any]:
    return [r for r in records if isinstance(r, kind)]


def test_service_accounts_are_keyed_by_unique_id(records: list[Any]) -> None:
    accounts = {i.name: i for i in of(records, Identity) if i.kind == "service_account"}
    llm = accounts[LLM]
    assert llm.uid == "gcp:service_account:104958127713345582011"
    assert LLM in llm.native_ids and "104958127713345582011" in llm.native_ids
    assert accounts["old-batch@data-pipelines.iam.gserviceaccount.com"].enabled is False


def test_only_user_managed_keys_are_credentials_and_no_key_material(records: list[Any]) -> None:
    keys = [c for c in of(records, Credential) if c.kind == "access_key"]
    assert [k.native_id for k in keys] == ["1f2e3d4c5b6a79880011223344556677889900aa"]  # the system key is Google's
    assert keys[0].expires_at is None and keys[0].created_at == datetime(2021, 11, 29, 10, 0, tzinfo=UTC)
    assert keys[0].last_used_at == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert all("CANARY" not in repr(r) for r in records)


def test_members_that_exist_only_in_bindings_become_identities(records: list[Any]) -> None:
    kinds = {i.kind: i for i in of(records, Identity)}
    agent = kinds["agent_identity"]
    assert agent.name == "reasoningEngines/5501234567890123456"
    assert agent.attributes["principal_type"] == "agent-engine"
    assert kinds["service_agent"].attributes["service_agent"] == "gcp-sa-aiplatform-re"
    assert not any(i.name.startswith("group:") for i in of(records, Identity))  # groups are not identities


def test_bindings_are_grants_with_conditions(records: list[Any]) -> None:
    grants = [g for g in of(records, Grant) if g.subject_uid == LLM]
    assert {g.permissions for g in grants} == {("roles/aiplatform.user",), ("roles/storage.objectViewer",)}
    conditional = next(g for g in grants if g.permissions == ("roles/storage.objectViewer",))
    assert "request.time" in conditional.attributes["condition"] and "only-2026" in conditional.name


def test_impersonation_and_federation_trusts(records: list[Any]) -> None:
    llm = next(i for i in of(records, Identity) if i.name == LLM)
    principals = {(t.kind, t.principal, t.action) for t in llm.trusts}
    assert (TrustKind.PRINCIPAL, "user:bob@acme.example", "roles/iam.serviceAccountTokenCreator") in principals
    assert (
        TrustKind.PRINCIPAL,
        "ci-runner@sandbox-research.iam.gserviceaccount.com",
        "roles/iam.serviceAccountTokenCreator",
    ) in principals
    federated = [t for t in llm.trusts if t.kind is TrustKind.FEDERATED]
    assert [(t.principal, t.subjects) for t in federated] == [("token.actions.githubusercontent.com", ())]
    (provider,) = of(records, Federation)
    assert provider.issuer == "token.actions.githubusercontent.com"


def test_api_keys_and_the_gemini_signal(records: list[Any]) -> None:
    index, _, _, verdicts, _, findings, _ = evaluate(records, ScanSettings(), Registry.empty(), NOW)
    keys = {i.name: i for i in index.identities.values() if i.kind == "api_key"}
    assert keys["website-chat"].attributes["api_targets"] == ["generativelanguage.googleapis.com"]
    assert verdicts[keys["website-chat"].uid].is_agent and not verdicts[keys["maps"].uid].is_agent
    rules = {(f.rule, f.identity_uid) for f in findings}
    llm = next(i.uid for i in index.identities.values() if i.name == LLM)
    assert ("unconstrained-federation", llm) in rules  # any GitHub repository can impersonate it
    assert ("long-lived-agent-credential", llm) in rules  # a five-year-old key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-11-29T10:00:00Z", datetime(2021, 11, 29, 10, 0, tzinfo=UTC)),
        ("2026-03-01T09:00:00.123456789Z", datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)),
        ("9999-12-31T23:59:59Z", None),
        ("", None),
    ],
)
def test_google_timestamps(text: str, expected: datetime | None) -> None:
    assert parse_time(text) == expected
