"""Pure IAM policy and trust parsing: dict, JSON and URL-encoded documents, NotAction/NotResource, every trust shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from builders import ACCOUNT, role

from connectors.aws.policy import allowed_patterns, load_document, statements, trusts
from scanner.model import Grant, Statement, TrustKind
from scanner.permissions import allows

FIXTURES = Path(__file__).parent / "fixtures" / "aws"

DOC: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Invoke", "Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:Converse"], "Resource": "*"},
        {"Sid": "NoIam", "Effect": "Deny", "Action": "iam:*", "Resource": "*"},
    ],
}


def _grant(stmts: tuple[Statement, ...], name: str = "doc") -> Grant:
    subject = role("policy-subject")
    return Grant(
        uid=f"{subject.uid}|inline-policy|{name}",
        subject_uid=subject.uid,
        provider="aws",
        scope=ACCOUNT,
        kind="inline-policy",
        target=name,
        name=name,
        statements=stmts,
    )


def _norm(stmts: tuple[Statement, ...]) -> list[tuple[str, list[str], list[str], list[str], bool]]:
    """Statements compared case-insensitively on actions (IAM action names are case-insensitive)."""
    return [
        (
            st.effect.value,
            [a.lower() for a in st.actions],
            [a.lower() for a in st.not_actions],
            list(st.resources),
            st.conditional,
        )
        for st in stmts
    ]


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(DOC, id="decoded-dict"),
        pytest.param(json.dumps(DOC), id="json-string"),
        pytest.param("  \n" + json.dumps(DOC, indent=2), id="json-string-leading-whitespace"),
        pytest.param(quote(json.dumps(DOC), safe=""), id="url-encoded-string"),
        pytest.param(quote(json.dumps(DOC, indent=4), safe=""), id="url-encoded-pretty-printed"),
    ],
)
def test_statements_from_every_document_form(document: Any) -> None:
    assert _norm(statements(document)) == [
        ("Allow", ["bedrock:invokemodel", "bedrock:converse"], [], ["*"], False),
        ("Deny", ["iam:*"], [], ["*"], False),
    ]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        pytest.param(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
            ("Allow", ["s3:getobject"], [], ["arn:aws:s3:::b/*"], False),
            id="single-action-and-resource-strings",
        ),
        pytest.param(
            {"Effect": "Allow", "Action": "s3:GetObject"},
            ("Allow", ["s3:getobject"], [], ["*"], False),
            id="missing-resource-is-every-resource",
        ),
        pytest.param(
            {"Effect": "allow", "Action": ["S3:GetObject"], "Resource": ["arn:aws:s3:::a", "arn:aws:s3:::b"]},
            ("Allow", ["s3:getobject"], [], ["arn:aws:s3:::a", "arn:aws:s3:::b"], False),
            id="lower-case-effect-and-resource-list",
        ),
        pytest.param(
            {"Effect": "DENY", "Action": "s3:*", "Resource": "*"},
            ("Deny", ["s3:*"], [], ["*"], False),
            id="deny-any-case",
        ),
        pytest.param(
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
            ("Allow", ["s3:*"], [], ["*"], True),
            id="condition-makes-it-conditional",
        ),
        pytest.param(
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {}},
            ("Allow", ["s3:*"], [], ["*"], False),
            id="empty-condition-is-unconditional",
        ),
        pytest.param(
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"},
            ("Allow", [], ["iam:*", "organizations:*"], ["*"], False),
            id="not-action",
        ),
        pytest.param(
            {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::vault/*"},
            ("Allow", ["s3:*"], [], ["*"], False),
            id="allow-not-resource-counts-as-every-resource",
        ),
    ],
)
def test_statement_shapes(statement: dict[str, Any], expected: tuple[Any, ...]) -> None:
    single = statements({"Version": "2012-10-17", "Statement": statement})
    listed = statements({"Version": "2012-10-17", "Statement": [statement]})
    assert _norm(single) == _norm(listed) == [expected]


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(None, id="none"),
        pytest.param(42, id="number"),
        pytest.param("[1, 2]", id="json-list"),
        pytest.param(quote("[]"), id="url-encoded-list"),
        pytest.param({"Version": "2012-10-17"}, id="no-statement"),
        pytest.param({"Statement": ["not-a-mapping", 7]}, id="junk-statements"),
    ],
)
def test_documents_without_statements_give_none(document: Any) -> None:
    assert statements(document) == ()
    assert trusts(document) == ()


def test_load_document_returns_a_copy_of_a_mapping() -> None:
    loaded = load_document(DOC)
    assert loaded == DOC and loaded is not DOC


def test_deny_with_not_resource_does_not_deny_the_excluded_resources() -> None:
    # BUG: NotResource becomes ("*",) for a Deny too, so "deny everything except app-* roles" turns into
    # "deny on every resource", and the identity loses the access it really keeps (missed privilege paths).
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "NotResource": f"arn:aws:iam::{ACCOUNT}:role/app-*"},
        ],
    }
    grants = [_grant(statements(doc))]
    assert allows(grants, "iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/app-worker") is not None
    assert allows(grants, "s3:GetObject", "arn:aws:s3:::any/thing") is not None


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param(DOC, ("bedrock:invokemodel", "bedrock:converse"), id="deny-not-shown"),
        pytest.param(
            {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}, ("*",), id="not-action-as-star"
        ),
        pytest.param(
            {
                "Statement": [
                    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"]},
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
                ]
            },
            ("s3:getobject", "s3:listbucket"),
            id="deduplicated-in-order",
        ),
    ],
)
def test_allowed_patterns(document: Any, expected: tuple[str, ...]) -> None:
    assert tuple(p.lower() for p in allowed_patterns(statements(document))) == expected


# --- trust policies -------------------------------------------------------------------------------------------------


def _trust_doc(principal: Any, action: Any = "sts:AssumeRole", condition: Any = None, effect: str = "Allow") -> Any:
    st: dict[str, Any] = {"Effect": effect, "Principal": principal, "Action": action}
    if condition is not None:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


GITHUB = "token.actions.githubusercontent.com"
GITHUB_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB}"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param(
            _trust_doc({"Service": "bedrock.amazonaws.com"}),
            [(TrustKind.SERVICE, "bedrock.amazonaws.com")],
            id="service",
        ),
        pytest.param(
            _trust_doc({"Service": ["lambda.amazonaws.com", "bedrock-agentcore.amazonaws.com"]}),
            [(TrustKind.SERVICE, "lambda.amazonaws.com"), (TrustKind.SERVICE, "bedrock-agentcore.amazonaws.com")],
            id="service-list",
        ),
        pytest.param(_trust_doc({"AWS": "444455556666"}), [(TrustKind.ACCOUNT, "444455556666")], id="bare-account-id"),
        pytest.param(
            _trust_doc({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), [(TrustKind.ACCOUNT, ACCOUNT)], id="account-root-arn"
        ),
        pytest.param(
            _trust_doc({"AWS": "arn:aws-us-gov:iam::123456789012:root"}),
            [(TrustKind.ACCOUNT, "123456789012")],
            id="root-arn-other-partition",
        ),
        pytest.param(
            _trust_doc({"AWS": f"arn:aws:iam::{ACCOUNT}:role/invoice-reconciler"}),
            [(TrustKind.PRINCIPAL, f"arn:aws:iam::{ACCOUNT}:role/invoice-reconciler")],
            id="role-arn",
        ),
        pytest.param(
            _trust_doc({"AWS": [f"arn:aws:iam::{ACCOUNT}:user/alice", "AROAQXAMPLEDELETED01"]}),
            [
                (TrustKind.PRINCIPAL, f"arn:aws:iam::{ACCOUNT}:user/alice"),
                (TrustKind.PRINCIPAL, "AROAQXAMPLEDELETED01"),
            ],
            id="user-arn-and-unique-id-of-a-deleted-principal",
        ),
        pytest.param(_trust_doc("*"), [(TrustKind.ANYONE, "*")], id="star-string"),
        pytest.param(_trust_doc({"AWS": "*"}), [(TrustKind.ANYONE, "*")], id="aws-star"),
        pytest.param(
            _trust_doc({"Federated": GITHUB_ARN}, "sts:AssumeRoleWithWebIdentity"),
            [(TrustKind.FEDERATED, GITHUB)],
            id="federated-oidc-issuer-from-provider-arn",
        ),
        pytest.param(
            _trust_doc({"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"}, "sts:AssumeRoleWithSAML"),
            [(TrustKind.FEDERATED, f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta")],
            id="federated-saml-keeps-arn",
        ),
        pytest.param(
            _trust_doc({"Federated": "accounts.google.com"}, "sts:AssumeRoleWithWebIdentity"),
            [(TrustKind.FEDERATED, "accounts.google.com")],
            id="federated-bare-issuer",
        ),
        pytest.param(_trust_doc({"AWS": "*"}, effect="Deny"), [], id="deny-is-not-trust"),
        pytest.param(_trust_doc({"Service": "ec2.amazonaws.com"}, "sts:TagSession"), [], id="not-an-assume-action"),
        pytest.param(
            _trust_doc({"Service": "ec2.amazonaws.com"}, ["sts:TagSession", "sts:AssumeRole"]),
            [(TrustKind.SERVICE, "ec2.amazonaws.com")],
            id="assume-among-other-actions",
        ),
        pytest.param(_trust_doc({"AWS": "*"}, "sts:*"), [(TrustKind.ANYONE, "*")], id="sts-star-action"),
        pytest.param(_trust_doc({"CanonicalUser": "79a59df9"}), [], id="canonical-user-ignored"),
        pytest.param(
            _trust_doc({"Service": "bedrock.amazonaws.com"}, "sts:Assume*"),
            [(TrustKind.SERVICE, "bedrock.amazonaws.com")],
            # BUG: wildcard actions are valid in trust policies, but only sts:AssumeRole*, sts:* and * are recognised.
            id="wildcard-assume-action",
        ),
    ],
)
def test_trusts(document: Any, expected: list[tuple[TrustKind, str]]) -> None:
    assert [(t.kind, t.principal) for t in trusts(document)] == expected
    assert trusts(quote(json.dumps(document), safe="")) == trusts(document)


def test_federated_trust_keeps_sub_conditions_as_subjects() -> None:
    doc = _trust_doc(
        {"Federated": GITHUB_ARN},
        "sts:AssumeRoleWithWebIdentity",
        {
            "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
            "StringLike": {f"{GITHUB}:sub": ["repo:acme/infra:ref:refs/heads/main", "repo:acme/infra:environment:*"]},
        },
    )
    (trust,) = trusts(doc)
    assert trust.kind is TrustKind.FEDERATED and trust.principal == GITHUB
    assert trust.action.lower() == "sts:assumerolewithwebidentity"
    assert trust.subjects == ("repo:acme/infra:ref:refs/heads/main", "repo:acme/infra:environment:*")
    assert f"StringEquals {GITHUB}:aud = sts.amazonaws.com" in trust.conditions
    assert any(c.startswith(f"StringLike {GITHUB}:sub = repo:acme/infra:ref:refs/heads/main") for c in trust.conditions)


def test_conditions_of_non_federated_trusts_are_kept_without_subjects() -> None:
    doc = _trust_doc({"Service": "bedrock.amazonaws.com"}, condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}})
    (trust,) = trusts(doc)
    assert trust.conditions == (f"StringEquals aws:SourceAccount = {ACCOUNT}",)
    assert trust.subjects == ()


def test_every_trust_policy_of_the_gaad_fixture_parses() -> None:
    gaad = json.loads((FIXTURES / "get_account_authorization_details.json").read_text())
    parsed = {r["RoleName"]: trusts(r["AssumeRolePolicyDocument"]) for r in gaad["RoleDetailList"]}
    assert isinstance(gaad["RoleDetailList"][1]["AssumeRolePolicyDocument"], str)  # the URL-encoded variant
    assert [(t.kind, t.principal, t.subjects) for t in parsed["gh-deployer"]] == [
        (TrustKind.FEDERATED, GITHUB, ("repo:acme/infra:ref:refs/heads/main", "repo:acme/infra:environment:prod"))
    ]
    assert [(t.kind, t.principal) for t in parsed["ops-admin"]] == [
        (TrustKind.ACCOUNT, ACCOUNT),
        (TrustKind.ACCOUNT, "444455556666"),
    ]
    assert [(t.kind, t.principal) for t in parsed["support-router"]] == [
        (TrustKind.SERVICE, "lambda.amazonaws.com"),
        (TrustKind.PRINCIPAL, f"arn:aws:iam::{ACCOUNT}:role/invoice-reconciler"),
    ]
    assert [(t.kind, t.principal) for t in parsed["open-relay"]] == [(TrustKind.ANYONE, "*")]
    assert all(t.kind is TrustKind.SERVICE for t in parsed["invoice-reconciler"])
