"""Agent classification: weighted, explained evidence fused from a shipped signal catalogue."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

import yaml

from scanner.facts import FACTS, Fact
from scanner.facts import IdentityContext as IdentityContext  # re-exported: the index and tests build them here
from scanner.permissions import covers

NAME_FAMILY = "name"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
HUMAN_FAMILY = "human"


@dataclass(frozen=True, kw_only=True, slots=True)
class Signal:
    """One catalogue entry."""

    id: str
    family: str
    weight: float
    confidence: str
    source: str
    match_key: str
    values: tuple[str, ...]
    detail: str
    lowered: frozenset[str] = frozenset()
    patterns: tuple[re.Pattern[str], ...] = ()
    namespaces: frozenset[str] = frozenset()  # ai_action: the services its actions belong to


@dataclass(frozen=True, kw_only=True, slots=True)
class Evidence:
    """One piece of evidence, with the reason a human can check."""

    signal: str
    family: str
    weight: float
    detail: str
    source: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Verdict:
    """Whether an identity looks like an AI agent, and why."""

    score: float
    is_agent: bool
    evidence: tuple[Evidence, ...] = ()


GLOB_KEYS = frozenset({"ai_role"})  # entries may carry IAM-style wildcards
SUFFIX_KEYS = frozenset({"publisher_domain"})  # a value matches an entry or any subdomain of it


@lru_cache(maxsize=16384)
def _covers_any(pattern: str, values: tuple[str, ...]) -> bool:
    """Whether a held pattern covers one of a signal's actions; managed policies repeat the same patterns."""
    return any(covers(pattern, v) for v in values)


def _ai_action_hits(signal: Signal, held: list[tuple[str, str]]) -> Iterator[dict[str, str]]:
    """AI actions granted explicitly in an AI namespace; a bare `*` is admin, not AI evidence."""
    for pattern, grant_name in held:
        if pattern.partition(":")[0].lower() in signal.namespaces and _covers_any(pattern, signal.values):
            yield {"value": pattern, "grant": grant_name}


@lru_cache(maxsize=1024)
def _name_forms(name: str) -> tuple[str, str]:
    """A name as written and with camelCase split into words; several name signals ask in a row."""
    return name, _CAMEL.sub(" ", name)


def _fact_hits(signal: Signal, facts: list[Fact]) -> Iterator[dict[str, str]]:
    for value, extra in facts:
        if signal.match_key == "name_regex":
            forms = _name_forms(value)
            hit = any(pattern.search(form) for pattern in signal.patterns for form in forms)
        elif signal.match_key in GLOB_KEYS:
            hit = any(covers(v, value) for v in signal.values)
        elif signal.match_key in SUFFIX_KEYS:
            low = value.lower()
            hit = low in signal.lowered or any(low.endswith("." + v) for v in signal.lowered)
        else:
            hit = value.lower() in signal.lowered
        if hit:
            yield {"value": value, **extra}


@dataclass(frozen=True)
class _Group:
    """The catalogue's signals that read one kind of fact, with a one-pass prefilter for the name patterns."""

    key: str
    signals: tuple[Signal, ...]
    namespaces: tuple[str, ...] = ()  # ai_action: every service the group's actions name
    any_name: re.Pattern[str] | None = None  # name_regex: matches wherever one of the patterns would


def _scoped(pattern: re.Pattern[str]) -> str | None:
    """A pattern as one alternative of a bigger one; None when its flags cannot be scoped that way."""
    text = pattern.pattern
    if text.startswith("(?i)"):
        return f"(?i:{text[4:]})"
    return None if text.startswith("(?") and not text.startswith(("(?:", "(?P")) else f"(?:{text})"


def _any_name(signals: tuple[Signal, ...]) -> re.Pattern[str] | None:
    parts = [_scoped(p) for s in signals for p in s.patterns]
    return None if not parts or None in parts else re.compile("|".join(str(p) for p in parts))


_GROUPED: list[tuple[tuple[Signal, ...], tuple[_Group, ...]]] = []  # the last catalogue grouped (by identity)


def _groups(catalogue: tuple[Signal, ...]) -> tuple[_Group, ...]:
    """The catalogue grouped, remembered by identity: hashing 27 signals on every identity cost more than the rest."""
    if _GROUPED and _GROUPED[0][0] is catalogue:
        return _GROUPED[0][1]
    grouped = _group(catalogue)
    _GROUPED[:] = [(catalogue, grouped)]
    return grouped


def _group(catalogue: tuple[Signal, ...]) -> tuple[_Group, ...]:
    """Signals grouped by the facts they read, so each kind of fact is gathered once per identity."""
    by_key: dict[str, list[Signal]] = {}
    for signal in catalogue:
        by_key.setdefault(signal.match_key, []).append(signal)
    groups = []
    for key, members in by_key.items():
        signals = tuple(members)
        namespaces = tuple(sorted({ns for s in signals for ns in s.namespaces}))
        groups.append(_Group(key, signals, namespaces, _any_name(signals) if key == "name_regex" else None))
    return tuple(groups)


def _group_hits(group: _Group, ctx: IdentityContext) -> list[tuple[Signal, dict[str, str]]]:
    """Every (signal, matched fact) of one kind of fact; nothing to match means no signal of that kind is tried."""
    if group.key == "ai_action":
        held = ctx.policy.patterns_in(group.namespaces)
        return [(signal, extra) for signal in group.signals if held for extra in _ai_action_hits(signal, held)]
    facts = list(FACTS[group.key](ctx))
    if not facts:
        return []
    if group.any_name is not None and not any(group.any_name.search(f) for v, _ in facts for f in _name_forms(v)):
        return []
    return [(signal, extra) for signal in group.signals for extra in _fact_hits(signal, facts)]


def _parse_signal(raw: dict[str, Any]) -> Signal:
    ((key, values),) = raw["match"].items()
    if key not in FACTS and key != "ai_action":
        raise ValueError(f"signal {raw['id']}: unknown match key {key}")
    return Signal(
        id=raw["id"],
        family=raw["family"],
        weight=float(raw["weight"]),
        confidence=raw["confidence"],
        source=raw["source"],
        match_key=key,
        values=tuple(str(v) for v in values),
        detail=raw["detail"],
        lowered=frozenset(str(v).lower() for v in values),
        patterns=tuple(re.compile(str(v)) for v in values) if key == "name_regex" else (),
        namespaces=frozenset(str(v).split(":", 1)[0].lower() for v in values) if key == "ai_action" else frozenset(),
    )


@cache
def load_catalogue() -> tuple[Signal, ...]:
    """The shipped catalogue, parsed once."""
    text = files("scanner").joinpath("catalog/signals.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return tuple(_parse_signal(raw) for raw in data["signals"])


def fuse(evidence: Iterable[Evidence], threshold: float) -> Verdict:
    """Noisy-OR across families (strongest per family); names alone never make an agent."""
    evidence = tuple(evidence)
    strongest: dict[str, float] = {}
    for ev in evidence:
        if ev.weight > 0:
            strongest[ev.family] = max(strongest.get(ev.family, 0.0), ev.weight)
    miss = 1.0
    for weight in strongest.values():
        miss *= 1.0 - weight
    score = 1.0 - miss
    dampen = min((ev.weight for ev in evidence if ev.weight < 0), default=0.0)
    score *= 1.0 + dampen
    substantive = any(family != NAME_FAMILY for family in strongest)
    score = round(score, 4)
    return Verdict(score=score, is_agent=substantive and score >= threshold, evidence=evidence)


def classify(ctx: IdentityContext, threshold: float, catalogue: tuple[Signal, ...] | None = None) -> Verdict:
    """Evaluate every catalogue signal against one identity and fuse the evidence."""
    found: list[Evidence] = []
    seen: set[tuple[str, str]] = set()
    for group in _groups(catalogue or load_catalogue()):
        for signal, extra in _group_hits(group, ctx):
            detail = signal.detail.format_map(_Default(extra))
            if (signal.id, detail) in seen:
                continue
            seen.add((signal.id, detail))
            found.append(
                Evidence(
                    signal=signal.id, family=signal.family, weight=signal.weight, detail=detail, source=signal.source
                )
            )
    found.sort(key=lambda ev: (-abs(ev.weight), ev.signal, ev.detail))
    return fuse(found, threshold)


class _Default(dict[str, str]):
    """format_map helper: unknown placeholders render empty, never raise."""

    def __missing__(self, key: str) -> str:
        return ""
