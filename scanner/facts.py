"""What classification reads about one identity: its context, and the facts each signal kind matches against."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from scanner.model import Credential, Grant, Identity, TrustKind, Workload
from scanner.permissions import PolicySet


@dataclass(kw_only=True)
class IdentityContext:
    """Everything the engine knows about one identity, gathered once for signals and rules."""

    identity: Identity
    credentials: list[Credential] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)

    @cached_property
    def policy(self) -> PolicySet:
        """The grants compiled once, for the many permission questions signals, graph and rules ask."""
        return PolicySet(self.grants)

    def forget_policy(self) -> None:
        """Drop the compiled grants once every identity has been classified; the few rules that ask rebuild them."""
        self.__dict__.pop("policy", None)


# A fact is (value to match, context shown in the evidence).
Fact = tuple[str, dict[str, str]]


def _aws_managed_policy_name(arn: str) -> str | None:
    if re.match(r"^arn:aws[a-z-]*:iam::aws:policy/", arn):
        return arn.rsplit("/", 1)[-1]
    return None


def _facts_trusted_service(ctx: IdentityContext) -> Iterator[Fact]:
    for trust in ctx.identity.trusts:
        if trust.kind is TrustKind.SERVICE:
            yield trust.principal, {}


def _facts_workload_kind(ctx: IdentityContext) -> Iterator[Fact]:
    for wl in ctx.workloads:
        yield wl.kind, {"value": wl.name or wl.uid}


def _facts_credential_service(ctx: IdentityContext) -> Iterator[Fact]:
    for cred in ctx.credentials:
        if cred.service and cred.active:
            yield cred.service, {"value": cred.native_id or cred.uid}


def _facts_managed_policy(ctx: IdentityContext) -> Iterator[Fact]:
    for grant in ctx.grants:
        name = _aws_managed_policy_name(grant.target)
        if name:
            yield name, {}


def _facts_env_var_name(ctx: IdentityContext) -> Iterator[Fact]:
    for wl in ctx.workloads:
        for var in wl.env_var_names:
            yield var, {"workload": wl.name}


def _facts_last_used_service(ctx: IdentityContext) -> Iterator[Fact]:
    for cred in ctx.credentials:
        if cred.last_used_service:
            yield cred.last_used_service, {}
    service = ctx.identity.attributes.get("last_used_service")
    if isinstance(service, str) and service:
        yield service, {}


def _facts_name(ctx: IdentityContext) -> Iterator[Fact]:
    yield ctx.identity.name, {}


def _attribute(name: str) -> Callable[[IdentityContext], Iterator[Fact]]:
    def facts(ctx: IdentityContext) -> Iterator[Fact]:
        value = ctx.identity.attributes.get(name)
        if isinstance(value, str) and value:
            yield value, {}

    return facts


def _facts_publisher_domain(ctx: IdentityContext) -> Iterator[Fact]:
    for domain in ctx.identity.attributes.get("domains") or []:
        yield str(domain), {}


def _facts_ai_resource(ctx: IdentityContext) -> Iterator[Fact]:
    for grant in ctx.grants:
        app = grant.attributes.get("resource_app_id")
        if isinstance(app, str) and app:
            yield app, {"grant": grant.name}


def _facts_ai_role(ctx: IdentityContext) -> Iterator[Fact]:
    for grant in ctx.grants:
        if grant.statements:
            continue  # a policy document's actions are never role names
        for role in grant.permissions:
            if role.startswith("roles/"):
                yield role, {"grant": grant.name}


def _facts_api_target(ctx: IdentityContext) -> Iterator[Fact]:
    for target in ctx.identity.attributes.get("api_targets") or []:
        yield str(target), {}


def _facts_human(ctx: IdentityContext) -> Iterator[Fact]:
    if ctx.identity.human:
        yield "true", {"value": "a person signs in as it (console password or interactive sign-in)"}


FACTS: dict[str, Callable[[IdentityContext], Iterator[Fact]]] = {
    "trusted_service": _facts_trusted_service,
    "workload_kind": _facts_workload_kind,
    "credential_service": _facts_credential_service,
    "managed_policy": _facts_managed_policy,
    "env_var_name": _facts_env_var_name,
    "last_used_service": _facts_last_used_service,
    "name_regex": _facts_name,
    "human": _facts_human,
    "odata_type": _attribute("odata_type"),
    "app_id": _attribute("app_id"),
    "publisher_domain": _facts_publisher_domain,
    "ai_resource_app": _facts_ai_resource,
    "principal_type": _attribute("principal_type"),
    "service_agent": _attribute("service_agent"),
    "ai_role": _facts_ai_role,
    "api_target": _facts_api_target,
}
