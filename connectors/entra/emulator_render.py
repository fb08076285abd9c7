"""Turning emulated objects into Graph responses: $select, inline $expand, paging with absolute nextLinks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.entra.emulator_index import Index
from connectors.entra.emulator_odata import (
    DEFAULT_PAGE_SIZE,
    Expand,
    Query,
    bad_request,
    context_url,
    decode_skiptoken,
    matches,
    next_link,
    project,
)
from connectors.entra.emulator_sets import Kind, Nav
from connectors.entra.emulator_tenant import Tenant
from connectors.entra.emulator_wire import Json


@dataclass(frozen=True)
class Call:
    """One Graph request (top-level or inside $batch) after auth: what the handlers see."""

    method: str
    version: str  # "v1.0" or "beta"
    path: str  # without the version, e.g. "/servicePrincipals/{id}/owners"
    query: Query
    body: bytes
    base: str  # the emulator's URL, for absolute links
    page_cap_with_expand: int
    index: Index
    tenant: Tenant


@dataclass
class Reply:
    """A Graph response: status, JSON body (None for no content) and extra headers."""

    status: int
    body: Json | None
    headers: dict[str, str] = field(default_factory=dict)


def visible(navs: dict[str, Nav], version: str) -> dict[str, Nav]:
    """The navigation properties this API version has (beta-only ones are unknown on v1.0)."""
    return {k: n for k, n in navs.items() if version == "beta" or not n.beta_only}


def _resolve_expands(query: Query, navs: dict[str, Nav], kind: Kind) -> list[tuple[Nav, Expand]]:
    resolved = []
    for item in query.expand:
        nav = navs.get(item.name.lower())
        if nav is None:
            raise bad_request(
                f"Parsing OData Select and Expand failed: Could not find a property named '{item.name}' "
                f"on type '{kind.type_name}'."
            )
        resolved.append((nav, item))
    return resolved


def render(call: Call, obj: Any, kind: Kind, expands: Sequence[tuple[Nav, Expand]]) -> Json:
    """One object with $select applied and each $expand-ed navigation property inlined."""
    out = project(kind.serialize(obj), call.query.select, kind.type_name, kind.properties)
    for nav, item in expands:
        related = [
            project(nav.kind.serialize(r), item.select, nav.kind.type_name, nav.kind.properties)
            for r in nav.related(call.index, obj)
        ]
        out[nav.name] = (related[0] if related else None) if nav.single else related
    return out


def collection(
    call: Call, items: Sequence[Any], kind: Kind, fragment: str, navs: dict[str, Nav] | None = None
) -> Reply:
    """A page of a collection; with $expand the page is capped (Graph returns at most 100 expanded objects)."""
    query = call.query
    expands = _resolve_expands(query, visible(navs or {}, call.version), kind)
    size = query.top or DEFAULT_PAGE_SIZE
    if expands:
        size = min(size, call.page_cap_with_expand)
    offset = decode_skiptoken(query.skiptoken) if query.skiptoken else 0
    if query.filter is not None:
        clauses = query.filter
        items = [o for o in items if matches(kind.serialize(o), clauses, kind.type_name, kind.properties)]
    body: Json = {"@odata.context": context_url(call.base, call.version, fragment, query.select)}
    if offset + size < len(items):
        body["@odata.nextLink"] = next_link(call.base, call.version, call.path, query.raw, offset + size)
    body["value"] = [render(call, obj, kind, expands) for obj in items[offset : offset + size]]
    return Reply(200, body)


def entity(call: Call, obj: Any, kind: Kind, fragment: str, navs: dict[str, Nav] | None = None) -> Reply:
    """A single object (GET /servicePrincipals/{id}); only $select and $expand apply."""
    for option in ("$top", "$skiptoken", "$filter"):
        if option in call.query.given:
            raise bad_request(f"Query option '{option}' is not allowed on a single entity.")
    expands = _resolve_expands(call.query, visible(navs or {}, call.version), kind)
    body: Json = {"@odata.context": context_url(call.base, call.version, fragment, call.query.select) + "/$entity"}
    body.update(render(call, obj, kind, expands))
    return Reply(200, body)
