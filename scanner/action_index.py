"""Allow patterns of one policy bucketed by service, so "which patterns cover this action?" skips the rest."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple

from scanner.model import Effect, Grant, Statement


@lru_cache(maxsize=65536)
def glob(pattern: str) -> re.Pattern[str]:
    """An IAM wildcard pattern as a regex over patterns: `?` never stands for a `*` of the other side."""
    parts = (".*" if ch == "*" else "[^*]" if ch == "?" else re.escape(ch) for ch in pattern.lower())
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def _wild(text: str) -> bool:
    return "*" in text or "?" in text


class Hit(NamedTuple):
    """An Allow pattern: where it sits (statement, position) and the pattern as written."""

    statement: int
    position: int
    pattern: str


def grant_statements(grant: Grant) -> tuple[Statement, ...]:
    """A grant's statements; a provider without statements allows its permissions on its target."""
    if grant.statements:
        return grant.statements
    return (Statement(effect=Effect.ALLOW, actions=grant.permissions),)


def _allow_hits(statements: tuple[Statement, ...]) -> Iterator[Hit]:
    for s_index, st in enumerate(statements):
        if st.effect is not Effect.ALLOW:
            continue
        patterns: tuple[str, ...] = st.actions or (("*",) if st.not_actions else ())
        for position, pattern in enumerate(patterns):
            yield Hit(s_index, position, pattern)


def _service(pattern: str) -> str:
    return pattern.partition(":")[0].lower()


class LinearIndex:
    """A small policy (most inline ones) is scanned in full: cheaper than building and keeping an index."""

    __slots__ = ("statements",)

    def __init__(self, statements: tuple[Statement, ...]) -> None:
        self.statements = statements

    def covering(self, action: str) -> list[Hit]:
        """The patterns that cover `action`, in document order."""
        low = action.lower()
        return [h for h in _allow_hits(self.statements) if glob(h.pattern).match(low)]

    def in_services(self, services: Iterable[str]) -> list[Hit]:
        """Patterns whose service part is one of `services` (lower case), in document order."""
        wanted = set(services)
        return [
            Hit(s_index, position, pattern)
            for s_index, st in enumerate(self.statements)
            if st.effect is Effect.ALLOW
            for position, pattern in enumerate(st.actions)
            if _service(pattern) in wanted
        ]

    def touches(self, service: str) -> bool:
        """Whether any Allow pattern could name an action of `service` (its own name, or a wildcard service)."""
        return any(
            _service(pattern) == service or _wild(pattern.partition(":")[0])
            for st in self.statements
            if st.effect is Effect.ALLOW
            for pattern in (st.actions or ("*",))
        )


class ActionIndex:
    """The Allow patterns of one large statements tuple: exact names in a dict, wildcards grouped by service."""

    __slots__ = ("statements", "_exact", "_by_service", "_generic")

    def __init__(self, statements: tuple[Statement, ...]) -> None:
        self.statements = statements
        self._exact: dict[str, list[Hit]] = {}
        self._by_service: dict[str, list[Hit]] = {}  # every pattern whose service part is a plain name
        self._generic: list[Hit] = []  # patterns with a wildcard in the service part, e.g. `*` or `s3*:Get*`
        for hit in _allow_hits(statements):
            self._add(hit)

    def _add(self, hit: Hit) -> None:
        low = hit.pattern.lower()
        service, colon, _ = low.partition(":")
        if _wild(service) or (not colon and _wild(low)):
            self._generic.append(hit)
            return
        self._by_service.setdefault(service, []).append(hit)
        if not _wild(low):
            self._exact.setdefault(low, []).append(hit)

    def covering(self, action: str) -> list[Hit]:
        """The patterns that cover `action` (which may hold wildcards itself), in document order."""
        low = action.lower()
        service, _, _ = low.partition(":")
        # A wildcard service (`*:*`) can only be covered by a pattern with a wildcard service: those are generic.
        pool = [] if _wild(service) else [*self._exact.get(low, ()), *self._wild_in(service)]
        found = [h for h in (*pool, *self._generic) if glob(h.pattern).match(low)]
        return sorted(found, key=lambda h: (h.statement, h.position))

    def _wild_in(self, service: str) -> list[Hit]:
        return [h for h in self._by_service.get(service, ()) if _wild(h.pattern)]

    def in_services(self, services: Iterable[str]) -> list[Hit]:
        """Patterns whose service part is one of `services` (lower case), in document order."""
        found = [h for service in services for h in self._by_service.get(service, ())]
        return sorted(found, key=lambda h: (h.statement, h.position))

    def touches(self, service: str) -> bool:
        """Whether any Allow pattern could name an action of `service` (its own name, or a wildcard service)."""
        return bool(self._generic) or service in self._by_service


class IndexCache:
    """Action indexes shared by every grant that carries the same statements object (one per managed policy)."""

    def __init__(self, size: int = 8192) -> None:
        self.size = size
        self._entries: OrderedDict[int, ActionIndex] = OrderedDict()

    def get(self, statements: tuple[Statement, ...], build: Callable[[], ActionIndex]) -> ActionIndex:
        """The index of this very tuple (by identity; the entry keeps it alive, so its id cannot be reused)."""
        key = id(statements)
        found = self._entries.get(key)
        if found is not None and found.statements is statements:
            self._entries.move_to_end(key)
            return found
        built = build()
        self._entries[key] = built
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return built


_SHARED = IndexCache()
SMALL = 24  # patterns; below this a linear scan beats the index


def action_index(grant: Grant) -> ActionIndex | LinearIndex:
    """The grant's action index; grants that share a statements tuple share the index."""
    statements = grant_statements(grant)
    if sum(len(st.actions) or 1 for st in statements) < SMALL:
        return LinearIndex(statements)
    return _SHARED.get(statements, lambda: ActionIndex(statements))
