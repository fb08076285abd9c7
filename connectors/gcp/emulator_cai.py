"""Cloud Asset Inventory v1 searchAllIamPolicies and searchAllResources over an organization, folder or project.

Page size: documented as capped at 500, the server's default for zero or negative sizes (100 here). Queries: terms
are AND-ed; `field:value` is a substring match, `field=value` exact, bare words match any field. IAM policy search
knows `policy`, `roles`, `memberTypes` and `resource`, and returns only the bindings that match, as documented.
assetTypes may be regular expressions (".*ServiceAccount.*"), as documented.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from connectors.gcp.emulator_cai_render import (
    API_KEY_TYPE,
    CRM,
    FOLDER_TYPE,
    KEY_TYPE,
    ORGANIZATION_TYPE,
    POOL_TYPE,
    PROJECT_TYPE,
    PROVIDER_TYPE,
    RESULT_FIELDS,
    SA_TYPE,
    account_name,
    account_result,
    api_key_result,
    finish,
    folder_result,
    key_result,
    located,
    organization_result,
    parse_query,
    pool_result,
    project_result,
    provider_result,
    resource_matches,
    term_hit,
)
from connectors.gcp.emulator_call import Call, Json, PageRule, paged
from connectors.gcp.emulator_faults import invalid_argument, permission_denied
from connectors.gcp.emulator_model import Binding, Folder, Policy, Project
from connectors.gcp.emulator_org import Org
from connectors.gcp.emulator_wire import bindings_json

CAI_PAGE = PageRule(default=100, maximum=500, nonpositive_is_default=True)
POLICY_FIELDS = frozenset({"policy", "roles", "membertypes", "resource"})
Lazy = tuple[Callable[..., Json], tuple[Any, ...]]  # renderer and its arguments
PolicyEntry = tuple[str, str, Json, Policy]  # asset type, full resource name, location fields, policy
Term = tuple[str | None, str, str]


def _scope(call: Call, raw: str, permission: str) -> tuple[list[Folder], list[Project], bool]:
    """Folders and projects inside a scope, and whether the organization node itself is in it."""
    org = call.org
    if raw == org.organization.name:
        return list(org.folders.values()), list(org.projects.values()), True
    folder = org.folder(raw) if raw.startswith("folders/") else None
    if folder is not None:
        folders = [f for f in org.folders.values() if raw in (f.name, *org.ancestors(f.parent))]
        return folders, [p for p in org.projects.values() if raw in org.ancestors(p.parent)], False
    project = org.project(raw) if raw.startswith("projects/") else None
    if project is not None and project.visible:
        return [], [project], False
    raise permission_denied(permission, raw)


def _type_filter(call: Call) -> Callable[[str], bool]:
    """assetTypes as regular expressions (a plain type name matches itself); memoized, there are few types."""
    try:
        patterns = [re.compile(p) for p in call.many("assetTypes")]
    except re.error as error:
        raise invalid_argument(f"Invalid asset type regular expression: {error}.", "asset_types") from None
    memo: dict[str, bool] = {}

    def wanted(asset_type: str) -> bool:
        if asset_type not in memo:
            memo[asset_type] = not patterns or any(p.fullmatch(asset_type) for p in patterns)
        return memo[asset_type]

    return wanted


def _project_resources(org: Org, projects: list[Project], wanted: Callable[[str], bool]) -> list[Lazy]:
    """The wanted resources of the projects, unrendered (only one page gets rendered); plain loops, for speed."""
    kinds = {t for t in (PROJECT_TYPE, SA_TYPE, KEY_TYPE, API_KEY_TYPE, POOL_TYPE, PROVIDER_TYPE) if wanted(t)}
    out: list[Lazy] = []
    add = out.append
    for project in projects:
        if PROJECT_TYPE in kinds:
            add((project_result, (org, project)))
        for account in project.service_accounts if kinds & {SA_TYPE, KEY_TYPE} else ():
            if SA_TYPE in kinds:
                add((account_result, (org, project, account)))
            for key in account.keys if KEY_TYPE in kinds else ():
                add((key_result, (org, project, account, key)))
        for api_key in project.api_keys if API_KEY_TYPE in kinds else ():
            add((api_key_result, (org, project, api_key)))
        for pool in project.pools if kinds & {POOL_TYPE, PROVIDER_TYPE} else ():
            if POOL_TYPE in kinds:
                add((pool_result, (org, project, pool)))
            for provider in pool.providers if PROVIDER_TYPE in kinds else ():
                add((provider_result, (org, project, pool, provider)))
    return out


def search_all_resources(call: Call, match: re.Match[str]) -> Json:
    """GET /v1/{scope}:searchAllResources?assetTypes=&query=&readMask= -> {"results": [...], "nextPageToken"}."""
    folders, projects, with_org = _scope(call, match["scope"], "cloudasset.assets.searchAllResources")
    org, wanted = call.org, _type_filter(call)
    lazy: list[Lazy] = [(organization_result, (org,))] if with_org and wanted(ORGANIZATION_TYPE) else []
    lazy += [(folder_result, (org, f)) for f in folders if wanted(FOLDER_TYPE)]
    lazy += _project_resources(org, projects, wanted)
    terms = parse_query(call.one("query"), RESULT_FIELDS)
    mask = call.many("readMask")
    versioned = "*" in mask or "versionedResources" in mask
    if terms:
        found = [result for render, args in lazy if resource_matches(result := render(*args), terms)]
        return paged(call, found, CAI_PAGE, "results", lambda result: finish(result, versioned))
    return paged(call, lazy, CAI_PAGE, "results", lambda item: finish(item[0](*item[1]), versioned))


def _policy_entries(org: Org, folders: list[Folder], projects: list[Project], with_org: bool) -> Iterator[PolicyEntry]:
    o = org.organization
    if with_org:
        yield ORGANIZATION_TYPE, CRM + o.name, {"organization": o.name}, o.policy
    for f in folders:
        where: Json = {"folders": [f.name, *org.ancestors(f.parent)], "organization": o.name}
        yield FOLDER_TYPE, CRM + f.name, where, f.policy
    for p in projects:
        where = located(org, p)
        yield PROJECT_TYPE, CRM + p.name, where, p.policy
        for account in p.service_accounts:
            yield SA_TYPE, account_name(account), where, account.policy


def _binding_hit(binding: Binding, term: Term) -> bool:
    field, op, value = term
    if field == "roles":
        return term_hit([binding.role], op, value)
    if field == "membertypes":  # a member type is matched whole: "principal" is not "principalSet"
        return term_hit([m.split(":", 1)[0] for m in binding.members], "=", value)
    return term_hit([binding.role, *binding.members], op, value)


def _policy_result(entry: PolicyEntry, terms: list[Term]) -> Json | None:
    """The search result for one policy, with only the matching bindings; None when nothing matches."""
    asset_type, resource, where, policy = entry
    if not all(term_hit([resource], op, value) for field, op, value in terms if field == "resource"):
        return None
    binding_terms = [t for t in terms if t[0] != "resource"]
    bindings = [b for b in policy.bindings if all(_binding_hit(b, t) for t in binding_terms)]
    if not bindings:
        return None
    return {"resource": resource, "assetType": asset_type, **where, "policy": {"bindings": bindings_json(bindings)}}


def search_all_iam_policies(call: Call, match: re.Match[str]) -> Json:
    """GET /v1/{scope}:searchAllIamPolicies?query=&assetTypes= -> {"results": [...], "nextPageToken"}."""
    folders, projects, with_org = _scope(call, match["scope"], "cloudasset.assets.searchAllIamPolicies")
    wanted, terms = _type_filter(call), parse_query(call.one("query"), POLICY_FIELDS)
    entries = [e for e in _policy_entries(call.org, folders, projects, with_org) if wanted(e[0]) and e[3].bindings]
    if terms:
        results = [r for e in entries if (r := _policy_result(e, terms)) is not None]
        return paged(call, results, CAI_PAGE, "results", lambda result: result)
    return paged(call, entries, CAI_PAGE, "results", lambda entry: _policy_result(entry, []) or {})
