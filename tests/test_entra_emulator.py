"""The local Microsoft Graph emulator behaves like Graph where the Entra connector depends on it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.entra.demo_tenant import CHATGPT_APP_ID, DELETED_USER_ID, HOSTILE_NAME, HOSTILE_NOTES, demo_tenant
from connectors.entra.emulator import GraphEmulator, Tenant
from connectors.entra.emulator_model import AGENT_IDENTITY_TYPE, GRAPH_APP_ROLES, FederatedIdentityCredential
from scanner.registry import parse_registry_text

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TOKEN = "test-token-do-not-log-7f3a"
Response = tuple[int, dict[str, str], Any]


def call(emu: GraphEmulator, path: str, *, body: Any = None, auth: str | None = f"Bearer {TOKEN}") -> Response:
    """One request through urllib: (status, headers, parsed JSON body)."""
    url = path if path.startswith("http") else emu.url + path
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", **({"Authorization": auth} if auth else {})}
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def get_ok(emu: GraphEmulator, path: str) -> Any:
    status, _, body = call(emu, path)
    assert status == 200, body
    return body


@pytest.fixture(scope="module")
def demo() -> Iterator[GraphEmulator]:
    with GraphEmulator(demo_tenant(NOW)[0]) as emu:
        yield emu


@pytest.fixture
def emu(demo: GraphEmulator) -> GraphEmulator:
    demo.clear_faults()
    demo.reset_log()
    return demo


def by_name(emu: GraphEmulator, name: str) -> Any:
    return next(s for s in emu.tenant.service_principals if s.display_name == name)


def test_paging_250_service_principals_in_three_pages_with_absolute_next_links() -> None:
    tenant = Tenant()
    for i in range(250):
        tenant.add_service_principal(f"sp-{i}")
    with GraphEmulator(tenant) as emu:
        page = get_ok(emu, "/v1.0/servicePrincipals?$top=100&$select=id,displayName")
        assert page["@odata.context"].startswith(emu.url + "/v1.0/$metadata#servicePrincipals")
        sizes, ids = [], []
        while True:
            sizes.append(len(page["value"]))
            ids += [v["id"] for v in page["value"]]
            link = page.get("@odata.nextLink")
            if link is None:
                break
            assert link.startswith(emu.url + "/v1.0/servicePrincipals?") and "$skiptoken=" in link
            assert "$top=100" in link and "$select=id,displayName" in link
            page = get_ok(emu, link)
    assert sizes == [100, 100, 50]
    assert sorted(ids) == sorted(s.id for s in tenant.service_principals)


def test_bad_query_options_are_graph_400s(emu: GraphEmulator) -> None:
    status, _, body = call(emu, "/v1.0/servicePrincipals?$top=1000")
    assert status == 400 and body["error"]["code"] == "Request_UnsupportedQuery"
    assert "Invalid page size specified" in body["error"]["message"]
    assert call(emu, "/v1.0/servicePrincipals?$top=0")[0] == 400
    status, _, body = call(emu, "/v1.0/servicePrincipals?$orderby=displayName")
    assert status == 400 and body["error"]["code"] == "Request_BadRequest"
    assert call(emu, "/v1.0/servicePrincipals?$select=noSuchProperty")[0] == 400
    assert call(emu, "/v1.0/servicePrincipals?$skiptoken=garbage")[0] == 400


def test_select_trims_fields_but_keeps_id_and_odata_type(emu: GraphEmulator) -> None:
    values = get_ok(emu, "/v1.0/servicePrincipals?$select=displayName")["value"]
    assert all(set(v) <= {"id", "displayName", "@odata.type"} and "id" in v for v in values)
    agent = next(v for v in values if v["displayName"] == "HR Onboarding Agent")
    assert agent["@odata.type"] == AGENT_IDENTITY_TYPE
    graph = next(v for v in values if v["displayName"] == "Microsoft Graph")
    assert "@odata.type" not in graph  # base-type objects carry no @odata.type, as in Graph


def test_expand_caps_the_page_and_inlines_owners_and_fics() -> None:
    tenant = Tenant()
    owner = tenant.add_user("owner@contoso.example")
    for i in range(150):
        fic = FederatedIdentityCredential(tenant.new_id(), "gh", "https://token.actions.githubusercontent.com", f"s{i}")
        tenant.add_application(f"app-{i}", owners=(owner.id,), federated_identity_credentials=(fic,))
    with GraphEmulator(tenant) as emu:
        query = "$top=999&$expand=owners($select=id,userPrincipalName),federatedIdentityCredentials"
        page = get_ok(emu, f"/v1.0/applications?{query}")
        assert len(page["value"]) == 100 and "$expand=owners" in page["@odata.nextLink"]
        first = page["value"][0]
        assert first["owners"] == [
            {"@odata.type": "#microsoft.graph.user", "id": owner.id, "userPrincipalName": owner.user_principal_name}
        ]
        assert first["federatedIdentityCredentials"][0]["issuer"] == "https://token.actions.githubusercontent.com"
        assert len(get_ok(emu, page["@odata.nextLink"])["value"]) == 50
        assert len(get_ok(emu, "/v1.0/applications?$top=999")["value"]) == 150  # no $expand: no cap
    with GraphEmulator(tenant, page_cap_with_expand=40) as emu:
        assert len(get_ok(emu, "/v1.0/applications?$expand=owners")["value"]) == 40


def test_agent_identity_casts_sponsors_and_vanished_owners(emu: GraphEmulator) -> None:
    agents = get_ok(emu, "/v1.0/servicePrincipals/microsoft.graph.agentIdentity")["value"]
    assert [a["displayName"] for a in agents] == ["HR Onboarding Agent", "HR Benefits Agent", "HR Offboarding Agent"]
    agent = agents[0]
    assert agent["@odata.type"] == AGENT_IDENTITY_TYPE and agent["servicePrincipalType"] == "ServiceIdentity"
    blueprints = get_ok(emu, "/beta/applications/microsoft.graph.agentIdentityBlueprint")["value"]
    assert [b["appId"] for b in blueprints] == [agent["agentIdentityBlueprintId"]]
    sponsors = get_ok(emu, f"/v1.0/servicePrincipals/{agent['id']}/microsoft.graph.agentIdentity/sponsors")["value"]
    assert [(s["userPrincipalName"], s["accountEnabled"]) for s in sponsors] == [
        ("departed.sponsor@contoso.example", False)
    ]
    bp_sponsors = f"/v1.0/applications/{blueprints[0]['id']}/microsoft.graph.agentIdentityBlueprint/sponsors"
    assert [s["accountEnabled"] for s in get_ok(emu, bp_sponsors)["value"]] == [False]
    assert get_ok(emu, f"/v1.0/servicePrincipals/{agent['id']}/owners")["value"] == []  # the owner was deleted
    graph_sp = by_name(emu, "Microsoft Graph").id
    assert call(emu, f"/v1.0/servicePrincipals/{graph_sp}/microsoft.graph.agentIdentity")[0] == 404
    assert call(emu, "/v1.0/servicePrincipals?$expand=sponsors")[0] == 400  # sponsors exist on the subtype only
    expanded = get_ok(emu, "/v1.0/servicePrincipals/microsoft.graph.agentIdentity?$expand=sponsors($select=id)")
    assert expanded["value"][0]["sponsors"][0]["@odata.type"] == "#microsoft.graph.user"


def test_batch_accepts_absolute_and_relative_urls_and_counts_sub_requests(emu: GraphEmulator) -> None:
    sp, jane = by_name(emu, "Sales Copilot Agent"), emu.tenant.users[0]
    requests = [
        {"id": "1", "method": "GET", "url": f"{emu.url}/v1.0/servicePrincipals/{sp.id}/appRoleAssignments"},
        {"id": "2", "method": "GET", "url": f"/users/{jane.id}"},
        {"id": "3", "method": "GET", "url": "organization"},
    ]
    status, _, body = call(emu, "/v1.0/$batch", body={"requests": requests})
    assert status == 200
    responses = {r["id"]: r for r in body["responses"]}
    assert {r["status"] for r in responses.values()} == {200}
    assert {a["appRoleId"] for a in responses["1"]["body"]["value"]} == {
        GRAPH_APP_ROLES["Mail.Read"],
        GRAPH_APP_ROLES["Sites.Read.All"],
    }
    assert responses["2"]["body"]["userPrincipalName"] == jane.user_principal_name
    assert responses["3"]["headers"]["Content-Type"] == "application/json"
    log = emu.requests()
    assert [r.batch_size for r in log if r.is_batch] == [3] and sum(r.in_batch for r in log) == 3
    assert emu.request_count() == 1 and emu.request_count(include_sub_requests=True) == 4
    too_many = [{"id": str(i), "method": "GET", "url": "/organization"} for i in range(21)]
    assert call(emu, "/v1.0/$batch", body={"requests": too_many})[0] == 400


def test_injected_429_on_a_top_level_path(emu: GraphEmulator) -> None:
    emu.inject("/servicePrincipals", 429, count=2, retry_after=2)
    assert get_ok(emu, "/v1.0/applications")  # other paths are unaffected
    for _ in range(2):
        status, headers, body = call(emu, "/v1.0/servicePrincipals?$top=5")
        assert status == 429 and headers["Retry-After"] == "2" and body["error"]["code"] == "TooManyRequests"
    assert call(emu, "/v1.0/servicePrincipals?$top=5")[0] == 200
    assert [r.status for r in emu.requests()] == [200, 429, 429, 200]


def test_injected_429_inside_a_batch(emu: GraphEmulator) -> None:
    emu.inject("/reports/servicePrincipalSignInActivities", 429)
    requests = [
        {"id": "a", "method": "GET", "url": "/reports/servicePrincipalSignInActivities"},
        {"id": "b", "method": "GET", "url": "/oauth2PermissionGrants"},
    ]
    status, _, body = call(emu, "/beta/$batch", body={"requests": requests})
    assert status == 200
    throttled, fine = body["responses"]
    assert throttled["status"] == 429 and throttled["headers"]["Retry-After"] == "1"
    assert throttled["body"]["error"]["code"] == "TooManyRequests"
    assert fine["status"] == 200 and fine["body"]["value"]


def test_deny_is_a_permanent_graph_403_until_cleared(emu: GraphEmulator) -> None:
    emu.deny("/roleManagement")
    for _ in range(2):
        status, _, body = call(emu, "/v1.0/roleManagement/directory/roleAssignments")
        assert status == 403
        error = body["error"]
        assert error["code"] == "Authorization_RequestDenied"
        assert error["message"] == "Insufficient privileges to complete the operation."
        assert {"date", "request-id", "client-request-id"} <= set(error["innerError"])
    emu.clear_faults()
    assert get_ok(emu, "/v1.0/roleManagement/directory/roleAssignments")["value"]


@pytest.mark.parametrize("auth", [None, "Basic dXNlcjpwYXNz", "Bearer ", "Bearer"])
def test_requests_without_a_bearer_token_get_401(emu: GraphEmulator, auth: str | None) -> None:
    status, _, body = call(emu, "/v1.0/organization", auth=auth)
    assert status == 401 and body["error"]["code"] == "InvalidAuthenticationToken"


def test_get_by_ids_returns_only_existing_users(emu: GraphEmulator) -> None:
    users = {u.user_principal_name: u for u in emu.tenant.users}
    ids = [users["jane.doe@contoso.example"].id, DELETED_USER_ID, users["departed.sponsor@contoso.example"].id]
    status, _, body = call(emu, "/v1.0/directoryObjects/getByIds", body={"ids": ids, "types": ["user"]})
    assert status == 200
    assert [(v["@odata.type"], v["userPrincipalName"], v["accountEnabled"]) for v in body["value"]] == [
        ("#microsoft.graph.user", "jane.doe@contoso.example", True),
        ("#microsoft.graph.user", "departed.sponsor@contoso.example", False),
    ]
    too_many = {"ids": [DELETED_USER_ID] * 1001, "types": ["user"]}
    assert call(emu, "/v1.0/directoryObjects/getByIds", body=too_many)[0] == 400


def test_filter_eq_or_on_users_inside_a_batch(emu: GraphEmulator) -> None:
    jane = next(u for u in emu.tenant.users if u.user_principal_name.startswith("jane"))
    select = "$select=id,userPrincipalName,accountEnabled"
    urls = [
        f"/users?$filter=userPrincipalName eq 'JANE.DOE@contoso.example' or mail eq 'x'&{select}",
        f"/users?$filter=id eq '{DELETED_USER_ID}'&{select}",
        "/users?$filter=startswith(mail,'jane')",
    ]
    requests = [{"id": str(i), "method": "GET", "url": u} for i, u in enumerate(urls)]
    found, deleted, unsupported = call(emu, "/v1.0/$batch", body={"requests": requests})[2]["responses"]
    assert [v["id"] for v in found["body"]["value"]] == [jane.id]
    assert deleted["status"] == 200 and deleted["body"]["value"] == []
    assert unsupported["status"] == 400 and unsupported["body"]["error"]["code"] == "Request_UnsupportedQuery"


def test_request_log_never_holds_the_token(emu: GraphEmulator) -> None:
    call(emu, "/v1.0/servicePrincipals?$top=1")
    call(emu, "/v1.0/$batch", body={"requests": [{"id": "1", "method": "GET", "url": "/organization"}]})
    call(emu, "/v1.0/organization", auth="Bearer")
    assert TOKEN not in repr(emu.requests()) and len(emu.requests()) == 4


def test_paths_versions_and_lookups(emu: GraphEmulator) -> None:
    status, _, body = call(emu, "/v1.0/noSuchThing")
    assert status == 404 and body["error"]["code"] == "Request_ResourceNotFound"
    assert call(emu, "/v1.0/servicePrincipals/5b0e9c1d-0000-4000-8000-000000000000")[0] == 404
    assert call(emu, "/v1.0/reports/servicePrincipalSignInActivities")[0] == 400  # beta-only resource
    assert get_ok(emu, "/v1.0//servicePrincipals?$top=1")["value"]  # the SDK's double slash
    chatgpt = get_ok(emu, f"/v1.0/servicePrincipals(appId='{CHATGPT_APP_ID}')")
    assert chatgpt["displayName"] == "ChatGPT" and chatgpt["@odata.context"].endswith("$entity")
    org = get_ok(emu, "/v1.0/organization")["value"][0]
    assert org["verifiedDomains"][0]["name"] == "contoso.example" and org["displayName"] == "Contoso"


def _grant_for(emu: GraphEmulator, client: str) -> dict[str, Any]:
    grants = get_ok(emu, "/v1.0/oauth2PermissionGrants")["value"]
    return next(g for g in grants if g["clientId"] == by_name(emu, client).id)


def test_demo_tenant_consents_credentials_and_privilege_path(emu: GraphEmulator) -> None:
    chatgpt = _grant_for(emu, "ChatGPT")
    assert chatgpt["consentType"] == "Principal" and "Mail.Read Files.Read.All" in chatgpt["scope"]
    otter = _grant_for(emu, "Otter.ai Meeting Notes")
    assert otter["consentType"] == "AllPrincipals" and otter["principalId"] is None
    sales = by_name(emu, "Sales Copilot Agent")
    app = get_ok(emu, "/v1.0/applications?$select=displayName,passwordCredentials,appId")["value"]
    secret = next(a for a in app if a["appId"] == sales.app_id)["passwordCredentials"][0]
    assert secret["hint"] == "Xy7" and secret["endDateTime"] == (NOW + timedelta(days=720)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    ops = by_name(emu, "ops-automation")
    roles = get_ok(emu, "/v1.0/roleManagement/directory/roleAssignments")["value"]
    assert {"principalId": ops.id, "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10"}.items() <= next(
        r for r in roles if r["principalId"] == ops.id
    ).items()
    owners = get_ok(emu, f"/v1.0/servicePrincipals/{ops.id}/owners")["value"]
    assert sales.id in {o["id"] for o in owners}
    assert "secretText" not in json.dumps(get_ok(emu, "/v1.0/applications")) + json.dumps(
        get_ok(emu, "/v1.0/servicePrincipals")
    )


def test_demo_tenant_hostile_strings_mi_sign_ins_and_registry(emu: GraphEmulator) -> None:
    sps = get_ok(emu, "/v1.0/servicePrincipals?$select=displayName,notes,servicePrincipalType,appId")["value"]
    hostile = next(s for s in sps if s["displayName"] == HOSTILE_NAME)
    assert hostile["notes"] == HOSTILE_NOTES
    assert (
        next(s for s in sps if s["displayName"] == "mi-openai-summarizer")["servicePrincipalType"] == "ManagedIdentity"
    )
    activity = {a["appId"]: a for a in get_ok(emu, "/beta/reports/servicePrincipalSignInActivities")["value"]}
    last = activity[by_name(emu, "Claims Triage Bot").app_id]["lastSignInActivity"]["lastSignInDateTime"]
    assert last == (NOW - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    deployer = next(a for a in emu.tenant.applications if a.display_name == "agent-deployer")
    fics = get_ok(emu, f"/v1.0/applications/{deployer.id}/federatedIdentityCredentials")["value"]
    assert fics[0]["subject"] == "repo:acme/agents:ref:refs/heads/main"
    tenant, fragment = demo_tenant(NOW)
    records = {r.id: r for r in parse_registry_text("version: 1\nagents:\n" + fragment, file="entra.yaml")}
    assert set(records) == {"entra-invoice-reader", "entra-claims-triage", "entra-agent-deployer", "entra-hr-agent"}
    known = {x for s in tenant.service_principals for x in (s.id, s.app_id)}
    assert all(set(r.identities) <= known for r in records.values())
    assert records["entra-hr-agent"].owner == "departed.sponsor@contoso.example"


def test_synthetic_tenant_at_benchmark_scale_builds_fast() -> None:
    started = time.perf_counter()
    tenant = Tenant.synthetic(100_000, 30_000, 200_000, seed=1)
    elapsed = time.perf_counter() - started
    print(f"synthetic 100k SPs / 30k apps / 200k grants built in {elapsed:.2f}s")
    assert (len(tenant.service_principals), len(tenant.applications)) == (100_000, 30_000)
    assert len(tenant.oauth2_permission_grants) == 200_000
    assert any(s.app_id == CHATGPT_APP_ID for s in tenant.service_principals)
    assert any("Copilot" in a.display_name for a in tenant.applications)
    with GraphEmulator(tenant) as emu:
        page = get_ok(emu, "/v1.0/servicePrincipals?$top=999&$select=id,appId")
        assert len(page["value"]) == 999 and "@odata.nextLink" in page
