"""Direct access to moto's IAM state: dates the API cannot set, and an AWS-like credential report row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from moto.iam import models as iam_models
from moto.utilities.utils import get_partition

REPORT_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"
EntityKind = Literal["user", "role", "group", "policy"]


def naive_utc(when: datetime) -> datetime:
    """moto stores naive UTC datetimes; convert an aware one (naive ones are taken as UTC)."""
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def iam_backend(account: str) -> iam_models.IAMBackend:
    """The moto IAM backend of one account (partition aws)."""
    return iam_models.iam_backends[account]["global"]


def set_access_key_dates(
    account: str,
    user_name: str,
    access_key_id: str,
    *,
    created: datetime | None = None,
    last_used: datetime | None = None,
    last_used_service: str = "iam",
    last_used_region: str = "us-east-1",
) -> None:
    """Set an access key's creation and last-used data (GetAccessKeyLastUsed, credential report)."""
    user = iam_backend(account).get_user(user_name)
    key = next((k for k in user.access_keys if k.access_key_id == access_key_id), None)
    if key is None:
        raise KeyError(f"user {user_name} in {account} has no access key {access_key_id}")
    if created is not None:
        key.create_date = naive_utc(created)
    if last_used is not None:
        key.last_used = iam_models.AccessKeyLastUsed(naive_utc(last_used), last_used_service, last_used_region)


def set_role_last_used(account: str, role_name: str, when: datetime, region: str = "us-east-1") -> None:
    """Set RoleLastUsed (GetRole, GAAD)."""
    role = iam_backend(account).get_role(role_name)
    role.last_used = naive_utc(when)
    role.last_used_region = region


def set_user_password_last_used(account: str, user_name: str, when: datetime) -> None:
    """Set PasswordLastUsed (GetUser, credential report)."""
    iam_backend(account).get_user(user_name).password_last_used = naive_utc(when)


def set_created(account: str, kind: EntityKind, name: str, when: datetime) -> None:
    """Set the CreateDate of a user, role, group or customer managed policy."""
    backend = iam_backend(account)
    stamp = naive_utc(when)
    if kind == "policy":
        policy = next(
            (
                p
                for p in backend.managed_policies.values()
                if p.name == name and not isinstance(p, iam_models.AWSManagedPolicy)
            ),
            None,
        )
        if policy is None:
            raise KeyError(f"no customer managed policy {name} in {account}")
        policy.create_date = policy.update_date = stamp
        for version in policy.versions:
            version.create_date = stamp
        return
    getters = {"user": backend.get_user, "role": backend.get_role, "group": backend.get_group}
    entity: Any = getters[kind](name)
    entity.create_date = stamp


def _date(value: datetime | None) -> str:
    return value.strftime(REPORT_DATE_FORMAT) if value else "N/A"


def _key_columns(key: iam_models.AccessKey | None) -> list[str]:
    """active, last_rotated, last_used_date, last_used_region, last_used_service."""
    if key is None:
        return ["false", "N/A", "N/A", "N/A", "N/A"]
    used: Any = key.last_used
    if isinstance(used, iam_models.AccessKeyLastUsed):
        usage = [_date(used.timestamp), used.region or "N/A", used.service or "N/A"]
    elif isinstance(used, datetime):
        usage = [_date(used), "N/A", "N/A"]
    else:
        usage = ["N/A", "N/A", "N/A"]
    return ["true" if key.status == "Active" else "false", _date(key.create_date), *usage]


def _password_columns(user: iam_models.User) -> list[str]:
    """password_enabled, password_last_used, password_last_changed, password_next_rotation."""
    if not user.password:
        return ["false", "N/A", "N/A", "N/A"]
    changed: datetime = getattr(user, "password_last_changed", None) or user.create_date
    policy = iam_models.iam_backends[user.account_id][get_partition(user.region_name)].account_password_policy
    max_age = getattr(policy, "max_password_age", None) if policy else None
    next_rotation = _date(changed + timedelta(days=max_age)) if max_age else "N/A"
    last_used = _date(user.password_last_used) if user.password_last_used else "no_information"
    return ["true", last_used, _date(changed), next_rotation]


def user_to_csv(self: iam_models.User) -> str:
    """One credential report row with the values AWS writes (moto writes not_supported for several)."""
    keys: list[iam_models.AccessKey | None] = [*self.access_keys[:2], None, None]
    certs = list(self.signing_certificates.values())[:2]
    cert_columns: list[str] = []
    for index in range(2):
        cert = certs[index] if index < len(certs) else None
        cert_columns += ["true", _date(cert.upload_date)] if cert and cert.status == "Active" else ["false", "N/A"]
    fields = [
        self.name,
        self.arn,
        _date(self.create_date),
        *_password_columns(self),
        "true" if self.mfa_devices else "false",
        *_key_columns(keys[0]),
        *_key_columns(keys[1]),
        *cert_columns,
    ]
    return ",".join(fields) + "\n"
