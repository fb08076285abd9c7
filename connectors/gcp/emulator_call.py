"""One request as the route handlers see it: query parameters (snake or camel case), JSON body, and list paging."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from connectors.gcp.emulator_faults import invalid_argument, permission_denied
from connectors.gcp.emulator_model import Project
from connectors.gcp.emulator_org import Org

Json = dict[str, Any]
T = TypeVar("T")

# System parameters every Google API accepts; `$alt=json;enum-encoding=int` is what the REST GAPIC clients send.
SYSTEM_PARAMS = frozenset(
    {"$alt", "alt", "prettyPrint", "$prettyPrint", "fields", "$fields", "quotaUser", "$.xgafv", "callback", "key"}
)
_UNBOUND = (
    'Invalid JSON payload received. Unknown name "{0}": Cannot bind query parameter. '
    "Field '{0}' could not be found in request message."
)
_SNAKE = re.compile(r"_([a-z])")


def camel(name: str) -> str:
    """page_size -> pageSize, options.requested_policy_version -> options.requestedPolicyVersion."""
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


def parse_params(pairs: list[tuple[str, str]], allowed: frozenset[str]) -> dict[str, list[str]]:
    """Query parameters by camelCase name; an unknown one is a 400, as GCP's transcoder answers."""
    params: dict[str, list[str]] = {}
    for raw, value in pairs:
        if raw in SYSTEM_PARAMS or raw == "access_token":
            continue
        name = camel(raw)
        if name not in allowed:
            raise invalid_argument(_UNBOUND.format(raw))
        params.setdefault(name, []).append(value)
    return params


@dataclass(frozen=True)
class Call:
    """A routed request: method, decoded path, parameters, parsed body and the organization being served."""

    method: str
    path: str
    params: dict[str, list[str]]
    body: Json
    org: Org

    def one(self, name: str, default: str = "") -> str:
        """The last value of a parameter (GCP keeps the last of repeated scalars)."""
        values = self.params.get(name)
        return values[-1] if values else default

    def many(self, name: str) -> list[str]:
        """Every value of a repeated parameter; comma-separated values are split too."""
        return [v for value in self.params.get(name, []) for v in value.split(",") if v]

    def integer(self, name: str, default: int) -> int:
        """An int32 parameter; anything else is a 400 naming the field."""
        raw = self.one(name)
        if raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            snake = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)
            raise invalid_argument(f"Invalid value at '{snake}' (TYPE_INT32), \"{raw}\"", snake) from None


@dataclass(frozen=True)
class PageRule:
    """A method's page size: the default, the maximum (larger values are clamped), and whether <= 0 means default."""

    default: int
    maximum: int
    nonpositive_is_default: bool = False


def _token_key(call: Call) -> str:
    """What a page token is bound to: the path and every parameter but the paging ones."""
    stable = {k: v for k, v in call.params.items() if k not in ("pageSize", "pageToken")}
    return hashlib.sha256(json.dumps([call.path, stable], sort_keys=True).encode()).hexdigest()[:12]


def _offset(call: Call) -> int:
    token = call.one("pageToken")
    if not token:
        return 0
    try:
        key, offset = json.loads(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)))
        if key == _token_key(call) and isinstance(offset, int) and offset >= 0:
            return offset
    except (ValueError, TypeError):
        pass
    raise invalid_argument("The page token is invalid.", "page_token")


def page_size(call: Call, rule: PageRule) -> int:
    """The effective page size for this request."""
    size = call.integer("pageSize", 0)
    if size < 0 and not rule.nonpositive_is_default:
        raise invalid_argument("page_size must not be negative.", "page_size")
    return rule.default if size <= 0 else min(size, rule.maximum)


def page(call: Call, items: Sequence[T], rule: PageRule) -> tuple[Sequence[T], str | None]:
    """One page of `items` and the opaque token of the next page (None on the last page)."""
    size, start = page_size(call, rule), _offset(call)
    end = start + size
    if end >= len(items):
        return items[start:], None
    token = base64.urlsafe_b64encode(json.dumps([_token_key(call), end]).encode()).decode().rstrip("=")
    return items[start:end], token


def paged(call: Call, items: Sequence[T], rule: PageRule, field_name: str, render: Callable[[T], Json]) -> Json:
    """A list response {field: [...], nextPageToken}; both are left out when empty, as proto3 JSON does."""
    chunk, token = page(call, items, rule)
    out: Json = {}
    if chunk:
        out[field_name] = [render(item) for item in chunk]
    if token:
        out["nextPageToken"] = token
    return out


def require_project(call: Call, ref: str, permission: str) -> Project:
    """The project a path names (id or number); unknown and invisible projects are a 403, as in GCP."""
    project = call.org.project(ref)
    if project is None or not project.visible:
        raise permission_denied(permission, f"projects/{ref}")
    return project


def requested_version(call: Call) -> int:
    """options.requestedPolicyVersion from the JSON body (REST v3) or the query (IAM v1); only 0, 1 and 3 exist."""
    options = call.body.get("options")
    raw: object = options.get("requestedPolicyVersion", 0) if isinstance(options, dict) else 0
    raw = call.one("options.requestedPolicyVersion") or raw
    try:
        version = int(str(raw))
    except ValueError:
        version = -1
    if version not in (0, 1, 3):
        raise invalid_argument(f"Invalid requested policy version: {raw}.", "options.requested_policy_version")
    return version
