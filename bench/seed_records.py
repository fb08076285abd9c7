"""Synthetic scanner records at any size: the mix a large estate gives the engine, without a connector.

Scopes hold 1,000 identities each (AWS accounts 60%, Entra tenants 25%, GCP projects 15%), shaped as the
connectors emit them. Per identity there are about three edges' worth of relations: credentials, grants with
statements, trusts, owners and workloads. About 5% of identities carry AI evidence (Bedrock trust and agents,
Bedrock API keys, Entra agent identities, Vertex roles); a fifth of the AI roles also hold administrator access,
and about 1 role in 8 trusts its account, so the privilege-path rule and the CAN_ASSUME correlator have work to do.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.seed_policies import ROLE_POLICY_MIX, policy_documents
from connectors.aws.normalize import PolicyBook
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

PER_SCOPE = 1_000
AI_SHARE = 0.05
NOW = datetime(2026, 11, 1, tzinfo=UTC)
AWS_POLICY = "arn:aws:iam::aws:policy/"
Spec = tuple[tuple[Effect, tuple[str, ...], tuple[str, ...]], ...]

_ALL = ("*",)
_INLINE: tuple[Spec, ...] = (
    ((Effect.ALLOW, ("s3:GetObject", "s3:PutObject"), ("arn:aws:s3:::data-{n}/*",)),),
    ((Effect.ALLOW, ("sqs:SendMessage", "sqs:ReceiveMessage"), ("arn:aws:sqs:us-east-1:{a}:q-{n}",)),),
    ((Effect.ALLOW, ("sts:AssumeRole",), ("arn:aws:iam::{a}:role/*",)), (Effect.DENY, ("iam:*",), _ALL)),
    ((Effect.ALLOW, ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"), _ALL),),
)
_GCP_ROLES = ("roles/storage.objectViewer", "roles/pubsub.publisher", "roles/bigquery.dataViewer")
_ROLE_SERVICES = ("lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com")
_GITHUB = Trust(
    kind=TrustKind.FEDERATED,
    principal="token.actions.githubusercontent.com",
    action="sts:AssumeRoleWithWebIdentity",
    conditions=("StringLike token.actions.githubusercontent.com:sub = repo:acme/*",),
    subjects=("repo:acme/*",),
)


def _statements(spec: Spec, **fill: object) -> tuple[Statement, ...]:
    """Fresh Statement objects per grant, as a connector parses each attachment (strings shared, as there)."""
    return tuple(
        Statement(effect=effect, actions=actions, resources=tuple(r.format(**fill) for r in res) if fill else res)
        for effect, actions, res in spec
    )


def _sp_id(scope: int, i: int) -> str:
    """The object id of synthetic Entra service principal `i` of scope number `scope`."""
    return f"{scope:08x}-0000-4000-8000-{i:012x}"


class _Scope:
    """Builds the records of one scope; the shared `rng` makes every run identical."""

    def __init__(self, number: int, rng: random.Random, documents: dict[str, Any]) -> None:
        self.rng, self.n = rng, number
        # One book per account, as the AWS connector keeps, with the default version GAAD reports for each policy.
        arns = {AWS_POLICY + name: doc for name, doc in documents.items()}
        self.book = PolicyBook(documents=arns, versions=dict.fromkeys(arns, "v1"))
        kind = number % 20
        self.provider = "aws" if kind < 12 else ("entra" if kind < 17 else "gcp")
        self.scope = f"{100000000000 + number:012d}" if self.provider == "aws" else f"{self.provider}-{number}"

    def ago(self, low: int, high: int) -> datetime:
        return NOW - timedelta(days=self.rng.randint(low, high), seconds=self.rng.randint(0, 86_399))

    def maybe_ago(self, share: float, low: int, high: int) -> datetime | None:
        return self.ago(low, high) if self.rng.random() < share else None

    def ident(self, **kw: Any) -> Identity:
        return Identity(provider=self.provider, scope=self.scope, created_at=self.ago(30, 1500), **kw)

    def cred(self, **kw: Any) -> Credential:
        return Credential(provider=self.provider, scope=self.scope, created_at=self.ago(10, 900), **kw)

    def grant(self, **kw: Any) -> Grant:
        return Grant(provider=self.provider, scope=self.scope, **kw)

    def records(self, count: int) -> Iterator[Record]:
        make = {"aws": self._aws, "entra": self._entra, "gcp": self._gcp}[self.provider]
        for i in range(count):
            yield from make(i, self.rng.random() < AI_SHARE)
        if self.n % 50 == 7:  # a denied read here and there, as real scans have
            yield Gap(
                provider=self.provider,
                scope=self.scope,
                resource="iam:GetCredentialReport",
                reason=GapReason.DENIED,
                detail="AccessDenied",
                facets=frozenset({Facet.IDENTITY_USAGE}),
            )
        yield ScopeReport(provider=self.provider, connector=self.provider, scope=self.scope, api_calls=12 + count // 40)

    # AWS: roles (75%) and users with keys (25%)

    def _aws(self, i: int, ai: bool) -> Iterator[Record]:
        if i % 4 == 3:
            yield from self._aws_user(i, ai)
            return
        arn = f"arn:aws:iam::{self.scope}:role/{'agent' if ai else 'svc'}-{self.n}-{i}"
        uid = f"aws:role:{arn}"
        roll = self.rng.random()
        if ai:
            trust = Trust(kind=TrustKind.SERVICE, principal="bedrock.amazonaws.com", action="sts:AssumeRole")
        elif roll < 0.12:
            trust = Trust(kind=TrustKind.ACCOUNT, principal=self.scope, action="sts:AssumeRole")
        elif roll < 0.17:
            trust = _GITHUB
        elif roll < 0.19:
            trust = self._entra_federation(i)
        else:
            trust = Trust(kind=TrustKind.SERVICE, principal=self.rng.choice(_ROLE_SERVICES), action="sts:AssumeRole")
        yield self.ident(
            uid=uid,
            kind="role",
            name=arn.rsplit("/", 1)[-1],
            native_ids=(arn, f"AROA{self.n:08d}{i:08d}"),
            last_used_at=self.maybe_ago(0.7, 0, 400),
            tags={"team": f"team-{i % 17}"} if i % 3 else {},
            trusts=(trust,),
            attributes={"path": "/", "service_linked": False, "last_used_region": "us-east-1"},
        )
        mix = ROLE_POLICY_MIX
        policies = ["AmazonBedrockFullAccess"] if ai else self.rng.choices(list(mix), list(mix.values()))
        deployer = trust.kind is TrustKind.FEDERATED and trust.principal.startswith("sts.windows.net/")
        if self.rng.random() < (0.2 if ai else 0.3 if deployer else 0.01):  # cross-cloud deployers: often admin
            policies.append("AdministratorAccess")
        for name in policies:
            yield self._managed(uid, name)
        inline = _INLINE[3] if ai else _INLINE[2] if self.rng.random() < 0.03 else self.rng.choice(_INLINE[:2])
        yield self._inline(uid, f"inline-{i}", inline, i)
        if ai or self.rng.random() < 0.2:
            kind = "bedrock-agent" if ai else "lambda-function"
            yield Workload(
                uid=f"aws:{kind}:{arn}-wl",
                provider="aws",
                kind=kind,
                scope=self.scope,
                name=f"wl-{self.n}-{i}",
                runs_as_uid=uid,
                region="us-east-1",
                native_ids=(f"{arn}-wl",),
                env_var_names=("OPENAI_API_KEY", "LOG_LEVEL") if ai and i % 2 else ("LOG_LEVEL",),
            )

    def _entra_federation(self, i: int) -> Trust:
        """Trust in tokens an Entra tenant issues to one service principal of a nearby Entra scope: across clouds."""
        entra_scope = self.n // 20 * 20 + 12 + i % 5  # scopes 12-16 of every 20 are Entra tenants
        sp = _sp_id(entra_scope, (i * 31 + 3) % PER_SCOPE)
        issuer = f"sts.windows.net/{entra_scope:08x}-0000-4000-8000-000000000000/"
        return Trust(
            kind=TrustKind.FEDERATED,
            principal=issuer,  # as the AWS connector reads it from the OIDC provider ARN
            action="sts:AssumeRoleWithWebIdentity",
            conditions=(f"StringEquals {issuer}:aud = {sp}",),
        )

    def _aws_user(self, i: int, ai: bool) -> Iterator[Record]:
        arn = f"arn:aws:iam::{self.scope}:user/{'BedrockAPIKey-' if ai else 'ci-'}{self.n}-{i}"
        uid = f"aws:user:{arn}"
        yield self.ident(
            uid=uid,
            kind="user",
            name=arn.rsplit("/", 1)[-1],
            native_ids=(arn, f"AIDA{self.n:08d}{i:08d}"),
            last_used_at=self.ago(0, 500),
            human=self.rng.random() < 0.1,
            attributes={"path": "/", "groups": ["deployers"]},
        )
        for k in range(1 if self.rng.random() < 0.7 else 2):
            key = f"AKIA{self.n:06d}{i:06d}{k:04d}"
            used = self.maybe_ago(0.8, 0, 300)
            yield self.cred(
                uid=f"aws:access-key:{key}",
                identity_uid=uid,
                kind="access_key",
                native_id=key,
                last_used_at=used,
                last_used_service=("bedrock" if ai else "s3") if used else "",
            )
        if ai:
            key = f"ACCA{self.n:06d}{i:06d}"
            yield self.cred(
                uid=f"aws:service-specific:{key}",
                identity_uid=uid,
                kind="service_specific",
                native_id=key,
                service="bedrock.amazonaws.com",
                usage_visible=False,
            )
        yield self._managed(uid, "AmazonBedrockFullAccess" if ai else "AmazonS3ReadOnlyAccess", "group-policy")

    def _managed(self, subject: str, name: str, kind: str = "managed-policy") -> Grant:
        arn = AWS_POLICY + name
        stmts, patterns = self.book.parsed(arn)
        return self.grant(
            uid=f"{subject}|{kind}||{arn}",
            subject_uid=subject,
            kind=kind,
            target=arn,
            name=f"managed policy {name}",
            permissions=patterns,
            statements=stmts,
            attributes={"policy_arn": arn, "group": ""},
        )

    def _inline(self, subject: str, name: str, spec: Spec, i: int) -> Grant:
        stmts = _statements(spec, n=i, a=self.scope)
        return self.grant(
            uid=f"{subject}|inline-policy||{name}",
            subject_uid=subject,
            kind="inline-policy",
            target=f"{subject}#{name}",
            name=f"inline policy {name}",
            permissions=tuple(a for s in stmts if s.effect is Effect.ALLOW for a in s.actions),
            statements=stmts,
            attributes={"policy_name": name, "group": ""},
        )

    # Entra: service principals with a secret or certificate, an app role, and owners

    def _entra(self, i: int, ai: bool) -> Iterator[Record]:
        sp_id = _sp_id(self.n, i)
        uid = f"entra:sp:{sp_id}"
        owner = f"entra:sp:{_sp_id(self.n, (i * 7 + 1) % PER_SCOPE)}"
        odata = "#microsoft.graph.agentIdentity" if ai else "#microsoft.graph.servicePrincipal"
        yield self.ident(
            uid=uid,
            kind="agent_identity" if ai else "service_principal",
            name=f"{'Copilot agent' if ai else 'app'} {self.n}-{i}",
            native_ids=(sp_id, f"app-{self.n}-{i}"),
            last_used_at=self.maybe_ago(0.6, 0, 300),
            owners=(owner,) if i % 3 == 0 else (),
            attributes={"app_id": f"app-{self.n}-{i}", "odata_type": odata, "domains": [], "publisher": ""},
        )
        kind = "secret" if i % 2 else "certificate"
        yield self.cred(
            uid=f"entra:{kind}:{sp_id}-k",
            identity_uid=uid,
            kind=kind,
            native_id=f"{sp_id}-k",
            expires_at=NOW + timedelta(days=self.rng.randint(-30, 700)),
            usage_visible=False,
        )
        yield self.grant(
            uid=f"entra:app-role:{sp_id}-r",
            subject_uid=uid,
            kind="app-role",
            target="Microsoft Graph",
            name="Microsoft Graph User.Read.All",
            permissions=("User.Read.All",),
            attributes={"resource_app_id": "00000003-0000-0000-c000-000000000000"},
        )

    # GCP: service accounts with a key, a role binding, and now and then an impersonation trust

    def _gcp(self, i: int, ai: bool) -> Iterator[Record]:
        email = f"{'agent' if ai else 'sa'}-{i}@{self.scope}.iam.gserviceaccount.com"
        other = f"serviceAccount:sa-{(i * 13 + 5) % PER_SCOPE}@{self.scope}.iam.gserviceaccount.com"
        impersonation = Trust(kind=TrustKind.PRINCIPAL, principal=other, action="roles/iam.serviceAccountTokenCreator")
        yield self.ident(
            uid=f"gcp:service_account:{self.n:06d}{i:06d}",
            kind="service_account",
            name=email,
            native_ids=(email, f"{self.n:06d}{i:06d}", f"serviceAccount:{email}"),
            trusts=(impersonation,) if i % 4 == 0 else (),
            attributes={"display_name": email, "project_number": str(self.n)},
        )
        if i % 2 == 0:
            key = f"{self.n:06x}{i:06x}key"
            yield self.cred(
                uid=f"gcp:sa-key:{key}",
                identity_uid=email,
                kind="access_key",
                native_id=key,
                last_used_at=self.maybe_ago(0.7, 0, 200),
            )
        role = "roles/aiplatform.user" if ai else self.rng.choice(_GCP_ROLES)
        yield self.grant(
            uid=f"gcp:binding:projects/{self.scope}|{role}|serviceAccount:{email}",
            subject_uid=f"serviceAccount:{email}",
            kind="role-binding",
            target=f"projects/{self.scope}",
            name=role,
            permissions=(role,),
            attributes={"role": role},
        )


def synthetic_records(identities: int, seed: int = 7, real_policies: bool = True) -> list[Record]:
    """`identities` identities in scopes of 1,000, with their relations; deterministic for a seed.

    `real_policies` off attaches small stand-ins (two actions each) instead of the real AWS managed documents.
    """
    rng = random.Random(seed)
    documents = policy_documents(real_policies)
    records: list[Record] = []
    number = 0
    while identities > 0:
        count = min(PER_SCOPE, identities)
        records.extend(_Scope(number, rng, documents).records(count))
        identities -= count
        number += 1
    return records
