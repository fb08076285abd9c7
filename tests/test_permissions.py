"""Effective permissions: wildcards, Deny, NotAction, conditions, permissions boundaries and admin-equivalence."""

from __future__ import annotations

from dataclasses import replace

import pytest
from builders import boundary, grant, role, statement

from scanner.model import Grant
from scanner.permissions import (
    PRIVILEGE_GRANTING_ACTIONS,
    PolicySet,
    admin_equivalent,
    allows,
    covers,
    effective_actions,
    held_actions,
    held_patterns,
    matches,
)

SUBJECT = role("perm-subject")

# The IAM writes that let a principal grant itself more privilege, spelled as the IAM reference spells them.
PRIVILEGE_WRITES = (
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:UpdateAssumeRolePolicy",
    "iam:AddUserToGroup",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
)


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        pytest.param("s3:*", "s3:GetObject", True, id="service-wildcard-covers-action"),
        pytest.param("s3:GetObject", "s3:*", False, id="action-does-not-cover-service-wildcard"),
        pytest.param("S3:GETOBJECT", "s3:getobject", True, id="case-insensitive-outer"),
        pytest.param("s3:getobject", "S3:GetObject", True, id="case-insensitive-inner"),
        pytest.param("s3:Get*", "s3:GetObjectAcl", True, id="prefix-wildcard"),
        pytest.param("s3:Get*", "s3:PutObject", False, id="prefix-wildcard-other-verb"),
        pytest.param("s3:*Object", "s3:GetObject", True, id="infix-wildcard"),
        pytest.param("s3:GetObjec?", "s3:GetObject", True, id="single-char-wildcard"),
        pytest.param("s3:GetObjec?", "s3:GetObjectAcl", False, id="single-char-wildcard-is-one-char"),
        pytest.param("*", "iam:PassRole", True, id="star-covers-everything"),
        pytest.param("iam:*", "iam:Get*", True, id="wider-wildcard-covers-narrower"),
        pytest.param("iam:Get*", "iam:*", False, id="narrower-wildcard-not-wider"),
        pytest.param("s3:*", "s3express:CreateSession", False, id="namespace-is-not-a-prefix"),
        pytest.param("s3:*", "*", False, id="service-wildcard-not-star"),
        # Regression: `?` once matched the literal `*` of the inner pattern, yet s3:GetObjec* names s3:GetObjectAcl.
        pytest.param("s3:GetObjec?", "s3:GetObjec*", False, id="single-char-does-not-cover-wildcard"),
    ],
)
def test_covers(outer: str, inner: str, expected: bool) -> None:
    assert covers(outer, inner) is expected


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        pytest.param("arn:aws:iam::*:role/ops-*", "arn:aws:iam::111122223333:role/ops-admin", True, id="arn-wildcards"),
        pytest.param("arn:aws:iam::*:role/ops-*", "arn:aws:iam::111122223333:role/dev-admin", False, id="arn-miss"),
        pytest.param("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b\nc", True, id="star-spans-newlines"),
        pytest.param("arn:aws:s3:::b?cket", "arn:aws:s3:::bucket", True, id="question-mark"),
        pytest.param("arn:aws:s3:::bucket", "arn:aws:s3:::bucket2", False, id="anchored-at-end"),
        pytest.param("a.c", "abc", False, id="regex-metacharacters-are-literal"),
    ],
)
def test_matches(pattern: str, value: str, expected: bool) -> None:
    assert matches(pattern, value) is expected


# --- Deny, NotAction and conditions -----------------------------------------------------------------------------------

DENY_CASES = [
    pytest.param(
        [grant(SUBJECT, "s3:*"), grant(SUBJECT, "s3:*", effect="Deny", name="deny-s3")],
        [],
        id="deny-removes-same-pattern",
    ),
    pytest.param(
        [grant(SUBJECT, "s3:GetObject"), grant(SUBJECT, "s3:*", effect="Deny", name="deny-s3")],
        [],
        id="wider-deny-removes-narrower-allow",
    ),
    pytest.param(
        [grant(SUBJECT, "s3:GetObject", "ec2:DescribeInstances"), grant(SUBJECT, "S3:*", effect="Deny", name="d")],
        ["ec2:DescribeInstances"],
        id="deny-keeps-other-services-case-insensitively",
    ),
    pytest.param(
        [grant(SUBJECT, "s3:*"), grant(SUBJECT, "s3:*", effect="Deny", conditional=True, name="deny-if")],
        ["s3:*"],
        id="conditional-deny-does-not-subtract",
    ),
    pytest.param(
        [grant(SUBJECT, "s3:*"), grant(SUBJECT, "s3:*", effect="Deny", resources=["arn:aws:s3:::vault"], name="d")],
        ["s3:*"],
        id="resource-scoped-deny-does-not-subtract-everywhere",
    ),
    pytest.param(
        [grant(SUBJECT, "s3:*"), grant(SUBJECT, "s3:DeleteObject", effect="Deny", name="d")],
        ["s3:*"],
        id="narrower-deny-leaves-wider-pattern",
    ),
]


@pytest.mark.parametrize(("grants", "expected"), DENY_CASES)
def test_held_patterns_subtract_unconditional_denies(grants: list, expected: list[str]) -> None:
    assert [p.lower() for p in held_patterns(grants)] == [p.lower() for p in expected]


@pytest.mark.parametrize(
    ("grants", "action", "resource", "allowed"),
    [
        pytest.param([grant(SUBJECT, "s3:*")], "s3:GetObject", "*", True, id="wildcard-allows"),
        pytest.param([grant(SUBJECT, "s3:GetObject")], "s3:PutObject", "*", False, id="other-action"),
        pytest.param([grant(SUBJECT, "S3:GETOBJECT")], "s3:getObject", "*", True, id="case-insensitive"),
        pytest.param(
            [grant(SUBJECT, "s3:*"), grant(SUBJECT, "s3:DeleteObject", effect="Deny", name="d")],
            "s3:DeleteObject",
            "*",
            False,
            id="deny-subtracts-one-action",
        ),
        pytest.param(
            [grant(SUBJECT, "s3:*"), grant(SUBJECT, "s3:DeleteObject", effect="Deny", name="d")],
            "s3:GetObject",
            "*",
            True,
            id="deny-leaves-the-rest",
        ),
        pytest.param(
            [grant(SUBJECT, not_actions=["iam:*"])], "s3:GetObject", "*", True, id="not-action-allows-the-rest"
        ),
        pytest.param(
            [grant(SUBJECT, not_actions=["iam:*"])], "iam:PassRole", "*", False, id="not-action-excludes-its-own"
        ),
        pytest.param(
            [grant(SUBJECT, "sts:AssumeRole", resources=["arn:aws:iam::*:role/ops-*"])],
            "sts:AssumeRole",
            "arn:aws:iam::111122223333:role/ops-admin",
            True,
            id="resource-wildcard-matches",
        ),
        pytest.param(
            [grant(SUBJECT, "sts:AssumeRole", resources=["arn:aws:iam::*:role/ops-*"])],
            "sts:AssumeRole",
            "arn:aws:iam::111122223333:role/dev-admin",
            False,
            id="resource-wildcard-misses",
        ),
        pytest.param(
            [
                grant(
                    SUBJECT,
                    statements=[statement(not_actions=["iam:*", "organizations:*"]), statement("iam:PassRole")],
                    name="PowerUserAccess",
                )
            ],
            "iam:PassRole",
            "*",
            True,
            # Regression: NotAction exclusions were keyed by grant and struck the grant's own explicit Allow.
            id="not-action-exclusion-is-per-statement",
        ),
        pytest.param(
            [
                grant(SUBJECT, "*"),
                grant(SUBJECT, "sts:AssumeRole", effect="Deny", resources=["arn:aws:iam::*:role/vault"]),
            ],
            "sts:AssumeRole",
            "arn:aws:iam::111122223333:role/vault",
            False,
            # Regression: allows() ignored every Deny not on `*`, even one naming the very resource asked about.
            id="resource-scoped-deny-on-that-resource",
        ),
    ],
)
def test_allows(grants: list, action: str, resource: str, allowed: bool) -> None:
    assert (allows(grants, action, resource) is not None) is allowed


def test_allows_prefers_an_unconditional_allow_and_names_its_grant() -> None:
    grants = [
        grant(SUBJECT, "s3:*", conditional=True, name="only-with-mfa"),
        grant(SUBJECT, "s3:GetObject", name="plain-read"),
    ]
    held = allows(grants, "s3:GetObject")
    assert held is not None
    assert (held.grant_name, held.conditional, held.pattern) == ("plain-read", False, "s3:GetObject")
    only_conditional = allows(grants, "s3:PutObject")
    assert only_conditional is not None
    assert (only_conditional.grant_name, only_conditional.conditional) == ("only-with-mfa", True)


def test_not_action_allow_is_held_as_star_and_grants_without_statements_use_permissions() -> None:
    na = grant(SUBJECT, not_actions=["iam:*"], name="not-iam")
    bare = replace(grant(SUBJECT, statements=[], name="bare"), permissions=("Bedrock:InvokeModel",))
    held = held_actions([na, bare])
    assert [(h.pattern.lower(), h.grant_name) for h in held] == [("*", "not-iam"), ("bedrock:invokemodel", "bare")]


# --- permissions boundaries -----------------------------------------------------------------------------------------


# Regression (all three rows): the boundary was once read through held_patterns(), which drops every
# permissions-boundary grant, so any boundary allowed nothing and emptied effective_actions and allows().
@pytest.mark.parametrize(
    ("grants", "inside", "outside"),
    [
        pytest.param(
            [grant(SUBJECT, "s3:GetObject", "iam:PassRole"), boundary(SUBJECT, "s3:*")],
            ["s3:GetObject"],
            ["iam:PassRole"],
            id="boundary-drops-actions-outside-it",
        ),
        pytest.param(
            [grant(SUBJECT, "*"), boundary(SUBJECT, "s3:*", "bedrock:InvokeModel")],
            ["s3:GetObject", "bedrock:InvokeModel"],
            ["iam:PassRole", "bedrock:CreateAgent"],
            # A `*` policy capped at s3:* must still hold the s3 (and listed bedrock) actions, and nothing else.
            id="boundary-caps-star-to-its-own-scope",
        ),
        pytest.param(
            [grant(SUBJECT, "bedrock:InvokeModel"), boundary(SUBJECT, "*")],
            ["bedrock:InvokeModel"],
            ["s3:GetObject"],
            id="star-boundary-keeps-everything-held",
        ),
    ],
)
def test_permissions_boundary_caps_effective_actions(grants: list, inside: list[str], outside: list[str]) -> None:
    effective = [h.pattern for h in effective_actions(grants)]
    for action in inside:
        assert any(covers(p, action) for p in effective), f"{action} missing from {effective}"
        assert allows(grants, action) is not None, action
    for action in outside:
        assert not any(covers(p, action) for p in effective), f"{action} leaked into {effective}"
        assert allows(grants, action) is None, action


def test_effective_actions_without_boundary_equal_held_actions() -> None:
    grants = [grant(SUBJECT, "s3:GetObject"), grant(SUBJECT, "bedrock:*", name="ai")]
    assert effective_actions(grants) == held_actions(grants)
    assert [h.pattern.lower() for h in effective_actions(grants)] == ["s3:getobject", "bedrock:*"]


# --- admin-equivalence ----------------------------------------------------------------------------------------------


def test_privilege_granting_list_is_the_documented_one() -> None:
    assert {a.lower() for a in PRIVILEGE_WRITES} == {a.lower() for a in PRIVILEGE_GRANTING_ACTIONS}


@pytest.mark.parametrize(
    ("grants", "reason"),
    [
        pytest.param([grant(SUBJECT, "*")], "allows every action (*)", id="star"),
        pytest.param([grant(SUBJECT, "*:*")], "allows every action (*)", id="star-colon-star"),
        pytest.param([grant(SUBJECT, "iam:*")], "allows every IAM action (iam:*)", id="iam-star"),
        pytest.param([grant(SUBJECT, "IAM:*")], "iam", id="iam-star-upper-case"),
        pytest.param(
            [grant(SUBJECT, "*"), grant(SUBJECT, "s3:DeleteBucket", effect="Deny", name="keep")],
            "allows every IAM action (iam:*)",
            id="star-minus-an-s3-deny-is-still-admin-through-iam",
        ),
        pytest.param([grant(SUBJECT, "iam:Put*")], "iam:putgrouppolicy", id="iam-put-wildcard"),
        pytest.param(
            [grant(SUBJECT, "iam:PutRolePolicy", resources=["arn:aws:iam::*:role/*"])],
            "iam:putrolepolicy",
            # BUG: a privilege write on every role (its own included) is not admin-equivalent unless the statement's
            # resource is literally `*`; a role allowed iam:PutRolePolicy on role/* can give itself AdministratorAccess.
            id="write-on-every-role-includes-its-own",
        ),
        *[
            pytest.param([grant(SUBJECT, action)], f"allows {action.lower()} on every resource", id=action)
            for action in PRIVILEGE_WRITES
        ],
    ],
)
def test_admin_equivalent(grants: list, reason: str) -> None:
    found = admin_equivalent(grants)
    assert found is not None
    why, held = found
    assert reason.lower() in why.lower()
    assert held.grant_uid in {g.uid for g in grants}
    assert not held.conditional


@pytest.mark.parametrize(
    "grants",
    [
        pytest.param([grant(SUBJECT, "iam:Get*", "iam:List*")], id="iam-read-only"),
        pytest.param([grant(SUBJECT, "s3:*")], id="s3-star"),
        pytest.param([grant(SUBJECT, "iam:PassRole", "sts:AssumeRole")], id="pass-and-assume"),
        pytest.param([grant(SUBJECT, "*", conditional=True)], id="conditional-star"),
        pytest.param([grant(SUBJECT, "iam:*", conditional=True)], id="conditional-iam-star"),
        pytest.param([grant(SUBJECT, "iam:AttachRolePolicy", conditional=True)], id="conditional-write"),
        pytest.param(
            [grant(SUBJECT, "iam:PutRolePolicy", resources=["arn:aws:iam::111122223333:role/sandbox"])],
            id="write-on-one-role-only",
        ),
        pytest.param([grant(SUBJECT, not_actions=["iam:*", "organizations:*"])], id="power-user-not-action"),
        pytest.param([grant(SUBJECT, "*"), grant(SUBJECT, "iam:*", effect="Deny", name="no-iam")], id="star-deny-iam"),
        pytest.param([grant(SUBJECT, "*", effect="Deny")], id="deny-only"),
        pytest.param([grant(SUBJECT, "*"), boundary(SUBJECT, "s3:*")], id="star-capped-by-s3-boundary"),
        pytest.param(
            [grant(SUBJECT, "*", resources=["arn:aws:s3:::data-lake", "arn:aws:s3:::data-lake/*"])],
            # Regression: a `*` action limited to one bucket was reported as "allows every action (*)", because the
            # resource check accepted any held resource when asked about "*".
            id="star-on-one-bucket-only",
        ),
        pytest.param([], id="no-grants"),
    ],
)
def test_not_admin_equivalent(grants: list) -> None:
    assert admin_equivalent(grants) is None


@pytest.mark.parametrize(
    "cap",
    [
        pytest.param(
            grant(
                SUBJECT,
                statements=[statement("*"), statement("iam:*", effect="Deny")],
                kind="permissions-boundary",
                name="all-but-iam",
            ),
            # BUG: a boundary's Deny statements are ignored (_denies skips boundary grants, _allowed(grant, [])).
            id="boundary-allow-star-deny-iam",
        ),
        pytest.param(
            grant(SUBJECT, not_actions=["iam:*"], kind="permissions-boundary", name="not-iam"),
            # BUG: a boundary's NotAction exclusions are ignored (only b.pattern "*" is compared, not b.excluded).
            id="boundary-not-action-iam",
        ),
    ],
)
def test_boundary_that_allows_everything_but_iam_caps_iam(cap: Grant) -> None:
    grants = [grant(SUBJECT, "*", name="admin"), cap]
    assert allows(grants, "s3:GetObject") is not None
    assert allows(grants, "iam:PassRole") is None
    assert admin_equivalent(grants) is None


def test_star_with_star_boundary_is_still_admin() -> None:
    # Regression (same root cause as boundary-caps-star-to-its-own-scope): any boundary, even `*`, hid admin access.
    assert admin_equivalent([grant(SUBJECT, "*"), boundary(SUBJECT, "*")]) is not None


@pytest.mark.parametrize("size", [2, 40], ids=["small-policy-scanned", "large-policy-indexed"])
def test_large_and_small_policies_answer_alike(size: int) -> None:
    """Policies below the index threshold are scanned, larger ones indexed by service: the answers must agree."""
    filler = [f"s3:Get{n}Thing" for n in range(size)]
    granted = grant(
        SUBJECT, *filler, "iam:Pass*", "bedrock:InvokeModel", "sts:AssumeRole", resources=["arn:aws:iam::*:role/*"]
    )
    policy = PolicySet([granted])
    assert policy.allows("iam:PassRole") is not None and policy.allows("iam:passrole") is not None
    assert policy.allows("iam:CreateAccessKey") is None
    assert policy.allows("sts:AssumeRole", "arn:aws:iam::111122223333:role/x") is not None
    assert policy.allows("sts:AssumeRole", "arn:aws:s3:::bucket") is None
    assert policy.allows("*:*") is None  # a wildcard service is covered only by a wildcard-service pattern
    assert [p for p, _ in policy.patterns_in(["bedrock"])] == ["bedrock:InvokeModel"]
    assert policy.touches("iam") and not policy.touches("ec2")
    assert policy.everywhere("sts:AssumeRole", "arn:aws:iam::111122223333:role/*") is not None
    assert policy.everywhere("sts:AssumeRole", "*") is None  # roles only, not every resource


def test_everywhere_needs_a_covering_pattern_and_no_deny_or_boundary() -> None:
    roles = "arn:aws:iam::111122223333:role/*"
    anywhere = grant(SUBJECT, "sts:AssumeRole")
    assert PolicySet([anywhere]).everywhere("sts:AssumeRole", roles) is not None
    some = grant(SUBJECT, "sts:AssumeRole", resources=["arn:aws:iam::111122223333:role/ops-*"])
    assert PolicySet([some]).everywhere("sts:AssumeRole", roles) is None  # only the ops- roles
    denied = grant(SUBJECT, "sts:AssumeRole", effect="Deny", resources=["arn:aws:iam::111122223333:role/vault"])
    assert PolicySet([anywhere, denied]).everywhere("sts:AssumeRole", roles) is None
    unrelated = grant(SUBJECT, "iam:*", effect="Deny")
    assert PolicySet([anywhere, unrelated]).everywhere("sts:AssumeRole", roles) is not None
    assert PolicySet([anywhere, boundary(SUBJECT, "sts:*")]).everywhere("sts:AssumeRole", roles) is not None
    assert PolicySet([anywhere, boundary(SUBJECT, "s3:*")]).everywhere("sts:AssumeRole", roles) is None
    narrow = grant(
        SUBJECT, "sts:AssumeRole", resources=["arn:aws:iam::111122223333:role/ops-*"], kind="permissions-boundary"
    )
    assert PolicySet([anywhere, narrow]).everywhere("sts:AssumeRole", roles) is None
    wildcard_service = grant(SUBJECT, "*")
    assert PolicySet([wildcard_service]).touches("iam") and admin_equivalent([wildcard_service]) is not None
