"""google.rpc.Status errors, fault injection and the request log of the GCP emulator (never holding the token)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from connectors.gcp.emulator_model import SERVICE_TITLES

Json = dict[str, Any]
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
STATUS_NAMES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_MESSAGES: dict[int, str] = {
    400: "Request contains an invalid argument.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    409: "The operation was aborted.",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
    504: "The request timed out. Please try again.",
}


class GcpError(Exception):
    """An error answered as google.rpc.Status JSON: {"error": {code, message, status, details}}."""

    def __init__(
        self, code: int, message: str, *, details: list[Json] | None = None, headers: dict[str, str] | None = None
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}

    def body(self) -> Json:
        """The JSON error body; details are left out when there are none, as GCP does."""
        error: Json = {"code": self.code, "message": self.message, "status": STATUS_NAMES.get(self.code, "UNKNOWN")}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def error_info(reason: str, metadata: dict[str, str], domain: str = "googleapis.com") -> Json:
    """A google.rpc.ErrorInfo detail."""
    return {"@type": ERROR_INFO, "reason": reason, "domain": domain, "metadata": metadata}


def invalid_argument(message: str, field_name: str | None = None) -> GcpError:
    """400 INVALID_ARGUMENT, with a BadRequest field violation when a field is named."""
    details: list[Json] = []
    if field_name is not None:
        violation = {"field": field_name, "description": message}
        details.append({"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]})
    return GcpError(400, message, details=details)


def not_found(message: str = _MESSAGES[404]) -> GcpError:
    """404 NOT_FOUND."""
    return GcpError(404, message)


def permission_denied(permission: str, resource: str) -> GcpError:
    """403 as IAM answers a missing permission, or a resource that does not exist (GCP does not tell them apart)."""
    message = f"Permission '{permission}' denied on resource '{resource}' (or it may not exist)."
    info = error_info("IAM_PERMISSION_DENIED", {"permission": permission, "resource": resource}, "iam.googleapis.com")
    return GcpError(403, message, details=[info])


def service_disabled(service: str, project_number: str) -> GcpError:
    """403 SERVICE_DISABLED: the API is not enabled on the consumer project."""
    title = SERVICE_TITLES.get(service, service)
    url = f"https://console.developers.google.com/apis/api/{service}/overview?project={project_number}"
    message = (
        f"{title} has not been used in project {project_number} before or it is disabled. Enable it by visiting "
        f"{url} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to "
        "our systems and retry."
    )
    metadata = {
        "service": service,
        "consumer": f"projects/{project_number}",
        "activationUrl": url,
        "serviceTitle": title,
        "containerInfo": project_number,
    }
    links = [{"description": "Google developers console API activation", "url": url}]
    help_detail = {"@type": "type.googleapis.com/google.rpc.Help", "links": links}
    return GcpError(403, message, details=[error_info("SERVICE_DISABLED", metadata), help_detail])


def unauthenticated(service: str) -> GcpError:
    """401 for a request without a bearer token."""
    message = (
        "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or "
        "other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
    )
    info = error_info("CREDENTIALS_MISSING", {"service": service})
    return GcpError(
        401, message, details=[info], headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
    )


def quota_exceeded(service: str, project_number: str, reason: str = "RATE_LIMIT_EXCEEDED") -> GcpError:
    """429 RESOURCE_EXHAUSTED as Service Control reports a per-minute read quota."""
    message = (
        f"Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service "
        f"'{service}' for consumer 'project_number:{project_number}'."
    )
    metadata = {
        "service": service,
        "consumer": f"projects/{project_number}",
        "quota_metric": f"{service}/read_requests",
        "quota_limit": "ReadRequestsPerMinutePerProject",
        "quota_location": "global",
    }
    return GcpError(429, message, details=[error_info(reason, metadata)])


def injected(status: int, service: str, project_number: str, reason: str | None) -> GcpError:
    """The error a planned fault answers with."""
    if status == 429:
        return quota_exceeded(service, project_number, reason or "RATE_LIMIT_EXCEEDED")
    details = [error_info(reason, {"service": service})] if reason else []
    return GcpError(status, _MESSAGES.get(status, "Error."), details=details)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the emulator answered; no header (so no token) is ever kept."""

    method: str
    path: str  # percent-decoded, without the query
    query: str  # raw query string as sent
    status: int
    api: str | None  # "cloudresourcemanager" | "iam" | "apikeys" | "cloudasset" | "policyanalyzer"; None: unrouted
    project: str | None = None  # the projectId the path names (as sent when it names an unknown project)


@dataclass
class _Fault:
    prefix: str
    status: int
    remaining: int | None  # None: until clear()
    reason: str | None


@dataclass
class FaultPlan:
    """Planned failures by path prefix, plus APIs disabled per project (None: everywhere)."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _faults: list[_Fault] = field(default_factory=list)
    _disabled: set[tuple[str, str | None]] = field(default_factory=set)

    def inject(self, prefix: str, status: int, count: int, reason: str | None) -> None:
        """Fail the next `count` requests under `prefix`."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(_Fault(_normal(prefix), status, count, reason))

    def deny(self, prefix: str) -> None:
        """Answer every request under `prefix` with 403 until clear()."""
        with self._lock:
            self._faults.append(_Fault(_normal(prefix), 403, None, "IAM_PERMISSION_DENIED"))

    def disable(self, service: str, project_id: str | None) -> None:
        """Treat `service` as disabled on one project, or on every project when project_id is None."""
        with self._lock:
            self._disabled.add((service, project_id))

    def is_disabled(self, service: str, project_id: str | None) -> bool:
        """True when `service` was disabled for this consumer project (or everywhere)."""
        with self._lock:
            return (service, None) in self._disabled or (service, project_id) in self._disabled

    def clear(self) -> None:
        """Remove every planned fault and re-enable every API."""
        with self._lock:
            self._faults.clear()
            self._disabled.clear()

    def take(self, path: str) -> tuple[int, str | None, bool] | None:
        """(status, reason, permanent) of the first fault matching `path`, consuming one use; None: no fault."""
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.prefix):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self._faults.remove(fault)
                    return fault.status, fault.reason, fault.remaining is None
        return None


def _normal(prefix: str) -> str:
    return prefix if prefix.startswith("/") else "/" + prefix


class RequestLog:
    """Every request answered, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        """Append one record."""
        with self._lock:
            self._records.append(record)

    def records(self) -> list[RequestRecord]:
        """A copy of the log."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()
