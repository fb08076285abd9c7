"""A per-partition cache of AWS-managed policy documents, shared by every account of a scan."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

Policies = list[dict[str, Any]]


class ManagedPolicyCache:
    """AWS-managed policies are identical in every account of a partition: fetch each one once.

    GAAD with Filter=AWSManagedPolicy answers with (at least) the AWS-managed policies attached in the
    calling account, so an account fetches only when it attaches a policy no earlier account did.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_partition: dict[str, dict[str, dict[str, Any]]] = {}

    def ensure(self, partition: str, needed: Iterable[str], fetch: Callable[[], Policies | None]) -> Policies:
        """The cached policies among `needed`, fetching once under the lock when any is missing."""
        needed = set(needed)
        with self._lock:
            known = self._by_partition.setdefault(partition, {})
            if needed - known.keys():
                for policy in fetch() or []:
                    known[policy["Arn"]] = policy
            return [known[arn] for arn in sorted(needed) if arn in known]
