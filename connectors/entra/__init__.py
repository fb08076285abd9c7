"""Microsoft Entra connector: service principals, app credentials, consents, federation and Agent ID."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from scanner.config import ConfigSection
from scanner.errors import PluginError
from scanner.logsafe import pin_wire_loggers
from scanner.model import Facet, Gap, GapReason, Record, ScopeReport
from scanner.plugins import ScopePlan, install_hint

log = logging.getLogger(__name__)

# Least-privilege application permissions, all read-only; a denied one is named in the report's gaps.
PERMISSIONS = (
    "Application.Read.All (service principals, applications, owners, federated credentials, app role assignments)",
    "DelegatedPermissionGrant.Read.All (oauth2PermissionGrants: delegated consents)",
    "RoleManagement.Read.Directory (directory role assignments, for privilege paths)",
    "AuditLog.Read.All (beta reports/servicePrincipalSignInActivities, for staleness)",
    "AgentIdentity.Read.All (agent identity sponsors, and their lifecycle: last attestation, beta)",
    "AgentInstance.Read.All (beta agentRegistry/agentInstances; unless agent_registry = false)",
    "User.Read.All (whether registry owners exist and are enabled)",
    "Organization.Read.All (tenant id and verified domains)",
)
_KEYS = {"tenant_id", "graph_endpoint", "token_env", "max_retries", "agent_registry"}
DEFAULT_ENDPOINT = "https://graph.microsoft.com"


@dataclass(frozen=True, kw_only=True)
class EntraSettings:
    """The validated `[connectors.entra]` table."""

    tenant_id: str | None = None
    graph_endpoint: str = DEFAULT_ENDPOINT
    token_env: str | None = None
    max_retries: int = 5
    agent_registry: bool = True  # read the beta agent registry (agentRegistry/agentInstances)


def parse_settings(section: ConfigSection) -> EntraSettings:
    """Validate the table; secrets are referenced by environment-variable name only."""
    section.check_keys(_KEYS)
    endpoint = (section.get_optional_str("graph_endpoint") or DEFAULT_ENDPOINT).rstrip("/")
    host_is_local = endpoint.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]"))
    if not (endpoint.startswith("https://") or host_is_local):
        raise section.error("graph_endpoint", "must be https:// (plain http only for loopback)")
    retries = section.get("max_retries", int, 5)
    if not 0 <= retries <= 10:
        raise section.error("max_retries", "must be between 0 and 10")
    return EntraSettings(
        tenant_id=section.get_optional_str("tenant_id"),
        graph_endpoint=endpoint.removesuffix("/v1.0"),
        token_env=section.get_optional_str("token_env"),
        max_retries=retries,
        agent_registry=section.get("agent_registry", bool, True),
    )


class EntraConnector:
    """Reads one Entra tenant through msgraph-sdk's request adapter, as raw JSON."""

    name: ClassVar[str] = "entra"
    extra: ClassVar[str] = "entra"
    requires: ClassVar[tuple[str, ...]] = ("msgraph", "azure.identity")
    permissions: ClassVar[tuple[str, ...]] = PERMISSIONS

    def __init__(self, settings: EntraSettings, credential: Any = None) -> None:
        try:
            import msgraph  # noqa: F401
        except ModuleNotFoundError as exc:
            raise PluginError(f"the entra connector needs msgraph-sdk: {install_hint('entra')}") from exc
        pin_wire_loggers()
        self.settings = settings
        self.credential = credential
        self.tenant_id = settings.tenant_id or ""
        self.domains: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, section: ConfigSection) -> EntraConnector:
        """Build from `[connectors.entra]`."""
        return cls(parse_settings(section))

    def plan(self) -> ScopePlan:
        """One scope: the tenant (discovered from /organization when not configured)."""
        return ScopePlan(scopes=(self.settings.tenant_id or "tenant",))

    def collect(self, scope: str) -> Iterator[Record]:
        """Every record of the tenant, ending with its request count."""
        yield from asyncio.run(self._collect(scope))

    async def _collect(self, scope: str) -> list[Record]:
        from connectors.entra.fetch import fetch_tenant
        from connectors.entra.normalize import records

        client, closer = self.client()
        if client is None:
            return [self._auth_gap(scope), ScopeReport(provider="entra", connector="entra", scope=scope, api_calls=0)]
        try:
            snapshot, gaps = await fetch_tenant(
                client, scope, expected=self.settings.tenant_id, agent_registry=self.settings.agent_registry
            )
        finally:
            await closer()
        self.tenant_id, self.domains = snapshot.tenant_id, snapshot.domains
        out: list[Record] = list(records(snapshot, datetime.now(UTC)))
        out += gaps
        out.append(ScopeReport(provider="entra", connector="entra", scope=snapshot.tenant_id, api_calls=client.calls))
        return out

    def client(self) -> tuple[Any, Any]:
        """A Graph client with token_env's bearer token, or the given / default azure-identity credential."""
        from connectors.entra.client import GraphClient, credential_auth, token_auth

        root = self.settings.graph_endpoint
        if self.settings.token_env:
            token = os.environ.get(self.settings.token_env, "")
            if not token:
                return None, None
            auth = token_auth(token, root)
            return GraphClient.create(auth, root, max_retries=self.settings.max_retries), _noop
        credential = self.credential
        if credential is None:
            from azure.identity.aio import DefaultAzureCredential

            credential = DefaultAzureCredential()
        client = GraphClient.create(credential_auth(credential, root), root, max_retries=self.settings.max_retries)
        return client, getattr(credential, "close", _noop)

    def _auth_gap(self, scope: str) -> Gap:
        detail = f"environment variable {self.settings.token_env} is not set or empty"
        return Gap(
            provider="entra",
            scope=scope,
            resource="token_env",
            reason=GapReason.DENIED,
            detail=detail,
            facets=frozenset({Facet.SCOPE}),
        )

    def lookup_people(self, identifiers: list[str]) -> Iterator[Record]:
        """Registry owners in this tenant's verified domains (or given as object ids): found, absent, or a gap."""
        from connectors.entra.people import lookup

        yield from asyncio.run(lookup(self, identifiers))


async def _noop() -> None:
    return None
