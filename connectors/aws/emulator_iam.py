"""moto IAM patches for the emulator: AWS-style paging, a small set of AWS managed policies, an AWS-like report."""

from __future__ import annotations

import base64
import functools
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult
from moto.iam import models as iam_models
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.exceptions import InvalidInput
from moto.iam.responses import IamResponse
from moto.iam.utils import generate_access_key_id_from_account_id
from moto.settings import load_iam_aws_managed_policies

DEFAULT_MANAGED_POLICIES: tuple[str, ...] = (
    "AdministratorAccess",
    "PowerUserAccess",
    "ReadOnlyAccess",
    "SecurityAudit",
    "IAMFullAccess",
    "AmazonS3ReadOnlyAccess",
    "AmazonS3FullAccess",
    "AmazonDynamoDBFullAccess",
    "AmazonBedrockFullAccess",
    "AmazonBedrockReadOnly",
    "AmazonBedrockLimitedAccess",
    "BedrockAgentCoreFullAccess",
    "AmazonSageMakerFullAccess",
    "AWSLambdaBasicExecutionRole",
)
AWS_DEFAULT_MAX_ITEMS = 100
AWS_MAX_ITEMS_CAP = 1000

# Used only when moto's bundled data lacks a policy (older moto releases); shaped like the real documents.
_SYNTHETIC_POLICIES: dict[str, dict[str, Any]] = {
    "AmazonBedrockLimitedAccess": {
        "CreateDate": "2025-06-29T22:22:06+00:00",
        "UpdateDate": "2025-06-29T22:22:06+00:00",
        "DefaultVersionId": "v1",
        "Path": "/",
        "Document": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "BedrockAPIs",
                    "Effect": "Allow",
                    "Action": ["bedrock:Get*", "bedrock:List*", "bedrock:CallWithBearerToken", "bedrock:InvokeModel*"],
                    "Resource": "*",
                }
            ],
        },
    },
    "BedrockAgentCoreFullAccess": {
        "CreateDate": "2025-07-16T13:37:07+00:00",
        "UpdateDate": "2025-07-16T13:37:07+00:00",
        "DefaultVersionId": "v1",
        "Path": "/",
        "Document": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "BedrockAgentCoreFullAccess",
                    "Effect": "Allow",
                    "Action": "bedrock-agentcore:*",
                    "Resource": "*",
                }
            ],
        },
    },
}


@dataclass(frozen=True)
class IamSettings:
    """Per-emulator IAM behaviour; moto's state is process-wide, so the last started emulator's settings apply."""

    gaad_page_size: int = AWS_DEFAULT_MAX_ITEMS
    managed_policies: tuple[str, ...] = DEFAULT_MANAGED_POLICIES


_active: list[IamSettings] = []
_patch_lock = threading.Lock()
_original_init_aws_policies = iam_models.IAMBackend._init_aws_policies


def activate(settings: IamSettings) -> None:
    """Make these settings the active ones (until deactivate)."""
    install_patches()
    _active.append(settings)


def deactivate(settings: IamSettings) -> None:
    """Drop these settings; an earlier running emulator's settings apply again."""
    if settings in _active:
        _active.remove(settings)


def active_settings() -> IamSettings | None:
    """Settings of the most recently started emulator that is still running."""
    return _active[-1] if _active else None


@functools.cache
def managed_policy_data() -> dict[str, Any]:
    """moto's AWS managed policy data, parsed once (about 0.4 s), plus synthetic fallbacks."""
    data: dict[str, Any] = dict(_SYNTHETIC_POLICIES)
    data.update(json.loads(aws_managed_policies_data))
    return data


def check_managed_policy_names(names: Iterable[str]) -> None:
    """Raise ValueError naming every AWS managed policy that neither moto nor the fallbacks know."""
    unknown = [n for n in names if n not in managed_policy_data()]
    if unknown:
        raise ValueError(f"unknown AWS managed policies: {', '.join(unknown)}")


def build_managed_policies(names: Iterable[str], account_id: str, region: str) -> list[iam_models.ManagedPolicy]:
    """AWS managed policy objects for one IAM backend."""
    names = list(names)
    check_managed_policy_names(names)
    data = managed_policy_data()
    return [iam_models.AWSManagedPolicy.from_data(n, account_id, region, data[n]) for n in names]


def ensure_managed_policies(backend: iam_models.IAMBackend, names: Sequence[str]) -> None:
    """Add the named AWS managed policies a backend does not have yet."""
    have = {p.name for p in backend.aws_managed_policies}
    missing = [n for n in names if n not in have]
    for policy in build_managed_policies(missing, backend.account_id, backend.region_name):
        backend.aws_managed_policies.append(policy)
        backend.managed_policies[policy.arn] = policy


def add_to_existing_backends(names: Sequence[str]) -> None:
    """Give IAM backends created before the emulator started the named AWS managed policies."""
    for account in list(iam_models.iam_backends.keys()):
        ensure_managed_policies(iam_models.iam_backends[account]["global"], names)


def _init_aws_policies(self: iam_models.IAMBackend) -> list[iam_models.ManagedPolicy]:
    settings = active_settings()
    if load_iam_aws_managed_policies() or settings is None:
        return list(_original_init_aws_policies(self))
    return build_managed_policies(settings.managed_policies, self.account_id, self.region_name)


def _decode_marker(marker: str | None) -> int:
    if not marker:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(marker.encode()))["offset"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"Invalid Marker: {marker}") from exc


def _encode_marker(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def page_items(items: list[Any], marker: str | None, max_items: int | None, cap: int) -> tuple[list[Any], str | None]:
    """One page of items and the marker of the next page, like IAM's MaxItems/Marker."""
    start = _decode_marker(marker)
    limit = max(1, min(max_items or AWS_DEFAULT_MAX_ITEMS, AWS_MAX_ITEMS_CAP, cap))
    end = start + limit
    return items[start:end], (_encode_marker(end) if end < len(items) else None)


def _listed_policies(policies: Iterable[iam_models.ManagedPolicy]) -> list[iam_models.ManagedPolicy]:
    """GAAD lists customer managed policies, and only those AWS managed policies that are attached."""
    kept = [p for p in policies if not isinstance(p, iam_models.AWSManagedPolicy) or p.attachment_count > 0]
    return sorted(kept, key=lambda p: p.arn)


def get_account_authorization_details(self: IamResponse) -> ActionResult:
    """GAAD with AWS-style paging through users, groups, roles, then policies."""
    details = self.backend.get_account_authorization_details(self._get_param("Filter", []))
    sections: list[tuple[str, list[Any]]] = [
        ("UserDetailList", sorted(details["users"], key=lambda u: u.name)),
        ("GroupDetailList", sorted(details["groups"], key=lambda g: g.name)),
        ("RoleDetailList", sorted(details["roles"], key=lambda r: r.name)),
        ("Policies", _listed_policies(details["managed_policies"])),
    ]
    items = [(key, obj) for key, objs in sections for obj in objs]
    settings = active_settings()
    cap = settings.gaad_page_size if settings else AWS_MAX_ITEMS_CAP
    page, marker = page_items(items, self._get_param("Marker"), self._get_int_param("MaxItems"), cap)
    result: dict[str, Any] = {key: [obj for k, obj in page if k == key] for key, _ in sections}
    result["IsTruncated"] = marker is not None
    if marker:
        result["Marker"] = marker
    return ActionResult(result)


def list_users(self: IamResponse) -> ActionResult:
    """ListUsers honouring MaxItems and Marker."""
    users = list(self.backend.list_users(self._get_param("PathPrefix"), None, None))
    page, marker = page_items(users, self._get_param("Marker"), self._get_int_param("MaxItems"), AWS_MAX_ITEMS_CAP)
    result: dict[str, Any] = {"Users": page, "IsTruncated": marker is not None}
    if marker:
        result["Marker"] = marker
    return ActionResult(result)


def _aws_like_user_id(init: Any) -> Any:
    """moto gives users 20 lowercase characters; AWS's UserId is AIDA and 17 more, as a RoleId is AROA and 17."""

    def patched(self: iam_models.User, account_id: str, region_name: str, *args: Any, **kwargs: Any) -> None:
        init(self, account_id, region_name, *args, **kwargs)
        self.id = generate_access_key_id_from_account_id(account_id=account_id, prefix="AIDA", total_length=21)

    return patched


def install_patches() -> None:
    """Apply every IAM patch once; later calls do nothing."""
    from connectors.aws import emulator_ssc, emulator_state

    with _patch_lock:
        if getattr(IamResponse, "_shadowsweep_patched", False):
            return
        iam_models.ManagedPolicy.policy_name = property(lambda self: self.name)  # GAAD Policies[].PolicyName
        iam_models.ManagedPolicy.policy_id = property(lambda self: self.id)  # GAAD Policies[].PolicyId
        iam_models.IAMBackend._init_aws_policies = _init_aws_policies
        iam_models.User.to_csv = emulator_state.user_to_csv
        iam_models.User.__init__ = _aws_like_user_id(iam_models.User.__init__)  # type: ignore[method-assign]
        IamResponse.get_account_authorization_details = get_account_authorization_details
        IamResponse.list_users = list_users
        emulator_ssc.install(IamResponse)
        IamResponse._shadowsweep_patched = True
