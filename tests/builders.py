"""Keyword builders for normalized records and registry entries, and a pure evaluation helper for rule tests."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import networkx as nx

from scanner.config import ScanSettings
from scanner.coverage import Coverage
from scanner.engine import evaluate
from scanner.index import RecordIndex
from scanner.model import (
    Credential,
    Effect,
    Facet,
    Gap,
    GapReason,
    Grant,
    Identity,
    Record,
    ScopeReport,
    Statement,
    Trust,
    TrustKind,
    Workload,
)
from scanner.registry import AgentRecord, AgentStatus, Registry
from scanner.rules import Finding
from scanner.signals import Verdict

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def days_ago(days: int) -> datetime:
    """A timestamp `days` before the fixed NOW (negative for the future)."""
    return NOW - timedelta(days=days)


def days_from_now(days: int) -> datetime:
    """A timestamp `days` after the fixed NOW."""
    return NOW + timedelta(days=days)


def _suffix(text: str) -> str:
    """A deterministic 16-character upper-case tail for native ids (AROA..., AIDA...)."""
    return "".join(ch for ch in text.upper() if ch.isalnum()).ljust(16, "X")[:16]


def role_arn(name: str, account: str = ACCOUNT) -> str:
    """ARN of a role."""
    return f"arn:aws:iam::{account}:role/{name}"


def user_arn(name: str, account: str = ACCOUNT) -> str:
    """ARN of a user."""
    return f"arn:aws:iam::{account}:user/{name}"


# --- trusts ---------------------------------------------------------------------------------------------------------


def service(principal: str) -> Trust:
    """A cloud service trusted to assume the role."""
    return Trust(kind=TrustKind.SERVICE, principal=principal, action="sts:assumerole")


def account_trust(account: str = ACCOUNT) -> Trust:
    """Every principal of an account that is itself allowed to assume (a root ARN or bare account id)."""
    return Trust(kind=TrustKind.ACCOUNT, principal=account, action="sts:assumerole")


def principal_trust(arn: str) -> Trust:
    """One specific principal by ARN."""
    return Trust(kind=TrustKind.PRINCIPAL, principal=arn, action="sts:assumerole")


def anyone() -> Trust:
    """A `*` principal."""
    return Trust(kind=TrustKind.ANYONE, principal="*", action="sts:assumerole")


def oidc(issuer: str, *subjects: str) -> Trust:
    """A federated OIDC trust admitting `subjects`."""
    return Trust(
        kind=TrustKind.FEDERATED,
        principal=issuer,
        action="sts:assumerolewithwebidentity",
        conditions=tuple(f"StringLike {issuer}:sub = {s}" for s in subjects),
        subjects=subjects,
    )


# --- identities -----------------------------------------------------------------------------------------------------


def role(
    name: str = "agent-role",
    *,
    account: str = ACCOUNT,
    role_id: str | None = None,
    trusts: Iterable[Trust] = (),
    created: datetime | None = None,
    last_used: datetime | None = None,
    enabled: bool = True,
    human: bool = False,
    description: str = "",
    tags: Mapping[str, str] | None = None,
    display_name: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Identity:
    """An AWS role; uid and native ids derive from the name, as the connector derives them from the ARN."""
    arn = role_arn(name, account)
    return Identity(
        uid=f"aws:role:{arn}",
        provider="aws",
        kind="role",
        scope=account,
        name=display_name if display_name is not None else name,
        native_ids=(arn, role_id or f"AROA{_suffix(name)}"),
        created_at=created if created is not None else days_ago(30),
        last_used_at=last_used,
        enabled=enabled,
        human=human,
        description=description,
        tags=dict(tags or {}),
        trusts=tuple(trusts),
        attributes=dict(attributes or {}),
    )


def user(
    name: str = "bot-user",
    *,
    account: str = ACCOUNT,
    user_id: str | None = None,
    created: datetime | None = None,
    last_used: datetime | None = None,
    enabled: bool = True,
    human: bool = False,
    attributes: Mapping[str, Any] | None = None,
) -> Identity:
    """An AWS user."""
    arn = user_arn(name, account)
    return Identity(
        uid=f"aws:user:{arn}",
        provider="aws",
        kind="user",
        scope=account,
        name=name,
        native_ids=(arn, user_id or f"AIDA{_suffix(name)}"),
        created_at=created if created is not None else days_ago(30),
        last_used_at=last_used,
        enabled=enabled,
        human=human,
        attributes=dict(attributes or {}),
    )


# --- grants ---------------------------------------------------------------------------------------------------------


def statement(
    *actions: str,
    effect: str | Effect = Effect.ALLOW,
    not_actions: Iterable[str] = (),
    resources: Iterable[str] = ("*",),
    conditional: bool = False,
) -> Statement:
    """One statement; actions keep the case given, so case-insensitivity can be tested."""
    return Statement(
        effect=Effect(effect),
        actions=tuple(actions),
        not_actions=tuple(not_actions),
        resources=tuple(resources),
        conditional=conditional,
    )


def grant(
    subject: Identity | str,
    *actions: str,
    effect: str | Effect = Effect.ALLOW,
    not_actions: Iterable[str] = (),
    resources: Iterable[str] = ("*",),
    conditional: bool = False,
    statements: Iterable[Statement] | None = None,
    kind: str = "inline-policy",
    name: str | None = None,
    target: str | None = None,
) -> Grant:
    """A grant of one statement built from the keywords, or of the `statements` given."""
    subject_uid = subject.uid if isinstance(subject, Identity) else subject
    scope = subject.scope if isinstance(subject, Identity) else ACCOUNT
    if statements is None:
        stmts: tuple[Statement, ...] = (
            statement(*actions, effect=effect, not_actions=not_actions, resources=resources, conditional=conditional),
        )
    else:
        stmts = tuple(statements)
    label = name or "policy-" + "+".join(actions or tuple(not_actions) or ("empty",))
    allowed = tuple(
        a.lower() for st in stmts if st.effect is Effect.ALLOW for a in st.actions or (("*",) if st.not_actions else ())
    )
    return Grant(
        uid=f"{subject_uid}|{kind}|{label}",
        subject_uid=subject_uid,
        provider="aws",
        scope=scope,
        kind=kind,
        target=target or f"{subject_uid}#{label}",
        name=label,
        permissions=allowed,
        statements=stmts,
    )


def boundary(subject: Identity | str, *actions: str, name: str = "boundary") -> Grant:
    """A permissions boundary allowing `actions`."""
    return grant(subject, *actions, kind="permissions-boundary", name=name)


def managed_policy(subject: Identity | str, policy_name: str, *actions: str, aws_managed: bool = True) -> Grant:
    """An attached managed policy (AWS-managed by default) by name."""
    account = subject.scope if isinstance(subject, Identity) else ACCOUNT
    arn = f"arn:aws:iam::aws:policy/{policy_name}" if aws_managed else f"arn:aws:iam::{account}:policy/{policy_name}"
    stmts = (statement(*actions),) if actions else ()
    return grant(subject, statements=stmts, kind="managed-policy", name=policy_name, target=arn)


# --- credentials and workloads --------------------------------------------------------------------------------------


def access_key(
    owner: Identity,
    key_id: str = "AKIAQXAMPLEKEY000001",
    *,
    created: datetime | None = None,
    last_used: datetime | None = None,
    last_used_service: str = "",
    expires: datetime | None = None,
    active: bool = True,
    kind: str = "access_key",
    service_name: str = "",
    usage_visible: bool = True,
) -> Credential:
    """An access key (or, with `kind`, another credential) of `owner`."""
    prefix = {"access_key": "access-key", "service_specific": "service-specific"}.get(kind, kind)
    return Credential(
        uid=f"aws:{prefix}:{key_id}",
        identity_uid=owner.uid,
        provider=owner.provider,
        scope=owner.scope,
        kind=kind,
        native_id=key_id,
        service=service_name,
        created_at=created if created is not None else days_ago(10),
        expires_at=expires,
        last_used_at=last_used,
        last_used_service=last_used_service,
        usage_visible=usage_visible,
        active=active,
    )


def bedrock_api_key(
    owner: Identity,
    cred_id: str = "ACCAQXAMPLEBEDROCK01",
    *,
    created: datetime | None = None,
    expires: datetime | None = None,
    active: bool = True,
) -> Credential:
    """A Bedrock long-term API key: a service-specific credential whose use AWS never reports."""
    return access_key(
        owner,
        cred_id,
        created=created,
        expires=expires,
        active=active,
        kind="service_specific",
        service_name="bedrock.amazonaws.com",
        usage_visible=False,
    )


def workload(
    runs_as: Identity,
    kind: str = "bedrock-agent",
    name: str = "invoice-agent",
    *,
    env: Iterable[str] = (),
    region: str = "us-east-1",
) -> Workload:
    """A runtime acting as `runs_as`."""
    arn = f"arn:aws:{kind}:{region}:{runs_as.scope}:{name}"
    return Workload(
        uid=f"aws:{kind}:{arn}",
        provider="aws",
        kind=kind,
        scope=runs_as.scope,
        name=name,
        runs_as_uid=runs_as.uid,
        region=region,
        native_ids=(arn,),
        env_var_names=tuple(env),
    )


# --- coverage -------------------------------------------------------------------------------------------------------


def gap(
    *facets: Facet,
    scope: str = ACCOUNT,
    resource: str = "iam:GetAccountAuthorizationDetails",
    reason: GapReason = GapReason.DENIED,
    subject: Identity | str | None = None,
    region: str = "",
    detail: str = "AccessDenied: not authorized",
    provider: str = "aws",
    target: str = "",
) -> Gap:
    """A gap hiding `facets` (the whole scope when none are given)."""
    subject_uid = subject.uid if isinstance(subject, Identity) else subject
    return Gap(
        provider=provider,
        scope=scope,
        resource=resource,
        reason=reason,
        detail=detail,
        subject_uid=subject_uid,
        facets=frozenset(facets or (Facet.SCOPE,)),
        region=region,
        target=target,
    )


def scanned(*scopes: str, provider: str = "aws", api_calls: int = 7) -> list[ScopeReport]:
    """ScopeReports saying these scopes were visited (default: the main account)."""
    return [
        ScopeReport(provider=provider, connector=provider, scope=scope, api_calls=api_calls)
        for scope in scopes or (ACCOUNT,)
    ]


# --- registry -------------------------------------------------------------------------------------------------------


def record(
    id: str = "invoice-reconciler",
    *identities: Identity | str,
    owner: str = "jane.doe@example.com",
    purpose: str = "Reconcile supplier invoices",
    status: str | AgentStatus = AgentStatus.ACTIVE,
    expires: date | None = None,
    retired_on: date | None = None,
    allowed: Iterable[str] | None = None,
) -> AgentRecord:
    """A registry record naming identities by Identity (its ARN) or by any identifier string."""
    names = tuple(i.native_ids[0] if isinstance(i, Identity) else i for i in identities)
    status = AgentStatus(status)
    if status is AgentStatus.RETIRED and retired_on is None:
        retired_on = TODAY - timedelta(days=30)
    return AgentRecord(
        id=id,
        owner=owner,
        purpose=purpose,
        status=status,
        identities=names,
        expires=expires,
        retired_on=retired_on,
        allowed_permissions=tuple(allowed) if allowed is not None else None,
    )


# --- evaluation -----------------------------------------------------------------------------------------------------


@dataclass
class Evaluation:
    """What scanner.engine.evaluate returned, with findings grouped by rule."""

    index: RecordIndex
    graph: nx.MultiDiGraph
    coverage: Coverage
    verdicts: dict[str, Verdict]
    matches: dict[str, AgentRecord]
    findings: list[Finding]
    evaluated: Counter[str]
    by_rule: dict[str, list[Finding]] = field(default_factory=dict)

    def rule(self, rule_id: str) -> list[Finding]:
        """Findings of one rule (empty when it found nothing)."""
        return self.by_rule.get(rule_id, [])


def run(
    records: Iterable[Record],
    registry: Registry | Iterable[AgentRecord] = (),
    *,
    now: datetime = NOW,
    settings: ScanSettings | None = None,
) -> Evaluation:
    """Run the pure half of a scan on hand-built records with a fixed clock."""
    reg = registry if isinstance(registry, Registry) else Registry(list(registry))
    index, graph, coverage, verdicts, matches, findings, evaluated = evaluate(
        list(records), settings or ScanSettings(), reg, now
    )
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[finding.rule].append(finding)
    return Evaluation(
        index=index,
        graph=graph,
        coverage=coverage,
        verdicts=verdicts,
        matches=matches,
        findings=findings,
        evaluated=evaluated,
        by_rule=dict(grouped),
    )
