"""Federation weaknesses: trusting a shared identity provider for any of its subjects."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.config import Severity
from scanner.model import TrustKind
from scanner.rules import Finding, Rule, RuleContext, rule

# Issuers shared by everyone on a platform: without a subject condition, any of their users can federate in.
SHARED_ISSUERS = frozenset(
    {
        "token.actions.githubusercontent.com",
        "gitlab.com",
        "app.terraform.io",
        "oidc.circleci.com",
        "api.bitbucket.org",
        "accounts.google.com",
        "oidc.eks.amazonaws.com",
    }
)


def _shared(issuer: str) -> bool:
    host = issuer.removeprefix("https://").split("/", 1)[0].lower()
    return host in SHARED_ISSUERS or host.endswith(".oidc.circleci.com")


@rule(
    id="unconstrained-federation",
    title="Identity trusts a shared identity provider without restricting the subject",
    severity=Severity.HIGH,
    remediation="Add a subject (or attribute) condition that names your repository, project or workspace, "
    "e.g. sub = repo:ORG/REPO:ref:refs/heads/main, or assertion.repository_owner == 'ORG'.",
    description="A FEDERATES_FROM trust on a shared issuer (GitHub, GitLab, Terraform Cloud...) with no subject limit.",
)
def unconstrained_federation(ctx: RuleContext, self: Rule) -> Iterator[Finding]:
    for ident in ctx.index.identities.values():
        for trust in ident.trusts:
            if trust.kind is not TrustKind.FEDERATED or not _shared(trust.principal):
                continue
            ctx.evaluated[self.id] += 1
            if trust.subjects:
                continue
            evidence = [
                f"{ident.kind} {ident.name} trusts tokens from {trust.principal} ({trust.action}) with no subject "
                "condition: anyone on that platform can obtain its access"
            ]
            evidence += [f"condition: {c}" for c in trust.conditions]
            admin = ctx.index.contexts[ident.uid].policy.admin()
            if admin:
                evidence.append(f"{ident.name} is administrator-equivalent: {admin[0]}")
            record = ctx.matches.get(ident.uid)
            yield self.finding(
                key=(ident.uid, trust.principal, trust.action),
                identity=ident,
                registry_id=record.id if record else None,
                evidence=evidence,
                severity=Severity.CRITICAL if admin else self.severity,
            )
