"""IAM service-specific credentials (Bedrock long-term API keys), which moto does not implement."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.iam import models as iam_models
from moto.iam.exceptions import LimitExceededException, NoSuchEntity
from moto.iam.utils import generate_access_key_id_from_account_id, random_alphanumeric

from connectors.aws.emulator_iam import AWS_MAX_ITEMS_CAP, page_items
from connectors.aws.emulator_state import naive_utc

BEDROCK = "bedrock.amazonaws.com"
ALIAS_SERVICES = {BEDROCK, "logs.amazonaws.com"}  # services whose keys carry a ServiceCredentialAlias
PER_USER_AND_SERVICE_LIMIT = 2
_STORE_ATTR = "_shadowsweep_service_specific_credentials"  # lives on the IAM backend, so a moto reset clears it


def store(backend: iam_models.IAMBackend) -> dict[str, dict[str, Any]]:
    """The credentials of one account, by ServiceSpecificCredentialId."""
    found: dict[str, dict[str, Any]] = backend.__dict__.setdefault(_STORE_ATTR, {})
    return found


def add_credential(
    backend: iam_models.IAMBackend,
    user_name: str,
    service_name: str,
    *,
    created: datetime | None = None,
    active: bool = True,
    expires: datetime | None = None,
) -> dict[str, Any]:
    """Create one credential record for an existing user and return it."""
    backend.get_user(user_name)  # NoSuchEntity, as AWS answers
    creds = store(backend)
    same = [c for c in creds.values() if c["UserName"] == user_name and c["ServiceName"] == service_name]
    if len(same) >= PER_USER_AND_SERVICE_LIMIT:
        raise LimitExceededException(
            f"Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: {PER_USER_AND_SERVICE_LIMIT}"
        )
    created_at = naive_utc(created) if created else utcnow()
    cred_id = generate_access_key_id_from_account_id(backend.account_id, prefix="ACCA", total_length=21)
    record: dict[str, Any] = {
        "UserName": user_name,
        "Status": "Active" if active else "Inactive",
        "ServiceUserName": f"{user_name}-at-{backend.account_id}",
        "CreateDate": created_at,
        "ServiceSpecificCredentialId": cred_id,
        "ServiceName": service_name,
    }
    if service_name in ALIAS_SERVICES:
        record["ServiceCredentialAlias"] = f"{user_name}+{created_at:%Y%m%d}-v1"
    if expires is not None:
        record["ExpirationDate"] = naive_utc(expires)
    creds[cred_id] = record
    return record


def _find(backend: iam_models.IAMBackend, cred_id: str, user_name: str | None) -> dict[str, Any]:
    record = store(backend).get(cred_id)
    if record is None or (user_name and record["UserName"] != user_name):
        raise NoSuchEntity(f"No such credential {cred_id} exists")
    return record


def _caller_user(response: Any) -> str | None:
    user = response.backend.get_user_from_access_key_id(response.get_access_key())
    return user.name if user else None


def list_service_specific_credentials(self: Any) -> ActionResult:
    """ListServiceSpecificCredentials: UserName, or AllUsers, or the calling user; ServiceName; paging."""
    user_name = self._get_param("UserName")
    all_users = self._get_bool_param("AllUsers", False)
    if user_name:
        self.backend.get_user(user_name)
    elif not all_users:
        user_name = _caller_user(self)
        if user_name is None:
            return ActionResult({"ServiceSpecificCredentials": [], "IsTruncated": False})
    service = self._get_param("ServiceName")
    found = [
        dict(c)
        for c in store(self.backend).values()
        if (not user_name or c["UserName"] == user_name) and (not service or c["ServiceName"] == service)
    ]
    found.sort(key=lambda c: (c["UserName"], c["CreateDate"], c["ServiceSpecificCredentialId"]))
    page, marker = page_items(found, self._get_param("Marker"), self._get_int_param("MaxItems"), AWS_MAX_ITEMS_CAP)
    result: dict[str, Any] = {"ServiceSpecificCredentials": page, "IsTruncated": marker is not None}
    if marker:
        result["Marker"] = marker
    return ActionResult(result)


def create_service_specific_credential(self: Any) -> ActionResult:
    """CreateServiceSpecificCredential; the secret is returned once, as AWS does, and not stored."""
    service = self._get_param("ServiceName")
    age_days = self._get_int_param("CredentialAgeDays")
    expires = utcnow() + timedelta(days=age_days) if age_days else None
    record = dict(add_credential(self.backend, self._get_param("UserName"), service, expires=expires))
    secret_key = "ServiceCredentialSecret" if service in ALIAS_SERVICES else "ServicePassword"
    record[secret_key] = random_alphanumeric(44)
    return ActionResult({"ServiceSpecificCredential": record})


def update_service_specific_credential(self: Any) -> EmptyResult:
    """UpdateServiceSpecificCredential (Status)."""
    record = _find(self.backend, self._get_param("ServiceSpecificCredentialId"), self._get_param("UserName"))
    record["Status"] = self._get_param("Status")
    return EmptyResult()


def delete_service_specific_credential(self: Any) -> EmptyResult:
    """DeleteServiceSpecificCredential."""
    record = _find(self.backend, self._get_param("ServiceSpecificCredentialId"), self._get_param("UserName"))
    del store(self.backend)[record["ServiceSpecificCredentialId"]]
    return EmptyResult()


def install(response_class: type) -> None:
    """Add the operations to moto's IAM response class."""
    response_class.list_service_specific_credentials = list_service_specific_credentials  # type: ignore[attr-defined]
    response_class.create_service_specific_credential = create_service_specific_credential  # type: ignore[attr-defined]
    response_class.update_service_specific_credential = update_service_specific_credential  # type: ignore[attr-defined]
    response_class.delete_service_specific_credential = delete_service_specific_credential  # type: ignore[attr-defined]
