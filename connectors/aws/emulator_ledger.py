"""Thread-safe bookkeeping of the AWS emulator: call counts per account and operation, and injected faults."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict

from connectors.aws.emulator_wire import RequestInfo

_DENY_CODES = {"json": "AccessDeniedException", "rest-json": "AccessDeniedException", "ec2": "UnauthorizedOperation"}
_THROTTLE_CODES = {"json": "ThrottlingException", "rest-json": "ThrottlingException", "ec2": "RequestLimitExceeded"}
Fault = tuple[int, str, str]  # HTTP status, AWS error code, message


def checked_operation(operation: str) -> str:
    """Validate a "service:Operation" key."""
    if ":" not in operation:
        raise ValueError(f'operation must be "service:Operation", got {operation!r}')
    return operation


def _arn_account(arn: str | None) -> str | None:
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 else None


class CallLedger:
    """Requests seen, by account and "service:Operation", plus the ones moto could not serve."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, Counter[str]] = defaultdict(Counter)
        self._unsupported: Counter[str] = Counter()

    def record(self, info: RequestInfo) -> None:
        """Count one request."""
        with self._lock:
            self._counts[info.account][info.key] += 1

    def record_unsupported(self, info: RequestInfo) -> None:
        """Note a request moto does not implement."""
        with self._lock:
            self._unsupported[info.key] += 1

    def counts(self) -> dict[str, dict[str, int]]:
        """A copy of the counts: {account_id: {"service:Operation": n}}."""
        with self._lock:
            return {account: dict(ops) for account, ops in self._counts.items()}

    def total(self, account: str | None = None) -> int:
        """Requests in one account, or in all of them."""
        with self._lock:
            if account is not None:
                return sum(self._counts.get(account, Counter()).values())
            return sum(sum(ops.values()) for ops in self._counts.values())

    def unsupported(self) -> dict[str, int]:
        """Unimplemented operations that were called."""
        with self._lock:
            return dict(self._unsupported)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._counts.clear()
            self._unsupported.clear()


class FaultPlan:
    """Injected faults: denials (permanent), throttles (counted down) and AssumeRole denials by target account."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._denied: set[tuple[str, str | None]] = set()
        self._throttled: dict[tuple[str, str | None], int] = {}
        self._deny_assume: set[str] = set()

    def deny(self, operation: str, account: str | None) -> None:
        """Deny an operation in one account (None: every account)."""
        with self._lock:
            self._denied.add((checked_operation(operation), account))

    def throttle(self, operation: str, account: str | None, times: int) -> None:
        """Throttle an operation the next `times` times."""
        with self._lock:
            key = (checked_operation(operation), account)
            self._throttled[key] = self._throttled.get(key, 0) + times

    def deny_assume_role(self, target_account: str) -> None:
        """Deny sts:AssumeRole into roles of target_account."""
        with self._lock:
            self._deny_assume.add(target_account)

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._denied.clear()
            self._throttled.clear()
            self._deny_assume.clear()

    def match(self, info: RequestInfo) -> Fault | None:
        """The fault this request gets, if any; a matching throttle is used up."""
        denied = (
            403,
            _DENY_CODES.get(info.protocol, "AccessDenied"),
            f"User is not authorized to perform: {info.key} because no identity-based policy allows it",
        )
        scopes = (info.account, None)
        with self._lock:
            if info.key == "sts:AssumeRole" and _arn_account(info.params.get("RoleArn")) in self._deny_assume:
                return denied
            if any((info.key, scope) in self._denied for scope in scopes):
                return denied
            for scope in scopes:
                if self._throttled.get((info.key, scope), 0) > 0:
                    self._throttled[(info.key, scope)] -= 1
                    return 400, _THROTTLE_CODES.get(info.protocol, "Throttling"), "Rate exceeded"
        return None
