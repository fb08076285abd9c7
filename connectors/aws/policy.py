"""Pure parsers for IAM policy and trust documents into normalized statements and trusts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote

from scanner.model import Effect, Statement, Trust, TrustKind
from scanner.permissions import covers

_ACCOUNT = re.compile(r"^\d{12}$")
_ROOT = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")
ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")


def load_document(document: Any) -> dict[str, Any]:
    """A policy document from GAAD: botocore usually decodes it, but URL-encoded JSON is handled too."""
    if isinstance(document, Mapping):
        return dict(document)
    if isinstance(document, str):
        text = document if document.lstrip().startswith("{") else unquote(document)
        loaded = json.loads(text)
        if isinstance(loaded, dict):
            return loaded
    return {}


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _raw_statements(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = doc.get("Statement", [])
    return [raw] if isinstance(raw, Mapping) else [s for s in raw if isinstance(s, Mapping)]


def statements(document: Any) -> tuple[Statement, ...]:
    """Normalized statements; NotResource is treated as every resource (conservative for allows)."""
    out = []
    for st in _raw_statements(load_document(document)):
        effect = Effect.DENY if str(st.get("Effect", "")).lower() == "deny" else Effect.ALLOW
        resources = _as_tuple(st.get("Resource")) or ("*",)
        out.append(
            Statement(
                effect=effect,
                actions=_as_tuple(st.get("Action")),
                not_actions=_as_tuple(st.get("NotAction")),
                resources=("*",) if "NotResource" in st else resources,
                not_resources=_as_tuple(st.get("NotResource")),
                conditional=bool(st.get("Condition")),
            )
        )
    return tuple(out)


def allowed_patterns(stmts: tuple[Statement, ...]) -> tuple[str, ...]:
    """Allowed action patterns for display; an Allow with NotAction shows as '*' minus its exclusions."""
    seen: dict[str, None] = {}
    for st in stmts:
        if st.effect is Effect.ALLOW:
            for action in st.actions or (("*",) if st.not_actions else ()):
                seen.setdefault(action, None)
    return tuple(seen)


def _conditions(condition: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Readable condition summaries, and the federated subjects they admit."""
    summaries: list[str] = []
    subjects: list[str] = []
    if not isinstance(condition, Mapping):
        return (), ()
    for operator, pairs in condition.items():
        if not isinstance(pairs, Mapping):
            continue
        for key, values in pairs.items():
            vals = _as_tuple(values)
            summaries.append(f"{operator} {key} = {', '.join(vals)}")
            if str(key).lower().endswith(":sub"):
                subjects.extend(vals)
    return tuple(summaries), tuple(subjects)


def _principals(principal: Any) -> Iterator[tuple[str, str]]:
    if principal == "*":
        yield "AWS", "*"
        return
    if isinstance(principal, Mapping):
        for kind, values in principal.items():
            for value in _as_tuple(values):
                yield str(kind), value


def _trust(kind: str, value: str, action: str, conds: tuple[str, ...], subjects: tuple[str, ...]) -> Trust | None:
    if kind == "Service":
        return Trust(kind=TrustKind.SERVICE, principal=value, action=action, conditions=conds)
    if kind == "Federated":
        issuer = value.split(":oidc-provider/", 1)[1] if ":oidc-provider/" in value else value
        return Trust(kind=TrustKind.FEDERATED, principal=issuer, action=action, conditions=conds, subjects=subjects)
    if kind == "AWS":
        if value == "*":
            return Trust(kind=TrustKind.ANYONE, principal="*", action=action, conditions=conds)
        if _ACCOUNT.match(value):
            return Trust(kind=TrustKind.ACCOUNT, principal=value, action=action, conditions=conds)
        if root := _ROOT.match(value):
            return Trust(kind=TrustKind.ACCOUNT, principal=root.group(1), action=action, conditions=conds)
        return Trust(kind=TrustKind.PRINCIPAL, principal=value, action=action, conditions=conds)
    return None


def trusts(document: Any) -> tuple[Trust, ...]:
    """Who may assume a role, from the Allow statements of its trust policy."""
    out: list[Trust] = []
    for st in _raw_statements(load_document(document)):
        if str(st.get("Effect", "")).lower() != "allow":
            continue
        actions = _as_tuple(st.get("Action"))
        assume = next((a for a in actions if any(covers(a, target) for target in ASSUME_ACTIONS)), None)
        if assume is None:
            continue
        conds, subjects = _conditions(st.get("Condition"))
        for kind, value in _principals(st.get("Principal")):
            trust = _trust(kind, value, assume, conds, subjects)
            if trust is not None:
                out.append(trust)
    return tuple(out)
