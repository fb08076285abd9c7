"""The Graph endpoints the emulator serves, routed by path (case-insensitive, as Graph's segment names are)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from connectors.entra import emulator_sets as sets
from connectors.entra.emulator_model import Application, ServicePrincipal, User
from connectors.entra.emulator_odata import GraphError, bad_request, method_not_allowed, not_found, project
from connectors.entra.emulator_render import Call, Reply, collection, entity, visible
from connectors.entra.emulator_tenant import Tenant
from connectors.entra.emulator_wire import Json, directory_object_json

Handler = Callable[[Call, "re.Match[str]"], Reply]
MAX_GET_BY_IDS = 1000
_TYPE_NAMES = {User: "user", ServicePrincipal: "serviceprincipal", Application: "application"}
_KNOWN_TYPES = {
    "user",
    "group",
    "device",
    "serviceprincipal",
    "application",
    "orgcontact",
    "directoryobjectpartnerreference",
}
BETA_ONLY_SEGMENTS = {"serviceprincipalsigninactivities", "agentregistry"}


def organization_json(tenant: Tenant) -> Json:
    """The tenant's organization object."""
    return {
        "id": tenant.tenant_id,
        "displayName": tenant.display_name,
        "tenantType": "AAD",
        "verifiedDomains": [
            {
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": d.is_default,
                "isInitial": d.is_initial,
                "name": d.name,
                "type": "Managed",
            }
            for d in tenant.verified_domains
        ],
    }


def _organization(call: Call, _m: re.Match[str]) -> Reply:
    kind = sets.Kind("microsoft.graph.organization", organization_json, frozenset(organization_json(call.tenant)))
    return collection(call, [call.tenant], kind, "organization")


def _entity_set(call: Call, m: re.Match[str]) -> Reply:
    es = sets.ENTITY_SETS[m["set"].lower()]
    return collection(call, es.items(call.tenant), es.kind, es.name, es.navs_for(None))


def _cast_collection(call: Call, m: re.Match[str]) -> Reply:
    es = sets.ENTITY_SETS[m["set"].lower()]
    odata_type = es.cast_type(m["cast"])
    if odata_type is None:
        raise not_found(call.path)
    return collection(
        call, es.cast_items(call.index, odata_type), es.kind, f"{es.name}/{odata_type[1:]}", es.navs_for(odata_type)
    )


def _lookup(call: Call, es: sets.EntitySet, m: re.Match[str]) -> Any:
    if m["id"] is not None:
        obj = es.by_id(call.index, m["id"])
    elif es.by_app_id is not None:
        obj = es.by_app_id(call.index, m["appid"])
    else:
        raise not_found(call.path)
    if obj is None:
        raise not_found(m["id"] or m["appid"])
    return obj


def _entity(call: Call, m: re.Match[str]) -> Reply:
    es = sets.ENTITY_SETS[m["set"].lower()]
    obj = _lookup(call, es, m)
    odata_type, fragment = None, es.name
    if m["cast"]:
        odata_type = es.cast_type(m["cast"])
        if odata_type is None:
            raise not_found(call.path)
        if (getattr(obj, "odata_type", None) or "").lower() != odata_type.lower():
            raise not_found(obj.id)  # Graph: the object exists, but not as that subtype
        fragment = f"{es.name}/{odata_type[1:]}"
    navs = es.navs_for(odata_type)
    if m["nav"] is None:
        return entity(call, obj, es.kind, fragment, navs)
    nav = visible(navs, call.version).get(m["nav"].lower())
    if nav is None:
        raise not_found(call.path)
    if call.query.expand:
        raise bad_request(f"Query option '$expand' is not supported on '{nav.name}'.")
    related = nav.related(call.index, obj)
    if nav.single:
        if not related:
            raise not_found(call.path)
        return entity(call, related[0], nav.kind, nav.fragment(es.name, obj.id))
    return collection(call, related, nav.kind, nav.fragment(es.name, obj.id))


def _grants(call: Call, _m: re.Match[str]) -> Reply:
    return collection(call, call.tenant.oauth2_permission_grants, sets.GRANT, "oauth2PermissionGrants")


def _role_definitions(call: Call, _m: re.Match[str]) -> Reply:
    return collection(
        call, call.tenant.role_definitions, sets.ROLE_DEFINITION, "roleManagement/directory/roleDefinitions"
    )


def _role_assignments(call: Call, _m: re.Match[str]) -> Reply:
    return collection(
        call, call.tenant.role_assignments, sets.ROLE_ASSIGNMENT, "roleManagement/directory/roleAssignments"
    )


def _sign_in_activities(call: Call, _m: re.Match[str]) -> Reply:
    fragment = "reports/servicePrincipalSignInActivities"
    return collection(call, call.tenant.sign_in_activities, sets.SIGN_IN_ACTIVITY, fragment)


def _agent_instances(call: Call, _m: re.Match[str]) -> Reply:
    if call.tenant.agent_instances is None:
        raise GraphError(404, "ResourceNotFound", "The agent registry is not available in this tenant.")
    return collection(call, call.tenant.agent_instances, sets.AGENT_INSTANCE, "agentRegistry/agentInstances")


def _get_by_ids_request(body: bytes) -> tuple[list[str], set[str] | None]:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        raise bad_request("Invalid JSON in the request body.") from None
    ids = payload.get("ids") if isinstance(payload, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise bad_request("Invalid value specified for property 'ids' of resource 'DirectoryObject'.")
    if len(ids) > MAX_GET_BY_IDS:
        raise bad_request(f"Too many ids: at most {MAX_GET_BY_IDS} ids can be specified in one request.")
    types = payload.get("types")
    if types is None:
        return ids, None
    if not isinstance(types, list) or not all(isinstance(t, str) and t.lower() in _KNOWN_TYPES for t in types):
        raise bad_request("Invalid value specified for property 'types' of resource 'DirectoryObject'.")
    return ids, {t.lower() for t in types}


def _get_by_ids(call: Call, _m: re.Match[str]) -> Reply:
    ids, types = _get_by_ids_request(call.body)
    found = (call.index.directory_object(i) for i in dict.fromkeys(ids))
    kind = sets.DIRECTORY_OBJECT
    values = [
        project(directory_object_json(o), call.query.select, kind.type_name, kind.properties)
        for o in found
        if o is not None and (types is None or _TYPE_NAMES[type(o)] in types)
    ]
    context = f"{call.base}/{call.version}/$metadata#directoryObjects"
    return Reply(200, {"@odata.context": context, "value": values})


_SET = r"(?P<set>servicePrincipals|applications|users)"
_CAST = r"(?P<cast>microsoft\.graph\.\w+)"
_KEY = r"(?:/(?P<id>[^/()]+)|\(appId='(?P<appid>[^']*)'\))"
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (method, re.compile(pattern, re.IGNORECASE), handler)
    for method, pattern, handler in [
        ("GET", r"/organization", _organization),
        ("GET", r"/" + _SET, _entity_set),
        ("GET", r"/" + _SET + "/" + _CAST, _cast_collection),
        ("GET", r"/" + _SET + _KEY + r"(?:/" + _CAST + r")?(?:/(?P<nav>\w+))?", _entity),
        ("GET", r"/oauth2PermissionGrants", _grants),
        ("GET", r"/roleManagement/directory/roleDefinitions", _role_definitions),
        ("GET", r"/roleManagement/directory/roleAssignments", _role_assignments),
        ("GET", r"/reports/servicePrincipalSignInActivities", _sign_in_activities),
        ("GET", r"/agentRegistry/agentInstances", _agent_instances),
        ("POST", r"/directoryObjects/getByIds", _get_by_ids),
    ]
]


def dispatch(call: Call) -> Reply:
    """Answer one request; raises GraphError for Graph's error responses."""
    beta_only = [s for s in call.path.split("/") if s.lower() in BETA_ONLY_SEGMENTS]
    if call.version != "beta" and beta_only:
        # What Graph answers for a beta-only resource on v1.0.
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{beta_only[0]}'.")
    for method, pattern, handler in ROUTES:
        match = pattern.fullmatch(call.path)
        if match is not None:
            if call.method != method:
                raise method_not_allowed()
            return handler(call, match)
    raise not_found(call.path)
