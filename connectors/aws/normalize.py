"""Pure mappers from AWS API shapes to normalized records; no SDK calls here."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.aws.policy import allowed_patterns, statements, trusts
from connectors.aws.policy_book import PolicyBook as PolicyBook  # re-exported for the connector and benchmarks
from scanner.model import Credential, Grant, Identity, Record, Workload
from scanner.times import parse_timestamp

PROVIDER = "aws"


def parse_time(value: Any) -> datetime | None:
    """A datetime from boto3 or from a credential-report cell ('N/A', 'no_information' mean none)."""
    return parse_timestamp(value)


def role_uid(arn: str) -> str:
    """Identity uid of a role."""
    return f"{PROVIDER}:role:{arn}"


def user_uid(arn: str) -> str:
    """Identity uid of a user."""
    return f"{PROVIDER}:user:{arn}"


def _tags(raw: Any) -> dict[str, str]:
    return {str(t.get("Key", "")): str(t.get("Value", "")) for t in raw or [] if isinstance(t, Mapping)}


@dataclass(frozen=True, kw_only=True)
class ReportRow:
    """One user's row of the credential report."""

    password_enabled: bool
    password_last_used: datetime | None
    keys: tuple[tuple[bool, datetime | None, datetime | None, str], ...]  # (active, rotated, last used, service)

    @property
    def has_keys(self) -> bool:
        """Whether any key slot, active or not, is in use."""
        return any(rotated is not None for _, rotated, _, _ in self.keys)


def parse_credential_report(content: bytes) -> dict[str, ReportRow]:
    """Rows of the IAM credential report by user ARN (the root account row is skipped)."""
    rows: dict[str, ReportRow] = {}
    for row in csv.DictReader(io.StringIO(content.decode("utf-8"))):
        if row.get("user") == "<root_account>":
            continue
        keys = tuple(
            (
                row.get(f"access_key_{n}_active", "false").lower() == "true",
                parse_time(row.get(f"access_key_{n}_last_rotated")),
                parse_time(row.get(f"access_key_{n}_last_used_date")),
                _service(row.get(f"access_key_{n}_last_used_service", "")),
            )
            for n in (1, 2)
        )
        rows[row["arn"]] = ReportRow(
            password_enabled=row.get("password_enabled", "false").lower() == "true",
            password_last_used=parse_time(row.get("password_last_used")),
            keys=keys,
        )
    return rows


def _service(value: str | None) -> str:
    return "" if not value or value in {"N/A", "not_supported", "no_information"} else value


_KIND_LABEL = {"managed-policy": "managed policy", "permissions-boundary": "permissions boundary"}


def _managed_grant(subject: str, scope: str, arn: str, book: PolicyBook, kind: str, via: str = "") -> Grant:
    stmts, patterns = book.parsed(arn)
    name = book.names.get(arn, arn.rsplit("/", 1)[-1])
    return Grant(
        uid=f"{subject}|{kind}|{via}|{arn}",
        subject_uid=subject,
        provider=PROVIDER,
        scope=scope,
        kind=kind,
        target=arn,
        name=f"group {via} policy {name}" if via else f"{_KIND_LABEL.get(kind, kind)} {name}",
        permissions=patterns,
        statements=stmts,
        attributes={"policy_arn": arn, "group": via},
    )


def _inline_grant(subject: str, scope: str, policy: Mapping[str, Any], kind: str, via: str = "") -> Grant:
    stmts = statements(policy.get("PolicyDocument"))
    name = str(policy.get("PolicyName", ""))
    label = f"group {via} inline policy {name}" if via else f"inline policy {name}"
    return Grant(
        uid=f"{subject}|{kind}|{via}|{name}",
        subject_uid=subject,
        provider=PROVIDER,
        scope=scope,
        kind=kind,
        target=f"{subject}#{via}/{name}" if via else f"{subject}#{name}",
        name=label,
        permissions=allowed_patterns(stmts),
        statements=stmts,
        attributes={"policy_name": name, "group": via},
    )


def _boundary(subject: str, scope: str, detail: Mapping[str, Any], book: PolicyBook) -> Iterator[Grant]:
    arn = (detail.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    if arn:
        yield _managed_grant(subject, scope, arn, book, "permissions-boundary")


def role_records(detail: Mapping[str, Any], scope: str, book: PolicyBook, description: str = "") -> Iterator[Record]:
    """A role from GAAD's RoleDetailList (its description from ListRoles), with its policies as grants."""
    arn = detail["Arn"]
    uid = role_uid(arn)
    last = detail.get("RoleLastUsed") or {}
    path = detail.get("Path", "/")
    yield Identity(
        uid=uid,
        provider=PROVIDER,
        kind="role",
        scope=scope,
        name=detail["RoleName"],
        native_ids=(arn, detail["RoleId"]),
        created_at=parse_time(detail.get("CreateDate")),
        last_used_at=parse_time(last.get("LastUsedDate")),
        description=description or str(detail.get("Description") or ""),
        tags=_tags(detail.get("Tags")),
        trusts=trusts(detail.get("AssumeRolePolicyDocument")),
        attributes={
            "path": path,
            "service_linked": path.startswith("/aws-service-role/"),
            "last_used_region": last.get("Region", ""),
        },
    )
    for policy in detail.get("RolePolicyList", []):
        yield _inline_grant(uid, scope, policy, "inline-policy")
    for attached in detail.get("AttachedManagedPolicies", []):
        yield _managed_grant(uid, scope, attached["PolicyArn"], book, "managed-policy")
    yield from _boundary(uid, scope, detail, book)


def user_records(
    detail: Mapping[str, Any],
    scope: str,
    book: PolicyBook,
    groups: Mapping[str, Mapping[str, Any]],
    report: ReportRow | None,
) -> Iterator[Record]:
    """A user from GAAD's UserDetailList, with its own and its groups' policies as grants."""
    arn = detail["Arn"]
    uid = user_uid(arn)
    used = [report.password_last_used] if report else []
    if report:
        used += [last for _, _, last, _ in report.keys]
    known = [u for u in used if u is not None]
    yield Identity(
        uid=uid,
        provider=PROVIDER,
        kind="user",
        scope=scope,
        name=detail["UserName"],
        native_ids=(arn, detail["UserId"]),
        created_at=parse_time(detail.get("CreateDate")),
        last_used_at=max(known) if known else None,
        human=bool(report and report.password_enabled),
        tags=_tags(detail.get("Tags")),
        attributes={"path": detail.get("Path", "/"), "groups": list(detail.get("GroupList", []))},
    )
    for policy in detail.get("UserPolicyList", []):
        yield _inline_grant(uid, scope, policy, "inline-policy")
    for attached in detail.get("AttachedManagedPolicies", []):
        yield _managed_grant(uid, scope, attached["PolicyArn"], book, "managed-policy")
    for group_name in detail.get("GroupList", []):
        group = groups.get(group_name, {})
        for policy in group.get("GroupPolicyList", []):
            yield _inline_grant(uid, scope, policy, "group-policy", via=group_name)
        for attached in group.get("AttachedManagedPolicies", []):
            yield _managed_grant(uid, scope, attached["PolicyArn"], book, "group-policy", via=group_name)
    yield from _boundary(uid, scope, detail, book)


def access_key_record(user_arn: str, scope: str, key: Mapping[str, Any], report: ReportRow | None) -> Credential:
    """An access key from ListAccessKeys, with last use from the credential report slot of the same age."""
    created = parse_time(key.get("CreateDate"))
    last_used, service = None, ""
    if report:
        slot = _report_slot(report, created)
        if slot is not None:
            last_used, service = slot[2], slot[3]
    key_id = key["AccessKeyId"]
    return Credential(
        uid=f"{PROVIDER}:access-key:{key_id}",
        identity_uid=user_uid(user_arn),
        provider=PROVIDER,
        scope=scope,
        kind="access_key",
        native_id=key_id,
        created_at=created,
        last_used_at=last_used,
        last_used_service=service,
        active=key.get("Status") == "Active",
    )


def _report_slot(
    report: ReportRow, created: datetime | None
) -> tuple[bool, datetime | None, datetime | None, str] | None:
    """The report's key slot whose rotation time is this key's creation time (to the second)."""
    if created is None:
        return None
    for slot in report.keys:
        if slot[1] is not None and abs((slot[1] - created).total_seconds()) < 2:
            return slot
    return None


def service_specific_record(scope: str, cred: Mapping[str, Any], user_arn: str) -> Credential:
    """A service-specific credential (a Bedrock long-term API key is one); AWS never reports its last use."""
    cred_id = cred["ServiceSpecificCredentialId"]
    return Credential(
        uid=f"{PROVIDER}:service-specific:{cred_id}",
        identity_uid=user_uid(user_arn),
        provider=PROVIDER,
        scope=scope,
        kind="service_specific",
        native_id=cred_id,
        service=str(cred.get("ServiceName", "")),
        created_at=parse_time(cred.get("CreateDate")),
        expires_at=parse_time(cred.get("ExpirationDate")),
        usage_visible=False,
        active=cred.get("Status") == "Active",
    )


def workload(
    *, kind: str, arn: str, name: str, role_arn: str, scope: str, region: str, env_names: tuple[str, ...] = ()
) -> Workload:
    """A runtime (agent, function, notebook) that runs as a role."""
    return Workload(
        uid=f"{PROVIDER}:{kind}:{arn}",
        provider=PROVIDER,
        kind=kind,
        scope=scope,
        name=name,
        runs_as_uid=role_uid(role_arn),
        region=region,
        native_ids=(arn,),
        env_var_names=env_names,
    )


def env_var_names(function: Mapping[str, Any]) -> tuple[str, ...]:
    """Names of a Lambda function's environment variables; values are never kept."""
    variables = (function.get("Environment") or {}).get("Variables") or {}
    return tuple(sorted(str(name) for name in variables))
