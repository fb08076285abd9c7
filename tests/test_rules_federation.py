"""The unconstrained-federation rule: a shared issuer trusted for any subject, across providers."""

from __future__ import annotations

import pytest
from builders import grant, oidc, role, run, scanned

from scanner.model import Trust, TrustKind

GITHUB = "token.actions.githubusercontent.com"


@pytest.mark.parametrize(
    ("trust", "admin", "expected"),
    [
        pytest.param(oidc(GITHUB), False, ("fail", "high"), id="github-any-repo"),
        pytest.param(oidc(GITHUB), True, ("fail", "critical"), id="github-any-repo-admin"),
        pytest.param(oidc(GITHUB, "repo:acme/infra:ref:refs/heads/main"), True, None, id="github-one-repo"),
        pytest.param(oidc("oidc.eks.eu-west-1.amazonaws.com/id/ABC"), False, None, id="private-cluster-issuer"),
        pytest.param(
            Trust(
                kind=TrustKind.FEDERATED,
                principal="token.actions.githubusercontent.com",
                action="roles/iam.workloadIdentityUser",
            ),
            False,
            ("fail", "high"),
            id="gcp-pool-without-attribute-condition",
        ),
        pytest.param(
            Trust(
                kind=TrustKind.FEDERATED,
                principal="token.actions.githubusercontent.com",
                action="roles/iam.workloadIdentityUser",
                conditions=("attributeCondition: assertion.repository_owner == 'acme'",),
                subjects=("assertion.repository_owner == 'acme'",),
            ),
            False,
            None,
            id="gcp-pool-with-condition",
        ),
    ],
)
def test_unconstrained_federation(trust: Trust, admin: bool, expected: tuple[str, str] | None) -> None:
    ci = role("ci-deployer", trusts=[trust])
    records = [*scanned(), ci] + ([grant(ci, "*")] if admin else [])
    found = run(records).rule("unconstrained-federation")
    if expected is None:
        assert found == []
        return
    (finding,) = found
    assert (finding.status.value, finding.severity.label) == expected
    assert finding.identity_uid == ci.uid and trust.principal in finding.evidence[0]
    assert any("administrator" in line for line in finding.evidence) is admin
