"""Whether the people a registry names as owners exist and are enabled in the scanned tenant."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from connectors.entra.client import GraphError
from connectors.entra.fetch import PEOPLE, PERSON_FIELDS, TenantFetch
from connectors.entra.normalize import person
from scanner.model import Absent, Record, ScopeReport

if TYPE_CHECKING:
    from connectors.entra import EntraConnector

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def in_tenant(identifier: str, domains: tuple[str, ...]) -> bool:
    """Object ids, and addresses in one of the tenant's verified domains, are this tenant's to answer."""
    if _GUID.match(identifier):
        return True
    _, at, domain = identifier.rpartition("@")
    return bool(at) and domain.lower() in {d.lower() for d in domains}


def _path(identifier: str) -> str:
    if _GUID.match(identifier):
        return f"/users?$filter=id eq '{identifier}'&$select={PERSON_FIELDS}"
    literal = identifier.replace("'", "''")
    condition = quote(f"userPrincipalName eq '{literal}' or mail eq '{literal}'", safe="'= ")
    return f"/users?$filter={condition}&$select={PERSON_FIELDS}"


async def lookup(connector: EntraConnector, identifiers: list[str]) -> list[Record]:
    """Found users as identities, Absent where the directory answered 'none', gaps where it could not."""
    wanted = [i for i in identifiers if in_tenant(i, connector.domains)]
    if not wanted or not connector.tenant_id:
        return []
    client, closer = connector.client()
    if client is None:
        return []
    fetch = TenantFetch(client=client, tenant_id=connector.tenant_id)
    try:
        answers = await fetch.guarded("/$batch", client.batch_get([_path(i) for i in wanted]), PEOPLE) or []
    finally:
        await closer()
    out: list[Record] = []
    for identifier, (status, body) in zip(wanted, answers, strict=False):
        if status >= 400:
            error = (body or {}).get("error", {})
            fetch.gap(
                "/users",
                GraphError(status, error.get("code", ""), error.get("message", ""), "/users"),
                PEOPLE,
                target=identifier,
            )
            continue
        users = (body or {}).get("value", [])
        if users:
            out.extend(person(u, connector.tenant_id) for u in users)
        else:
            out.append(
                Absent(provider="entra", scope=connector.tenant_id, identifier=identifier, detail="no such user")
            )
    out += fetch.gaps
    out.append(ScopeReport(provider="entra", connector="entra", scope=connector.tenant_id, api_calls=client.calls))
    return out
