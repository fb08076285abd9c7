"""A per-partition cache of AWS-managed policy documents, fetched once per scan across accounts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

Policies = list[dict[str, Any]]


class ManagedPolicyCache:
    """AWS-managed policies are identical in every account of a partition: fetch them once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_partition: dict[str, Policies] = {}

    def get(self, partition: str, fetch: Callable[[], Policies | None]) -> Policies | None:
        """The cached policies, fetching under the lock the first time (a failed fetch is retried later)."""
        with self._lock:
            if partition not in self._by_partition:
                fetched = fetch()
                if fetched is None:
                    return None
                self._by_partition[partition] = fetched
            return self._by_partition[partition]
