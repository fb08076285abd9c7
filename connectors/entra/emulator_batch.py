"""JSON $batch as Graph serves it: up to 20 sub-requests, each routed, throttled and counted on its own."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from connectors.entra.emulator_odata import bad_request
from connectors.entra.emulator_render import Reply
from connectors.entra.emulator_wire import Json

MAX_BATCH_REQUESTS = 20
VERSIONS = {"v1.0": "v1.0", "beta": "beta"}


@dataclass(frozen=True, slots=True)
class SubRequest:
    """One item of a $batch: resolved to a version, a path without it, and a raw query string."""

    id: str
    method: str
    version: str
    path: str
    query: str
    body: bytes


# Runs one sub-request through the emulator's router, faults and log: (method, version, path, query, body) -> Reply.
Runner = Callable[[str, str, str, str, bytes], Reply]


def split_version(path: str) -> tuple[str, str] | None:
    """('v1.0', '/users') from '/v1.0//users/' (empty segments dropped, as SDKs send '//'); None if unversioned."""
    segments = [s for s in path.split("/") if s]
    if not segments or segments[0].lower() not in VERSIONS:
        return None
    return VERSIONS[segments[0].lower()], "/" + "/".join(segments[1:])


def resolve_url(url: str, version: str) -> tuple[str, str, str] | None:
    """(version, path, query) of an item URL: relative to the batch's version ("/users/x" or "users/x"), or absolute
    ("https://host/v1.0/users/x", which msgraph-core sends). None when an absolute URL has no version segment."""
    parts = urlsplit(url)
    if parts.scheme and parts.netloc:
        return (*found, parts.query) if (found := split_version(parts.path)) else None
    path = "/" + "/".join(s for s in parts.path.split("/") if s)
    return version, path, parts.query


def _item(raw: object, version: str) -> SubRequest | Json:
    """A parsed item, or (for an unroutable URL) the 404 sub-response Graph gives it."""
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("url"), str):
        raise bad_request("Invalid batch payload format: each request needs a string 'id', 'method' and 'url'.")
    method = raw.get("method")
    if not isinstance(method, str) or not method:
        raise bad_request(f"Invalid batch payload format: request '{raw['id']}' has no 'method'.")
    resolved = resolve_url(raw["url"], version)
    if resolved is None:
        return {
            "id": raw["id"],
            "status": 404,
            "headers": {"Content-Type": "application/json"},
            "body": {"error": {"code": "Request_ResourceNotFound", "message": f"Invalid URL '{raw['url']}'."}},
        }
    body = raw.get("body")
    data = json.dumps(body).encode() if body is not None else b""
    return SubRequest(raw["id"], method.upper(), *resolved, data)


def parse_batch(body: bytes, version: str) -> list[SubRequest | Json]:
    """The items of a $batch body, validated as Graph does (at most 20, unique ids)."""
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        raise bad_request("Invalid batch payload format: the body is not JSON.") from None
    requests = payload.get("requests") if isinstance(payload, dict) else None
    if not isinstance(requests, list) or not requests:
        raise bad_request("Invalid batch payload format: 'requests' must be a non-empty array.", "BadRequest")
    if len(requests) > MAX_BATCH_REQUESTS:
        raise bad_request(f"Number of requests exceeds the limit of {MAX_BATCH_REQUESTS}.", "BadRequest")
    items = [_item(r, version) for r in requests]
    ids = [i.id if isinstance(i, SubRequest) else i["id"] for i in items]
    if len(set(ids)) != len(ids):
        raise bad_request("Batch request contains duplicate request ids.", "BadRequest")
    return items


def run_batch(items: list[SubRequest | Json], run: Runner) -> Reply:
    """Answer each item in order; the overall status is 200 whatever the items' statuses (JSON bodies, not base64)."""
    responses = []
    for item in items:
        if not isinstance(item, SubRequest):
            responses.append(item)
            continue
        reply = run(item.method, item.version, item.path, item.query, item.body)
        headers = {"Content-Type": "application/json", **reply.headers}
        responses.append({"id": item.id, "status": reply.status, "headers": headers, "body": reply.body})
    return Reply(200, {"responses": responses})
