"""Thread-safe fault injection and request log of the Graph emulator (never holding the bearer token)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from connectors.entra.emulator_odata import GraphError

_DEFAULT_ERRORS: dict[int, tuple[str, str]] = {
    400: ("Request_BadRequest", "Invalid request."),
    401: ("InvalidAuthenticationToken", "Access token validation failure."),
    403: ("Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
    404: ("Request_ResourceNotFound", "Resource does not exist."),
    429: ("TooManyRequests", "Too many requests. Please retry again later."),
    500: ("UnknownError", "An internal server error occurred."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceUnavailable", "Service is unavailable. Retry later."),
    504: ("GatewayTimeout", "Gateway timeout."),
}


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the emulator answered: top-level HTTP requests and $batch sub-requests (in_batch=True)."""

    method: str
    path: str  # without /v1.0 or /beta, e.g. "/servicePrincipals"
    query: str  # raw query string as sent
    status: int
    version: str = "v1.0"
    is_batch: bool = False  # the outer POST /$batch request
    batch_size: int = 0  # number of sub-requests of that $batch
    in_batch: bool = False  # a sub-request inside a $batch


@dataclass
class _Fault:
    prefix: str
    status: int
    remaining: int | None  # None: permanent
    retry_after: float | None
    code: str | None


def format_retry_after(seconds: float) -> str:
    """Retry-After in whole seconds when it is whole (what Graph sends), else as a decimal."""
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


class FaultPlan:
    """Planned failures by path prefix: count-limited ones from inject(), permanent ones from deny()."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []

    def inject(self, prefix: str, status: int, count: int, retry_after: float | None, code: str | None) -> None:
        """Fail the next `count` requests under `prefix`."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(_Fault(_normal(prefix), status, count, retry_after, code))

    def deny(self, prefix: str) -> None:
        """Answer every request under `prefix` with 403 until clear()."""
        with self._lock:
            self._faults.append(_Fault(_normal(prefix), 403, None, None, None))

    def clear(self) -> None:
        """Remove every planned fault."""
        with self._lock:
            self._faults.clear()

    def take(self, path: str) -> GraphError | None:
        """The error for this request, consuming one use of the first matching fault; None when it should succeed."""
        key = path.lower()
        with self._lock:
            for fault in self._faults:
                if key.startswith(fault.prefix):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self._faults.remove(fault)
                    return _error(fault)
        return None


def _normal(prefix: str) -> str:
    """Lower-case, one leading slash, and no /v1.0 or /beta (faults apply to both versions)."""
    segments = [s for s in prefix.lower().split("/") if s]
    if segments and segments[0] in ("v1.0", "beta"):
        segments = segments[1:]
    return "/" + "/".join(segments)


def _error(fault: _Fault) -> GraphError:
    code, message = _DEFAULT_ERRORS.get(fault.status, ("UnknownError", "Error."))
    headers = {}
    if fault.status == 429 or fault.retry_after is not None:
        headers["Retry-After"] = format_retry_after(1 if fault.retry_after is None else fault.retry_after)
    return GraphError(fault.status, fault.code or code, message, headers)


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
