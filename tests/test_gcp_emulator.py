"""The local Google Cloud emulator answers like GCP's REST APIs where the GCP connector depends on it."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from connectors.gcp.demo_org import (
    AGENT_ENGINE_AGENT,
    AGENT_PRINCIPAL,
    CI_RUNNER,
    DEPLOYER,
    GITHUB_ISSUER,
    GITHUB_POOL_SET,
    LEGACY_SUMMARIZER,
    LLM_PIPELINE,
    LLM_PIPELINE_ID,
    ML_FOLDER_ID,
    ORG_ID,
    PROJECT_NUMBERS,
    SUPPORT_AGENT,
    TRAVEL_AGENT,
    VERTEX_AGENT,
    demo_org,
)
from connectors.gcp.emulator import GcpEmulator, Org
from connectors.gcp.emulator_model import SYSTEM_MANAGED, USER_MANAGED
from scanner.registry import parse_registry_text

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TOKEN = "ya29.test-token-do-not-log-5c1e"
ORG = f"organizations/{ORG_ID}"
Response = tuple[int, dict[str, str], Any]


def call(
    emu: GcpEmulator,
    path: str,
    *,
    body: Any = None,
    auth: str | None = f"Bearer {TOKEN}",
    headers: dict[str, str] | None = None,
) -> Response:
    """One request through urllib: (status, headers, parsed JSON body); a body makes it a POST."""
    data = json.dumps(body).encode() if body is not None else None
    sent = {"Content-Type": "application/json", **({"Authorization": auth} if auth else {}), **(headers or {})}
    request = urllib.request.Request(emu.url + path, data=data, headers=sent, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def ok(emu: GcpEmulator, path: str, body: Any = None) -> Any:
    status, _, payload = call(emu, path, body=body)
    assert status == 200, payload
    return payload


def error_of(response: Response, code: int) -> dict[str, Any]:
    """The google.rpc.Status of an error response, checked against its HTTP status."""
    status, _, payload = response
    assert status == code, payload
    assert set(payload) == {"error"} and payload["error"]["code"] == code
    error: dict[str, Any] = payload["error"]
    return error


def reason(error: dict[str, Any]) -> tuple[str, dict[str, str]]:
    info = next(d for d in error["details"] if d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo")
    return info["reason"], info["metadata"]


def all_pages(emu: GcpEmulator, path: str, field: str) -> tuple[list[Any], int]:
    """Every item of a paged list, following nextPageToken; and the number of pages."""
    items: list[Any] = []
    token, pages = "", 0
    while True:
        sep = "&" if "?" in path else "?"
        page = ok(emu, path + (f"{sep}pageToken={token}" if token else ""))
        items += page.get(field, [])
        pages += 1
        token = page.get("nextPageToken", "")
        if not token:
            return items, pages


@pytest.fixture(scope="module")
def demo() -> Iterator[GcpEmulator]:
    with GcpEmulator(demo_org(NOW)[0]) as emu:
        yield emu


@pytest.fixture
def emu(demo: GcpEmulator) -> GcpEmulator:
    demo.clear_faults()
    demo.reset_log()
    return demo


@pytest.fixture(scope="module")
def five() -> Iterator[GcpEmulator]:
    org = Org()
    project = org.add_project("p-1")
    for i in range(5):
        org.add_service_account(project, f"sa-{i}", f"Account {i}")
    with GcpEmulator(org) as emu:
        yield emu


def test_service_accounts_page_by_two_clamp_at_100_and_reject_bad_sizes(five: GcpEmulator) -> None:
    accounts, pages = all_pages(five, "/v1/projects/p-1/serviceAccounts?pageSize=2", "accounts")
    assert pages == 3
    assert sorted(a["email"] for a in accounts) == [f"sa-{i}@p-1.iam.gserviceaccount.com" for i in range(5)]
    first = accounts[0]
    assert first["name"] == f"projects/p-1/serviceAccounts/{first['email']}"
    assert first["oauth2ClientId"] == first["uniqueId"] and len(first["uniqueId"]) == 21
    assert "disabled" not in first  # proto3 JSON leaves false out
    assert "nextPageToken" not in ok(five, "/v1/projects/p-1/serviceAccounts?pageSize=500")
    assert len(ok(five, "/v1/projects/p-1/serviceAccounts?page_size=500")["accounts"]) == 5
    error_of(call(five, "/v1/projects/p-1/serviceAccounts?pageSize=-1"), 400)
    error_of(call(five, "/v1/projects/p-1/serviceAccounts?pageSize=two"), 400)
    error_of(call(five, "/v1/projects/p-1/serviceAccounts?pageToken=bogus"), 400)


def test_hierarchy_search_and_lists(emu: GcpEmulator) -> None:
    projects = ok(emu, "/v3/projects:search")["projects"]
    assert {p["projectId"]: p["name"] for p in projects} == {k: f"projects/{v}" for k, v in PROJECT_NUMBERS.items()}
    assert all(p["state"] == "ACTIVE" for p in projects)
    in_ml = ok(emu, f"/v3/projects:search?query=parent:folders/{ML_FOLDER_ID}")["projects"]
    assert {p["projectId"] for p in in_ml} == {"ml-platform-prod", "data-pipelines"}
    assert len(ok(emu, "/v3/projects:search?query=" + quote("id:ml-* OR id:marketing-web"))["projects"]) == 2
    folders = ok(emu, f"/v3/folders?parent={ORG}")["folders"]
    assert {f["displayName"] for f in folders} == {"ml", "corp"}
    assert len(ok(emu, f"/v3/projects?parent=folders/{ML_FOLDER_ID}")["projects"]) == 2
    assert ok(emu, f"/v3/organizations/{ORG_ID}")["displayName"] == "acme.example"
    assert ok(emu, "/v3/projects/559013782246")["projectId"] == "marketing-web"
    error_of(call(emu, "/v3/projects"), 400)
    error_of(call(emu, "/v3/projects:search?query=bogus"), 400)


def test_get_iam_policy_versions_and_base64_etags(emu: GcpEmulator) -> None:
    v3 = ok(emu, "/v3/projects/ml-platform-prod:getIamPolicy", {"options": {"requestedPolicyVersion": 3}})
    assert v3["version"] == 3 and len(base64.b64decode(v3["etag"], validate=True)) == 8
    conditional = next(b for b in v3["bindings"] if "condition" in b)
    assert conditional["role"] == "roles/aiplatform.admin" and conditional["condition"]["title"] == "break-glass"
    by_role = {b["role"]: b["members"] for b in v3["bindings"]}
    assert by_role["roles/aiplatform.reasoningEngineServiceAgent"] == [f"serviceAccount:{AGENT_ENGINE_AGENT}"]
    v1 = ok(emu, "/v3/projects/ml-platform-prod:getIamPolicy", {})
    assert v1["version"] == 1 and v1["etag"] == v3["etag"] and not any("condition" in b for b in v1["bindings"])
    assert any(b["role"].startswith("roles/aiplatform.admin_withcond_") for b in v1["bindings"])
    folder = ok(emu, f"/v3/folders/{ML_FOLDER_ID}:getIamPolicy", {"options": {"requestedPolicyVersion": 3}})
    assert folder["bindings"] == [{"role": "roles/aiplatform.user", "members": ["group:ml-engineers@acme.example"]}]
    org = ok(emu, f"/v3/organizations/{ORG_ID}:getIamPolicy", {"options": {"requestedPolicyVersion": 3}})
    assert {"role": "roles/resourcemanager.organizationAdmin", "members": ["user:alice@acme.example"]} in org[
        "bindings"
    ]
    impersonators = ok(emu, f"/v1/projects/data-pipelines/serviceAccounts/{LLM_PIPELINE}:getIamPolicy", {})
    assert impersonators["bindings"][0]["members"] == [f"serviceAccount:{CI_RUNNER}", "user:bob@acme.example"]
    assert ok(emu, f"/v1/projects/-/serviceAccounts/{SUPPORT_AGENT}:getIamPolicy", {}) == {"etag": "ACAB"}
    body = {"options": {"requestedPolicyVersion": 2}}
    error_of(call(emu, "/v3/projects/ml-platform-prod:getIamPolicy", body=body), 400)


def test_keys_filtered_by_key_types(emu: GcpEmulator) -> None:
    base = f"/v1/projects/data-pipelines/serviceAccounts/{LLM_PIPELINE.replace('@', '%40')}/keys"
    assert len(ok(emu, base)["keys"]) == 2
    (user,) = ok(emu, base + "?keyTypes=USER_MANAGED")["keys"]
    assert user["keyType"] == USER_MANAGED and user["validBeforeTime"] == "9999-12-31T23:59:59Z"
    assert user["validAfterTime"] == (NOW - timedelta(days=5 * 365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert user["name"].startswith(f"projects/data-pipelines/serviceAccounts/{LLM_PIPELINE}/keys/")
    assert len(user["name"].rsplit("/", 1)[1]) == 40 and "privateKeyData" not in user
    assert [k["keyType"] for k in ok(emu, base + "?keyTypes=SYSTEM_MANAGED")["keys"]] == [SYSTEM_MANAGED]
    assert len(ok(emu, base + "?keyTypes=USER_MANAGED&keyTypes=SYSTEM_MANAGED")["keys"]) == 2
    assert ok(emu, base + "?keyTypes=1")["keys"] == [user]  # enum numbers, as enum-encoding=int clients send
    by_unique_id = f"/v1/projects/data-pipelines/serviceAccounts/{LLM_PIPELINE_ID}/keys?keyTypes=USER_MANAGED"
    assert ok(emu, by_unique_id)["keys"] == [user]
    assert ok(emu, f"/v1/projects/ml-platform-prod/serviceAccounts/{SUPPORT_AGENT}/keys") == {}
    error_of(call(emu, base + "?keyTypes=EVERYTHING"), 400)
    error_of(call(emu, "/v1/projects/data-pipelines/serviceAccounts/ghost@data-pipelines.iam.gserviceaccount.com"), 404)
    assert (
        reason(error_of(call(emu, "/v1/projects/no-such-project/serviceAccounts"), 403))[0] == "IAM_PERMISSION_DENIED"
    )


def test_api_keys_with_restrictions_by_id_or_number(emu: GcpEmulator) -> None:
    keys = ok(emu, "/v2/projects/marketing-web/locations/global/keys")["keys"]
    assert ok(emu, f"/v2/projects/{PROJECT_NUMBERS['marketing-web']}/locations/global/keys")["keys"] == keys
    chat = next(k for k in keys if k["displayName"] == "website-chat")
    assert chat["restrictions"]["apiTargets"] == [{"service": "generativelanguage.googleapis.com"}]
    assert chat["name"] == f"projects/{PROJECT_NUMBERS['marketing-web']}/locations/global/keys/{chat['uid']}"
    assert "keyString" not in chat
    maps = next(k for k in keys if k["displayName"] == "maps-frontend")
    assert maps["restrictions"]["apiTargets"] == [{"service": "maps.googleapis.com"}]
    assert ok(emu, "/v2/projects/sandbox-research/locations/global/keys") == {}


def test_workload_identity_pool_trusting_any_github_repository(emu: GcpEmulator) -> None:
    pools = ok(emu, "/v1/projects/sandbox-research/locations/global/workloadIdentityPools")["workloadIdentityPools"]
    github = next(p for p in pools if p["name"].endswith("/github"))
    assert github["name"].startswith(f"projects/{PROJECT_NUMBERS['sandbox-research']}/")
    (provider,) = ok(emu, f"/v1/{github['name']}/providers")["workloadIdentityPoolProviders"]
    assert provider["oidc"]["issuerUri"] == GITHUB_ISSUER and "attributeCondition" not in provider
    aws = next(p for p in pools if p["name"].endswith("/aws-partners"))
    (partner,) = ok(emu, f"/v1/{aws['name']}/providers")["workloadIdentityPoolProviders"]
    assert partner["aws"] == {"accountId": "210987654321"} and partner["attributeCondition"]
    policy = ok(emu, f"/v1/projects/sandbox-research/serviceAccounts/{DEPLOYER}:getIamPolicy", {})
    assert policy["bindings"] == [{"role": "roles/iam.workloadIdentityUser", "members": [GITHUB_POOL_SET]}]


def test_cloud_asset_iam_policy_search_at_org_scope(emu: GcpEmulator) -> None:
    results, pages = all_pages(emu, f"/v1/{ORG}:searchAllIamPolicies?pageSize=2", "results")
    assert pages == (len(results) + 1) // 2
    by_resource = {r["resource"]: r for r in results}
    pipeline = by_resource[f"//iam.googleapis.com/projects/data-pipelines/serviceAccounts/{LLM_PIPELINE_ID}"]
    assert pipeline["assetType"] == "iam.googleapis.com/ServiceAccount"
    assert pipeline["project"] == f"projects/{PROJECT_NUMBERS['data-pipelines']}"
    assert pipeline["folders"] == [f"folders/{ML_FOLDER_ID}"] and pipeline["organization"] == ORG
    assert f"//cloudresourcemanager.googleapis.com/folders/{ML_FOLDER_ID}" in by_resource
    assert f"//cloudresourcemanager.googleapis.com/{ORG}" in by_resource
    agents = ok(emu, f"/v1/{ORG}:searchAllIamPolicies?query=memberTypes:principal")["results"]
    members = {m for r in agents for b in r["policy"]["bindings"] for m in b["members"]}
    assert members == {AGENT_PRINCIPAL, f"serviceAccount:{SUPPORT_AGENT}"}  # only matching bindings, whole
    roles = ok(emu, f"/v1/{ORG}:searchAllIamPolicies?query=roles:roles/iam.serviceAccountTokenCreator")["results"]
    assert [r["resource"] for r in roles] == [pipeline["resource"]]
    assert len(ok(emu, f"/v1/{ORG}:searchAllIamPolicies?pageSize=5000")["results"]) == len(results)  # capped, no error
    project_scope = ok(emu, "/v1/projects/marketing-web:searchAllIamPolicies")["results"]
    assert {r["project"] for r in project_scope} == {f"projects/{PROJECT_NUMBERS['marketing-web']}"}


def test_cloud_asset_resource_search_at_org_scope(emu: GcpEmulator) -> None:
    org = emu.org
    path = f"/v1/{ORG}:searchAllResources?assetTypes=iam.googleapis.com/ServiceAccount&pageSize=3"
    accounts, _ = all_pages(emu, path, "results")
    assert len(accounts) == sum(1 for _ in org.all_service_accounts())
    travel = next(a for a in accounts if a["additionalAttributes"]["email"] == TRAVEL_AGENT)
    assert travel["displayName"] == "Books travel" and travel["state"] == "ENABLED"
    unique_id = travel["additionalAttributes"]["oauth2ClientId"]
    assert travel["name"] == f"//iam.googleapis.com/projects/marketing-web/serviceAccounts/{unique_id}"
    keys = ok(emu, f"/v1/{ORG}:searchAllResources?assetTypes=iam.googleapis.com/ServiceAccountKey")["results"]
    assert sorted(k["additionalAttributes"]["keyType"] for k in keys) == [SYSTEM_MANAGED, USER_MANAGED, USER_MANAGED]
    user_keys = ok(
        emu, f"/v1/{ORG}:searchAllResources?assetTypes=iam.googleapis.com/ServiceAccountKey&query=keyType=USER_MANAGED"
    )
    assert {k["parentFullResourceName"].rsplit("/", 1)[1] for k in user_keys["results"]} == {
        LLM_PIPELINE,
        LEGACY_SUMMARIZER,
    }
    api_keys = ok(emu, f"/v1/{ORG}:searchAllResources?assetTypes=apikeys.googleapis.com/Key&readMask=*")["results"]
    chat = next(k for k in api_keys if k["displayName"] == "website-chat")
    targets = chat["versionedResources"][0]["resource"]["restrictions"]["apiTargets"]
    assert targets == [{"service": "generativelanguage.googleapis.com"}]
    plain = ok(emu, f"/v1/{ORG}:searchAllResources?assetTypes=apikeys.googleapis.com/Key")["results"]
    assert all("versionedResources" not in k for k in plain)
    ml_only = ok(emu, f"/v1/folders/{ML_FOLDER_ID}:searchAllResources?assetTypes=.*ServiceAccount")["results"]
    assert {a["project"] for a in ml_only} == {
        f"projects/{PROJECT_NUMBERS[p]}" for p in ("ml-platform-prod", "data-pipelines")
    }
    error_of(call(emu, f"/v1/{ORG}:searchAllResources?query=nosuchfield:x"), 400)


def test_policy_analyzer_key_and_account_last_authentication(emu: GcpEmulator) -> None:
    base = "/v1/projects/data-pipelines/locations/global/activityTypes"
    activities = ok(emu, f"{base}/serviceAccountKeyLastAuthentication/activities:query")["activities"]
    assert len(activities) == 2  # user-managed keys only
    pipeline = next(a for a in activities if LLM_PIPELINE in a["fullResourceName"])
    assert pipeline["activityType"] == "serviceAccountKeyLastAuthentication"
    assert pipeline["activity"]["lastAuthenticatedTime"] == (NOW - timedelta(days=2)).strftime("%Y-%m-%dT07:00:00Z")
    detail = pipeline["activity"]["serviceAccountKey"]
    assert detail == {
        "fullResourceName": pipeline["fullResourceName"],
        "projectNumber": PROJECT_NUMBERS["data-pipelines"],
        "serviceAccountId": LLM_PIPELINE_ID,
    }
    assert pipeline["observationPeriod"]["endTime"].endswith("T07:00:00Z")
    name = pipeline["fullResourceName"]
    filtered = ok(
        emu,
        f'{base}/serviceAccountKeyLastAuthentication/activities:query?filter=activities.full_resource_name="{name}"',
    )
    assert [a["fullResourceName"] for a in filtered["activities"]] == [name]
    accounts = ok(emu, f"{base}/serviceAccountLastAuthentication/activities:query?pageSize=0")["activities"]
    assert {a["activity"]["serviceAccount"]["serviceAccountId"] for a in accounts} >= {LLM_PIPELINE_ID}
    error_of(call(emu, f"{base}/somethingElse/activities:query"), 400)


def test_injected_429_is_resource_exhausted_then_recovers(emu: GcpEmulator) -> None:
    emu.inject("/v1/projects/data-pipelines/serviceAccounts", 429, count=2)
    for _ in range(2):
        error = error_of(call(emu, "/v1/projects/data-pipelines/serviceAccounts"), 429)
        assert error["status"] == "RESOURCE_EXHAUSTED"
        why, metadata = reason(error)
        assert why == "RATE_LIMIT_EXCEEDED" and metadata["service"] == "iam.googleapis.com"
        assert metadata["consumer"] == f"projects/{PROJECT_NUMBERS['data-pipelines']}"
    assert ok(emu, "/v1/projects/data-pipelines/serviceAccounts")["accounts"]
    emu.inject("/v3/projects:search", 503, reason="BACKEND_ERROR")
    assert error_of(call(emu, "/v3/projects:search"), 503)["status"] == "UNAVAILABLE"


def test_deny_is_a_permanent_iam_permission_denied(emu: GcpEmulator) -> None:
    emu.deny("/v1/projects/sandbox-research/")
    for _ in range(2):
        error = error_of(call(emu, "/v1/projects/sandbox-research/serviceAccounts"), 403)
        assert error["status"] == "PERMISSION_DENIED"
        why, metadata = reason(error)
        assert why == "IAM_PERMISSION_DENIED" and metadata["permission"] == "iam.serviceAccounts.list"
    assert ok(emu, "/v1/projects/marketing-web/serviceAccounts")["accounts"]
    emu.clear_faults()
    assert ok(emu, "/v1/projects/sandbox-research/serviceAccounts")["accounts"]


def test_disabled_api_names_the_service_and_consumer_project(emu: GcpEmulator) -> None:
    emu.disable_api("apikeys.googleapis.com", "marketing-web")
    number = PROJECT_NUMBERS["marketing-web"]
    error = error_of(call(emu, "/v2/projects/marketing-web/locations/global/keys"), 403)
    assert error["status"] == "PERMISSION_DENIED"
    assert error["message"].startswith(f"API Keys API has not been used in project {number} before or it is disabled.")
    why, metadata = reason(error)
    assert why == "SERVICE_DISABLED"
    assert metadata["service"] == "apikeys.googleapis.com" and metadata["consumer"] == f"projects/{number}"
    assert ok(emu, "/v2/projects/data-pipelines/locations/global/keys") == {}
    assert ok(emu, "/v1/projects/marketing-web/serviceAccounts")["accounts"]
    emu.disable_api("cloudasset.googleapis.com", "sandbox-research")
    quota = {"X-Goog-User-Project": "sandbox-research"}
    why, metadata = reason(error_of(call(emu, f"/v1/{ORG}:searchAllIamPolicies", headers=quota), 403))
    assert (why, metadata["consumer"]) == ("SERVICE_DISABLED", f"projects/{PROJECT_NUMBERS['sandbox-research']}")
    assert ok(emu, f"/v1/{ORG}:searchAllIamPolicies")["results"]  # consumer defaults to another project
    emu.clear_faults()
    assert ok(emu, "/v2/projects/marketing-web/locations/global/keys")["keys"]


def test_missing_or_empty_bearer_is_401(emu: GcpEmulator) -> None:
    for auth in (None, "Bearer ", "Basic dXNlcjpwYXNz"):
        status, headers, body = call(emu, "/v3/projects:search", auth=auth)
        error = error_of((status, headers, body), 401)
        assert error["status"] == "UNAUTHENTICATED" and reason(error)[0] == "CREDENTIALS_MISSING"
        assert headers["WWW-Authenticate"].startswith("Bearer")


def test_system_parameters_and_unknown_parameters(emu: GcpEmulator) -> None:
    plain = ok(emu, "/v3/projects:search")
    assert ok(emu, "/v3/projects:search?$alt=json;enum-encoding=int") == plain
    assert ok(emu, "/v3/projects:search?alt=json&prettyPrint=false") == plain
    error = error_of(call(emu, "/v3/projects:search?pagesize=2"), 400)
    assert 'Unknown name "pagesize"' in error["message"]
    error_of(call(emu, "/v3/projects:search", body={}), 404)  # wrong method: no such REST method
    error_of(call(emu, "/v9/whatever"), 404)


def test_request_log_names_api_and_project_and_never_the_token(emu: GcpEmulator) -> None:
    ok(emu, "/v3/projects:search?$alt=json;enum-encoding=int")
    ok(emu, f"/v2/projects/{PROJECT_NUMBERS['marketing-web']}/locations/global/keys")
    ok(emu, f"/v1/projects/-/serviceAccounts/{LLM_PIPELINE}/keys")
    ok(emu, f"/v1/{ORG}:searchAllResources")
    ok(
        emu,
        "/v1/projects/data-pipelines/locations/global/activityTypes/serviceAccountKeyLastAuthentication/activities:query",
    )
    call(emu, f"/v3/projects:search?access_token={TOKEN}", auth=None)
    records = emu.requests()
    assert [(r.api, r.project) for r in records] == [
        ("cloudresourcemanager", None),
        ("apikeys", "marketing-web"),
        ("iam", "data-pipelines"),
        ("cloudasset", None),
        ("policyanalyzer", "data-pipelines"),
        ("cloudresourcemanager", None),
    ]
    assert records[0].query == "$alt=json;enum-encoding=int" and records[0].status == 200
    assert emu.request_count() == 6 and emu.request_count("cloudresourcemanager") == 2
    assert TOKEN not in repr(records) and "access_token" not in repr(records)
    emu.reset_log()
    assert emu.request_count() == 0


def test_demo_org_contains_every_planted_object_and_registry() -> None:
    org, fragment = demo_org(NOW)
    ml, pipelines = org.projects["ml-platform-prod"], org.projects["data-pipelines"]
    members = {m for b in ml.policy.bindings for m in b.members}
    assert {AGENT_PRINCIPAL, f"serviceAccount:{AGENT_ENGINE_AGENT}", f"serviceAccount:{VERTEX_AGENT}"} <= members
    llm = org.service_account(LLM_PIPELINE)
    assert llm is not None and llm.project_id == pipelines.project_id
    assert [k.key_type for k in llm.keys] == [USER_MANAGED, SYSTEM_MANAGED]
    assert llm.keys[0].valid_after == NOW - timedelta(days=5 * 365)
    assert llm.keys[0].last_authenticated == NOW - timedelta(days=2)
    support = org.service_account(SUPPORT_AGENT)
    assert support is not None and support.keys == [] and support.display_name == "Customer support agent on Vertex AI"
    legacy = org.service_account(LEGACY_SUMMARIZER)
    assert (
        legacy is not None and legacy.keys[0].valid_after == NOW - timedelta(days=400) and not legacy.keys[0].disabled
    )
    assert {k.display_name for k in org.projects["marketing-web"].api_keys} == {"website-chat", "maps-frontend"}
    provider = org.projects["sandbox-research"].pools[0].providers[0]
    assert provider.issuer_uri == GITHUB_ISSUER and provider.attribute_condition == ""
    deployer = org.service_account(DEPLOYER)
    assert deployer is not None and deployer.policy.bindings[0].members == [GITHUB_POOL_SET]
    travel = org.service_account(TRAVEL_AGENT)
    assert travel is not None and travel.display_name == "Books travel"
    records = {r.id: r for r in parse_registry_text("version: 1\nagents:\n" + fragment, file="gcp.yaml")}
    assert set(records) == {"gcp-support-agent", "gcp-legacy-summarizer"}
    assert records["gcp-support-agent"].owner == "jane.doe@example.com"
    assert SUPPORT_AGENT in records["gcp-support-agent"].identities
    assert str(records["gcp-legacy-summarizer"].retired_on) == (NOW - timedelta(days=30)).date().isoformat()
    assert demo_org(NOW)[0].projects["data-pipelines"].service_accounts[0].keys[0].key_id == llm.keys[0].key_id


def test_synthetic_org_at_benchmark_scale_builds_fast() -> None:
    started = time.perf_counter()
    org = Org.synthetic(5_000, 20_000, seed=1)
    elapsed = time.perf_counter() - started
    accounts = list(org.all_service_accounts())
    keys = sum(len(a.keys) for a in accounts)
    print(f"synthetic 5,000 projects / {len(org.folders)} folders / 20,000 SAs / {keys} keys built in {elapsed:.2f}s")
    assert (len(org.projects), len(accounts)) == (5_000, 20_000) and 40 <= len(org.folders) <= 60
    assert any(b.role.startswith("roles/aiplatform") for p in org.projects.values() for b in p.policy.bindings)
    with GcpEmulator(org) as emu:
        page = ok(
            emu,
            f"/v1/{org.organization.name}:searchAllResources?assetTypes=iam.googleapis.com/ServiceAccount&pageSize=500",
        )
        assert len(page["results"]) == 500 and "nextPageToken" in page
        assert len(ok(emu, "/v3/projects:search?pageSize=1000")["projects"]) == 1000
