"""OData query options as Graph's directory endpoints apply them: $select, $top, $expand, $skiptoken, errors."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from connectors.entra.emulator_wire import Json

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 999
SUPPORTED_OPTIONS = frozenset({"$select", "$top", "$expand", "$skiptoken", "$filter"})
# Graph accepts the system query options without their "$" too; anything else unknown is ignored, as Graph does.
KNOWN_OPTIONS = SUPPORTED_OPTIONS | {
    f"${o}" for o in ("filter", "search", "orderby", "count", "skip", "format", "apply", "compute", "levels")
}


class GraphError(Exception):
    """An error Graph reports as {"error": {"code", "message", "innerError"}} with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def bad_request(message: str, code: str = "Request_BadRequest") -> GraphError:
    """A 400 with Graph's directory error code."""
    return GraphError(400, code, message)


def not_found(what: str) -> GraphError:
    """Graph's 404 for a missing directory object or an unknown path."""
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{what}' does not exist or one of its queried reference-property objects are not present.",
    )


def method_not_allowed() -> GraphError:
    """Graph's 405 for a method the path does not support."""
    return GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")


@dataclass(frozen=True, slots=True)
class Expand:
    """One $expand item: a navigation property and its nested $select."""

    name: str
    select: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Query:
    """The parsed OData options of one request; `raw` keeps the client's encoding for @odata.nextLink."""

    raw: str = ""
    select: tuple[str, ...] | None = None
    top: int | None = None
    expand: tuple[Expand, ...] = ()
    skiptoken: str | None = None
    filter: tuple[tuple[str, str], ...] | None = None  # "a eq 'x' or b eq 'y'" -> (("a", "x"), ("b", "y"))
    given: frozenset[str] = field(default_factory=frozenset)


def _split_top_level(text: str, sep: str) -> list[str]:
    """Split on `sep` outside parentheses: "owners($select=a,b),sponsors" -> two items."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            raise bad_request(f"Syntax error: unbalanced parentheses in '{text}'.")
        if ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth:
        raise bad_request(f"Syntax error: unbalanced parentheses in '{text}'.")
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _names(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise bad_request("Syntax error: $select needs at least one property.")
    return names


def _parse_expand(text: str) -> tuple[Expand, ...]:
    items = []
    for part in _split_top_level(text, ","):
        name, _, nested = part.partition("(")
        select = None
        if nested:
            for option in _split_top_level(nested.removesuffix(")"), ";"):
                key, _, value = option.partition("=")
                if key.strip().lstrip("$").lower() != "select":
                    raise bad_request(f"Query option '{key.strip()}' is not supported inside $expand.")
                select = _names(value)
        items.append(Expand(name.strip(), select))
    return tuple(items)


def _parse_top(value: str) -> int:
    try:
        top = int(value)
    except ValueError:
        raise bad_request(f"Invalid value '{value}' for query option '$top'.") from None
    if not 1 <= top <= MAX_PAGE_SIZE:
        raise bad_request(
            f"Invalid page size specified: '{top}'. Must be between 1 and {MAX_PAGE_SIZE} inclusive.",
            "Request_UnsupportedQuery",
        )
    return top


_EQ = re.compile(r"\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*", re.IGNORECASE)


def _parse_filter(text: str) -> tuple[tuple[str, str], ...]:
    """Only what the connector needs: `prop eq 'literal'` clauses joined by `or`; anything else is a 400."""
    clauses = []
    for clause in re.split(r"\s+or\s+", text.strip(), flags=re.IGNORECASE):
        match = _EQ.fullmatch(clause)
        if match is None:
            raise bad_request(f"Unsupported or invalid query filter clause: {clause!r}.", "Request_UnsupportedQuery")
        clauses.append((match[1], match[2].replace("''", "'")))
    return tuple(clauses)


def matches(obj: Json, clauses: Sequence[tuple[str, str]], type_name: str, allowed: frozenset[str]) -> bool:
    """Whether a serialized object satisfies the parsed $filter (string comparison ignores case, as Graph's does)."""
    canonical = {name.lower(): name for name in allowed}
    for prop, literal in clauses:
        if prop.lower() not in canonical:
            raise bad_request(f"Could not find a property named '{prop}' on type '{type_name}'.")
        value = obj.get(canonical[prop.lower()])
        if value is not None and str(value).lower() == literal.lower():
            return True
    return False


def parse_query(raw: str) -> Query:
    """Parse a query string; an option this emulator does not implement ($search, $orderby, ...) is a 400."""
    values: dict[str, str] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        name = "$" + key.lower().lstrip("$")
        if name not in KNOWN_OPTIONS:
            continue
        if name not in SUPPORTED_OPTIONS:
            raise bad_request(f"Query option '{name}' is not supported by the Graph emulator.")
        if name in values:
            raise bad_request(
                f"Query option '{name}' was specified more than once, but it must be specified at most once."
            )
        values[name] = value
    return Query(
        raw=raw,
        select=_names(values["$select"]) if "$select" in values else None,
        top=_parse_top(values["$top"]) if "$top" in values else None,
        expand=_parse_expand(values["$expand"]) if "$expand" in values else (),
        skiptoken=values.get("$skiptoken"),
        filter=_parse_filter(values["$filter"]) if "$filter" in values else None,
        given=frozenset(values),
    )


def project(obj: Json, select: Sequence[str] | None, type_name: str, allowed: frozenset[str]) -> Json:
    """Apply $select (case-insensitively, like Graph): keep the named properties plus id and @odata.type."""
    if select is None:
        return obj
    canonical = {name.lower(): name for name in allowed}
    keep = {"id", "@odata.type"}
    for name in select:
        if name == "*":
            return obj
        if name.lower() not in canonical:
            raise bad_request(f"Could not find a property named '{name}' on type '{type_name}'.")
        keep.add(canonical[name.lower()])
    return {k: v for k, v in obj.items() if k in keep}


# paging


def encode_skiptoken(offset: int) -> str:
    """An opaque continuation token (Graph's are opaque too; clients must follow @odata.nextLink verbatim)."""
    return base64.urlsafe_b64encode(f"RFNwdA{offset:010d}".encode()).decode().rstrip("=")


def decode_skiptoken(token: str) -> int:
    """The offset behind a token this emulator issued; anything else is a 400."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if text.startswith("RFNwdA") and text[6:].isdigit():
            return int(text[6:])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise bad_request("The specified page token value has expired or is invalid.", "Directory_ExpiredPageToken")


def _option_name(pair: str) -> str:
    return pair.split("=", 1)[0].lower().replace("%24", "$").lstrip("$")


def next_link(base: str, version: str, path: str, raw_query: str, offset: int) -> str:
    """An absolute @odata.nextLink: the same path and options, plus $skiptoken for the next page."""
    kept = [p for p in raw_query.split("&") if p and _option_name(p) != "skiptoken"]
    return f"{base}/{version}{path}?{'&'.join([*kept, '$skiptoken=' + encode_skiptoken(offset)])}"


def context_url(base: str, version: str, fragment: str, select: Sequence[str] | None = None) -> str:
    """@odata.context, e.g. https://host/v1.0/$metadata#servicePrincipals(id,appId)."""
    suffix = f"({','.join(select)})" if select else ""
    return f"{base}/{version}/$metadata#{fragment}{suffix}"
