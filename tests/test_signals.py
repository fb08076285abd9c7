"""Agent classification: each signal family with its catalogue weight and an explained detail, and their fusion."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from typing import Any

import pytest
import yaml
from builders import (
    access_key,
    bedrock_api_key,
    grant,
    managed_policy,
    role,
    service,
    user,
    workload,
)

from scanner.model import Credential, Grant, Identity, Workload
from scanner.signals import Evidence, IdentityContext, Verdict, classify, fuse, load_catalogue

THRESHOLD = 0.5


def _raw_catalogue() -> dict[str, dict[str, Any]]:
    """The shipped YAML read independently of the parser under test."""
    text = files("scanner").joinpath("catalog/signals.yaml").read_text(encoding="utf-8")
    return {s["id"]: s for s in yaml.safe_load(text)["signals"]}


CATALOGUE = _raw_catalogue()


def ctx(
    identity: Identity,
    *,
    grants: list[Grant] | None = None,
    credentials: list[Credential] | None = None,
    workloads: list[Workload] | None = None,
) -> IdentityContext:
    return IdentityContext(
        identity=identity, grants=grants or [], credentials=credentials or [], workloads=workloads or []
    )


def verdict_of(context: IdentityContext, threshold: float = THRESHOLD) -> Verdict:
    return classify(context, threshold)


def _bedrock_role() -> Identity:
    return role("invoice-exec", trusts=[service("bedrock.amazonaws.com")])


def _with_key_used_on(svc: str) -> IdentityContext:
    u = user("svc-user")
    return ctx(u, credentials=[access_key(u, last_used=None, last_used_service=svc)])


SIGNAL_CASES: list[Any] = [
    pytest.param(
        "bedrock-agent-runtime",
        lambda: ctx(r := role("exec"), workloads=[workload(r, "bedrock-agent", "invoice-agent")]),
        ["invoice-agent"],
        id="native-bedrock-agent",
    ),
    pytest.param(
        "agentcore-runtime",
        lambda: ctx(r := role("exec"), workloads=[workload(r, "agentcore-runtime", "claims_rt")]),
        ["claims_rt", "AgentCore"],
        id="native-agentcore-runtime",
    ),
    pytest.param("trusts-bedrock", lambda: ctx(_bedrock_role()), ["bedrock.amazonaws.com"], id="trust-bedrock"),
    pytest.param(
        "trusts-agentcore",
        lambda: ctx(role("rt", trusts=[service("bedrock-agentcore.amazonaws.com")])),
        ["bedrock-agentcore.amazonaws.com"],
        id="trust-agentcore",
    ),
    pytest.param(
        "trusts-sagemaker",
        lambda: ctx(role("nb", trusts=[service("sagemaker.amazonaws.com")])),
        ["sagemaker.amazonaws.com"],
        id="trust-sagemaker",
    ),
    pytest.param(
        "bedrock-api-key",
        lambda: ctx(u := user("BedrockAPIKey-q9"), credentials=[bedrock_api_key(u, "ACCAQXAMPLEKEY00009")]),
        ["ACCAQXAMPLEKEY00009", "Bedrock API key"],
        id="ai-credential-bedrock-key",
    ),
    pytest.param(
        "bedrock-managed-policy",
        lambda: ctx(r := role("x"), grants=[managed_policy(r, "AmazonBedrockFullAccess")]),
        ["AmazonBedrockFullAccess"],
        id="managed-full-access",
    ),
    pytest.param(
        "bedrock-managed-policy",
        lambda: ctx(r := role("x"), grants=[managed_policy(r, "BedrockAgentCoreFullAccess")]),
        ["BedrockAgentCoreFullAccess"],
        id="managed-agentcore-full-access",
    ),
    pytest.param(
        "bedrock-readonly-policy",
        lambda: ctx(r := role("x"), grants=[managed_policy(r, "AmazonBedrockReadOnly")]),
        ["AmazonBedrockReadOnly"],
        id="managed-read-only",
    ),
    pytest.param(
        "ai-invoke-permission",
        lambda: ctx(r := role("x"), grants=[grant(r, "bedrock:InvokeModel", name="invoke-claude")]),
        ["bedrock:invokemodel", "invoke-claude"],
        id="invoke-model",
    ),
    pytest.param(
        "ai-invoke-permission",
        lambda: ctx(r := role("x"), grants=[grant(r, "Bedrock:invokeMODEL", name="odd-case")]),
        ["bedrock:invokemodel", "odd-case"],
        id="invoke-model-any-case",
    ),
    pytest.param(
        "ai-invoke-permission",
        lambda: ctx(r := role("x"), grants=[grant(r, "bedrock:*", name="all-bedrock")]),
        ["bedrock:*", "all-bedrock"],
        id="bedrock-star",
    ),
    pytest.param(
        "ai-invoke-permission",
        lambda: ctx(r := role("x"), grants=[grant(r, "bedrock-agentcore:InvokeAgentRuntime", name="rt")]),
        ["bedrock-agentcore:invokeagentruntime"],
        id="agentcore-invoke",
    ),
    pytest.param(
        "ai-sdk-environment",
        lambda: ctx(
            r := role("fn-role"),
            workloads=[workload(r, "lambda-function", "support-triage", env=["LOG_LEVEL", "OPENAI_API_KEY"])],
        ),
        ["support-triage", "OPENAI_API_KEY", "name only"],
        id="lambda-env-openai",
    ),
    pytest.param(
        "ai-sdk-environment",
        lambda: ctx(r := role("fn-role"), workloads=[workload(r, "lambda-function", "fn", env=["anthropic_api_key"])]),
        ["anthropic_api_key"],
        id="lambda-env-name-case-insensitive",
    ),
    pytest.param(
        "sagemaker-workload",
        lambda: ctx(r := role("nb-role"), workloads=[workload(r, "sagemaker-notebook", "research-nb")]),
        ["research-nb"],
        id="sagemaker-notebook",
    ),
    pytest.param("ai-service-usage", lambda: _with_key_used_on("bedrock"), ["bedrock"], id="usage-bedrock"),
    pytest.param(
        "ai-service-usage",
        lambda: ctx(role("r", attributes={"last_used_service": "bedrock-agentcore"})),
        ["bedrock-agentcore"],
        id="usage-identity-attribute",
    ),
    pytest.param(
        "bedrock-console-key-user", lambda: ctx(user("BedrockAPIKey-abc1")), ["BedrockAPIKey-abc1"], id="name-key-user"
    ),
    pytest.param(
        "bedrock-console-role-name",
        lambda: ctx(role("AmazonBedrockExecutionRoleForAgents_ABC123")),
        ["AmazonBedrockExecutionRoleForAgents_ABC123"],
        id="name-console-role",
    ),
    pytest.param("ai-name", lambda: ctx(role("support-chatbot")), ["support-chatbot"], id="name-ai-term"),
    pytest.param(
        "console-password",
        lambda: ctx(user("alice", human=True)),
        ["a person signs in"],
        id="human-console-password",
    ),
]


@pytest.mark.parametrize(("signal_id", "build", "detail_parts"), SIGNAL_CASES)
def test_each_signal_fires_with_catalogue_weight_and_explained_detail(
    signal_id: str, build: Callable[[], IdentityContext], detail_parts: list[str]
) -> None:
    verdict = verdict_of(build())
    hits = [ev for ev in verdict.evidence if ev.signal == signal_id]
    assert len(hits) == 1, verdict.evidence
    ev = hits[0]
    entry = CATALOGUE[signal_id]
    assert ev.weight == pytest.approx(float(entry["weight"]))
    assert ev.family == entry["family"]
    assert ev.source == entry["source"]
    for part in detail_parts:
        assert part.lower() in ev.detail.lower(), ev.detail
    assert "{" not in ev.detail and "}" not in ev.detail


@pytest.mark.parametrize(
    ("build", "is_agent", "signals"),
    [
        pytest.param(lambda: ctx(_bedrock_role()), True, {"trusts-bedrock"}, id="bedrock-trust-alone-is-an-agent"),
        pytest.param(
            lambda: ctx(u := user("k"), credentials=[bedrock_api_key(u)]),
            True,
            {"bedrock-api-key"},
            id="bedrock-key-alone-is-an-agent",
        ),
        pytest.param(
            lambda: ctx(r := role("f"), workloads=[workload(r, "lambda-function", "f", env=["OPENAI_API_KEY"])]),
            True,
            {"ai-sdk-environment"},
            id="ai-sdk-env-alone-is-an-agent",
        ),
        pytest.param(
            lambda: ctx(r := role("f"), workloads=[workload(r, "lambda-function", "f", env=["DATABASE_URL"])]),
            False,
            set(),
            id="plain-lambda-is-not",
        ),
        pytest.param(
            lambda: ctx(u := user("k"), credentials=[bedrock_api_key(u, active=False)]),
            False,
            set(),
            id="inactive-bedrock-key-is-no-evidence",
        ),
        pytest.param(
            lambda: ctx(r := role("x"), grants=[managed_policy(r, "AmazonBedrockFullAccess", aws_managed=False)]),
            False,
            set(),
            id="customer-policy-named-like-aws-managed-is-no-evidence",
        ),
        pytest.param(
            lambda: ctx(r := role("x"), grants=[grant(r, "bedrock:InvokeModel")]),
            False,
            {"ai-invoke-permission"},
            id="invoke-permission-alone-is-below-threshold",
        ),
        pytest.param(
            lambda: ctx(
                r := role("x"), grants=[grant(r, "bedrock:InvokeModel"), managed_policy(r, "AmazonBedrockReadOnly")]
            ),
            False,
            {"ai-invoke-permission", "bedrock-readonly-policy"},
            id="one-family-counts-once",
        ),
    ],
)
def test_single_family_verdicts(build: Callable[[], IdentityContext], is_agent: bool, signals: set[str]) -> None:
    verdict = verdict_of(build())
    assert verdict.is_agent is is_agent
    assert {ev.signal for ev in verdict.evidence} == signals


@pytest.mark.parametrize(
    "name",
    [
        "TravelAgentBookingService",
        "agent-smith",
        "research-assistant-agent",
        "openai-gpt-claude-llm-chatbot-agent",
        "BedrockAPIKey-a1b2c3",
        "AmazonBedrockExecutionRoleForAgents_QWERTY",
        "AmazonBedrockAgentCoreSDKRuntime-us-east-1-abc",
    ],
)
@pytest.mark.parametrize("threshold", [0.5, 0.05])
def test_a_name_alone_never_makes_an_agent(name: str, threshold: float) -> None:
    for identity in (role(name), user(name)):
        verdict = verdict_of(ctx(identity), threshold)
        assert verdict.is_agent is False
        assert {ev.family for ev in verdict.evidence} <= {"name"}


def test_name_evidence_is_weak_but_recorded() -> None:
    verdict = verdict_of(ctx(role("openai-gpt-claude-llm-chatbot-agent")))
    assert [ev.signal for ev in verdict.evidence] == ["ai-name"]  # one signal, deduplicated on its detail
    assert verdict.score == pytest.approx(CATALOGUE["ai-name"]["weight"])
    travel = verdict_of(ctx(role("TravelAgentBookingService")))
    assert travel.is_agent is False and travel.score < THRESHOLD
    assert {ev.family for ev in travel.evidence} <= {"name"}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("storage-sync", id="storage"),
        pytest.param("leverage-reports", id="leverage"),
        pytest.param("paragraph-formatter", id="paragraph"),
        pytest.param("fragment-cache", id="fragment"),
    ],
)
def test_ordinary_words_are_not_ai_terms(name: str) -> None:
    # Regression: the ai-name regex had `rag` without word boundaries, so storage/leverage/paragraph were "AI terms".
    verdict = verdict_of(ctx(role(name)))
    assert [ev.detail for ev in verdict.evidence if ev.signal == "ai-name"] == []


def test_human_evidence_dampens_the_score() -> None:
    plain = verdict_of(ctx(role("shared", trusts=[service("bedrock.amazonaws.com")])))
    human = verdict_of(ctx(role("shared", trusts=[service("bedrock.amazonaws.com")], human=True)))
    assert plain.is_agent and plain.score == pytest.approx(0.6)
    assert human.score == pytest.approx(0.6 * (1 + CATALOGUE["console-password"]["weight"]))
    assert human.is_agent is False
    assert any(ev.family == "human" and ev.weight < 0 for ev in human.evidence)


@pytest.mark.parametrize(
    "actions",
    [
        pytest.param(("*",), id="star"),
        pytest.param(("*:*",), id="star-colon-star"),
        pytest.param(("iam:*", "s3:*"), id="non-ai-services"),
        pytest.param(("bedrock:ListFoundationModels",), id="bedrock-listing-only"),
    ],
)
def test_admin_or_unrelated_grants_are_not_ai_permission_evidence(actions: tuple[str, ...]) -> None:
    r = role("admin-role")
    verdict = verdict_of(ctx(r, grants=[grant(r, *actions)]))
    assert [ev for ev in verdict.evidence if ev.family == "ai-permission"] == []
    assert verdict.score == 0 and not verdict.is_agent


def test_not_action_allow_is_not_ai_permission_evidence() -> None:
    r = role("power-user")
    verdict = verdict_of(ctx(r, grants=[grant(r, not_actions=["iam:*"])]))
    assert verdict.evidence == ()


def test_fusion_is_noisy_or_of_per_family_maxima() -> None:
    r = role(
        "support-chatbot",
        trusts=[service("bedrock.amazonaws.com"), service("bedrock-agentcore.amazonaws.com")],
    )
    grants = [grant(r, "bedrock:InvokeModel", name="a"), grant(r, "bedrock:Converse", name="b")]
    verdict = verdict_of(ctx(r, grants=grants))
    signals = sorted(ev.signal for ev in verdict.evidence)
    assert signals == ["ai-invoke-permission", "ai-invoke-permission", "ai-name", "trusts-agentcore", "trusts-bedrock"]
    # ai-service-trust counts once at 0.7 (not 0.6 and 0.7), ai-permission once at 0.35, name at 0.1.
    assert verdict.score == pytest.approx(1 - (1 - 0.7) * (1 - 0.35) * (1 - 0.1), abs=1e-4)
    weights = [abs(ev.weight) for ev in verdict.evidence]
    assert weights == sorted(weights, reverse=True)


def _ev(family: str, weight: float, signal: str = "s") -> Evidence:
    return Evidence(signal=signal, family=family, weight=weight, detail=f"{family} {weight}", source="test")


@pytest.mark.parametrize(
    ("evidence", "score", "is_agent"),
    [
        pytest.param([], 0.0, False, id="nothing"),
        pytest.param([_ev("ai-service-trust", 0.6)], 0.6, True, id="one-family"),
        pytest.param([_ev("runtime", 0.3), _ev("runtime", 0.2)], 0.3, False, id="same-family-max-not-sum"),
        pytest.param([_ev("runtime", 0.3), _ev("usage", 0.3)], 0.51, True, id="two-families-noisy-or"),
        pytest.param([_ev("name", 0.9)], 0.9, False, id="name-only-never-agent"),
        pytest.param([_ev("name", 0.2), _ev("usage", 0.25)], 0.4, False, id="name-plus-weak-family"),
        pytest.param([_ev("name", 0.4), _ev("usage", 0.25)], 0.55, True, id="name-plus-substantive-over-threshold"),
        pytest.param([_ev("native-agent", 0.9), _ev("human", -0.5)], 0.45, False, id="human-halves"),
        pytest.param([_ev("human", -0.5)], 0.0, False, id="human-only"),
    ],
)
def test_fuse(evidence: list[Evidence], score: float, is_agent: bool) -> None:
    verdict = fuse(evidence, THRESHOLD)
    assert verdict.score == pytest.approx(score, abs=1e-4)
    assert verdict.is_agent is is_agent
    assert verdict.evidence == tuple(evidence)


def test_threshold_is_inclusive() -> None:
    assert fuse([_ev("ai-service-trust", 0.6)], 0.6).is_agent is True
    assert fuse([_ev("ai-service-trust", 0.6)], 0.61).is_agent is False


def test_parsed_catalogue_matches_the_yaml() -> None:
    parsed = {s.id: s for s in load_catalogue()}
    assert set(parsed) == set(CATALOGUE)
    for signal_id, raw in CATALOGUE.items():
        assert parsed[signal_id].weight == pytest.approx(float(raw["weight"]))
        assert parsed[signal_id].family == raw["family"]
    assert all(s.weight < THRESHOLD for s in parsed.values() if s.family == "name")


def test_service_credential_of_another_service_is_not_ai_credential() -> None:
    u = user("git-user")
    cred = access_key(u, "ACCAQXAMPLECODECOMM", kind="service_specific", service_name="codecommit.amazonaws.com")
    verdict = verdict_of(ctx(u, credentials=[cred]))
    assert verdict.evidence == ()


def test_an_ordinary_word_in_a_name_does_not_tip_the_verdict() -> None:
    # Same regression as above, with its consequence: 0.35 (ai-permission) and 0.2 (runtime) fuse to 0.48, below the
    # threshold, but a "rag" found inside "storage" added name evidence and lifted the score to 0.53, an agent.
    for name, expected in (("ledger-indexer", False), ("storage-indexer", False)):
        r = role(name)
        context = ctx(
            r, grants=[grant(r, "bedrock:InvokeModel")], workloads=[workload(r, "sagemaker-notebook", "indexer-nb")]
        )
        assert verdict_of(context).is_agent is expected, name
