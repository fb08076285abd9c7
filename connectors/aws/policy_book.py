"""Managed policy documents by ARN, each version parsed once for the whole scan."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.aws.policy import allowed_patterns, statements
from scanner.model import Statement

Parsed = tuple[tuple[Statement, ...], tuple[str, ...]]  # statements and allowed patterns


def _parse(document: Any) -> Parsed:
    stmts = statements(document) if document is not None else ()
    return stmts, allowed_patterns(stmts)


_BY_VERSION: OrderedDict[tuple[str, str], Parsed] = OrderedDict()
_BY_VERSION_SIZE = 4096
_BY_VERSION_LOCK = threading.Lock()


def _parse_version(arn: str, version: str, document: Any) -> Parsed:
    """A policy version is immutable in IAM, so (ARN, version) names one content: every account shares its parse.

    AWS-managed policies are read in every account; an organization of 1,000 accounts parses each of them once.
    """
    key = (arn, version)
    with _BY_VERSION_LOCK:  # accounts are normalized on several threads
        found = _BY_VERSION.get(key)
        if found is not None:
            _BY_VERSION.move_to_end(key)
            return found
    parsed = _parse(document)
    with _BY_VERSION_LOCK:
        found = _BY_VERSION.setdefault(key, parsed)
        if len(_BY_VERSION) > _BY_VERSION_SIZE:
            _BY_VERSION.popitem(last=False)
    return found


@dataclass
class PolicyBook:
    """Managed policy documents by ARN: the account's own plus the partition's AWS-managed ones."""

    documents: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    _parsed: dict[str, Parsed] = field(default_factory=dict)

    def parsed(self, arn: str) -> Parsed:
        """A managed policy's statements and allowed patterns, parsed once and shared by every attachment."""
        found = self._parsed.get(arn)
        if found is None:
            version = self.versions.get(arn)
            found = self._parsed[arn] = (
                _parse_version(arn, version, self.documents[arn]) if version else _parse(self.documents.get(arn))
            )
        return found

    def add_gaad_policies(self, policies: Sequence[Mapping[str, Any]]) -> None:
        """File the default version of each managed policy from GAAD's Policies list."""
        for policy in policies:
            arn = policy.get("Arn", "")
            default = next((v for v in policy.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), None)
            if arn and default is not None:
                self.documents[arn] = default.get("Document")
                if default.get("VersionId"):
                    self.versions[arn] = str(default["VersionId"])
                self.names[arn] = policy.get("PolicyName") or arn.rsplit("/", 1)[-1]
