"""Entra Agent ID governance reads (beta): agent identities' lifecycle and the agent registry's instances.

Each is one paged listing: the lifecycle comes inline through $expand on the agent identity cast (no request per
agent), and only when the tenant has agent identities. People the instances name and the tenant reads did not
return are then looked up in $batch requests of 20, so an owner is found, proven absent, or a gap.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from connectors.entra.client import GraphError
from connectors.entra.fetch import PEOPLE, PERSON_FIELDS, TenantFetch
from connectors.entra.normalize import Snapshot
from scanner.model import Facet

LIFECYCLE_PATH = "/servicePrincipals/microsoft.graph.agentIdentity"
INSTANCES_PATH = "/agentRegistry/agentInstances"
INSTANCE_FIELDS = (
    "id,displayName,agentIdentityId,agentIdentityBlueprintId,agentUserId,ownerIds,originatingStore,managedBy,"
    "createdBy,createdDateTime"
)
ATTESTATION = frozenset({Facet.ATTESTATION})
NATIVE_REGISTRY = frozenset({Facet.NATIVE_REGISTRY})
NOT_IN_TENANT = "the agent registry is not available in this tenant"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


async def read_lifecycles(f: TenantFetch, snap: Snapshot) -> None:
    """Every agent identity's lifecycle, inline; a failure leaves snap.lifecycles None (attestation unknown)."""
    if not any(sp.get("@odata.type") == "#microsoft.graph.agentIdentity" for sp in snap.service_principals):
        return
    params = {"$select": "id", "$expand": "lifecycle", "$top": "999"}
    found = await f.listing(LIFECYCLE_PATH, params, ATTESTATION, version="beta")
    if found is not None:
        # A missing property is not a null one: only an explicit null says the agent has no lifecycle state.
        snap.lifecycles = {item["id"]: item["lifecycle"] for item in found if "lifecycle" in item}


async def read_instances(f: TenantFetch, snap: Snapshot) -> None:
    """The agent registry's instances; a 404 says this tenant has no agent registry, and is a gap all the same."""
    try:
        snap.instances = await f.client.collect(INSTANCES_PATH, {"$select": INSTANCE_FIELDS}, "beta")
    except GraphError as error:
        if error.status == 404:
            error = GraphError(error.status, error.code, f"{error.message} ({NOT_IN_TENANT})", error.path)
        f.gap(INSTANCES_PATH, error, NATIVE_REGISTRY)


async def agent_governance(f: TenantFetch, snap: Snapshot, *, agent_registry: bool = True) -> None:
    """Lifecycles and (unless turned off) registry instances, concurrently."""
    await asyncio.gather(read_lifecycles(f, snap), read_instances(f, snap) if agent_registry else _nothing())


async def _nothing() -> None:
    return None


def _wanted(snap: Snapshot) -> list[str]:
    """Object ids the instances name (owners, agent users) that no earlier read returned."""
    known = set(snap.people) | {sp["id"] for sp in snap.service_principals} | {a["id"] for a in snap.applications}
    named = {o for item in snap.instances for o in item.get("ownerIds") or []}
    named |= {item["agentUserId"] for item in snap.instances if item.get("agentUserId")}
    return sorted(i for i in named - known if isinstance(i, str) and _GUID.match(i))


async def instance_people(f: TenantFetch, snap: Snapshot) -> None:
    """Owners and agent users of instances: found (a person or an agent user), proven absent (404), or a gap."""
    wanted = _wanted(snap)
    if not wanted:
        return
    paths = [f"/users/{i}?$select={PERSON_FIELDS}" for i in wanted]
    try:
        answers: list[tuple[int, Any]] = await f.client.batch_get(paths)
    except GraphError as failed:  # each id is then unknown, never absent
        for object_id in wanted:
            f.gap("/$batch", failed, PEOPLE, target=object_id)
        return
    for object_id, (status, body) in zip(wanted, answers, strict=True):
        if status == 404:
            snap.absent.append(object_id)
        elif status >= 400:
            error = (body or {}).get("error", {})
            failure = GraphError(status, error.get("code", ""), error.get("message", ""), "/users")
            f.gap("/users/{id}", failure, PEOPLE, target=object_id)
        elif (body or {}).get("@odata.type") == "#microsoft.graph.agentUser":
            snap.agent_users[object_id] = body
        elif body and "userPrincipalName" in body:
            snap.people[object_id] = body
