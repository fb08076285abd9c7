"""Entra normalizers on recorded, scrubbed Graph JSON: pure functions, no emulator."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.entra.normalize import Snapshot, parse_time, records
from scanner.model import Credential, Grant, Identity, TrustKind

FIXTURES = Path(__file__).parent / "fixtures" / "entra"
TENANT = "6f1b2c3d-8a9e-4b7c-9d2e-0a1b2c3d4e5f"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CANARY = "SHADOWSWEEP-CANARY-entra-secret-value"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def snapshot(*, sign_ins: bool = True) -> Snapshot:
    grants = load("grants.json")
    apps = load("applications.json")["value"]
    owners = {a["id"]: [o["id"] for o in a.pop("owners", [])] for a in apps}
    people = {o["id"]: o for a in load("applications.json")["value"] for o in a.get("owners", [])}
    return Snapshot(
        tenant_id=TENANT,
        domains=("contoso.example",),
        service_principals=load("service_principals.json")["value"],
        applications=apps,
        federated={a["id"]: a["federatedIdentityCredentials"] for a in load("federated.json")["value"]},
        app_role_assignments={s["id"]: s["appRoleAssignments"] for s in grants["assignments"]["value"]},
        grants=grants["oauth2PermissionGrants"]["value"],
        role_definitions={r["id"]: r for r in grants["roleDefinitions"]["value"]},
        role_assignments=grants["roleAssignments"]["value"],
        sign_ins={a["appId"]: a for a in grants["signIns"]["value"]} if sign_ins else None,
        owners=owners,
        people=people,
    )


def by_type(items: list[Any], kind: type) -> list[Any]:
    return [i for i in items if isinstance(i, kind)]


@pytest.fixture
def produced() -> list[Any]:
    return list(records(snapshot(), NOW))


def identity(produced: list[Any], name: str) -> Identity:
    return next(i for i in by_type(produced, Identity) if i.name == name)


@pytest.mark.parametrize(
    ("name", "kind", "owner_class"),
    [
        ("Microsoft Graph", "service_principal", "microsoft"),
        ("ChatGPT", "service_principal", "third-party"),
        ("HR Onboarding Agent", "agent_identity", "tenant"),
        ("Sales Copilot Agent", "service_principal", "tenant"),
        ("mi-summarizer", "managed_identity", "tenant"),
        ("orphan-app-without-sp", "application", "tenant"),
        ("Jane Doe", "user", None),
    ],
)
def test_identity_kinds_and_publisher_class(produced: list[Any], name: str, kind: str, owner_class: str | None) -> None:
    ident = identity(produced, name)
    assert ident.kind == kind and ident.scope == TENANT and ident.provider == "entra"
    assert ident.attributes.get("app_owner_class") == owner_class


def test_native_ids_let_the_registry_name_app_id_or_object_ids(produced: list[Any]) -> None:
    sales = identity(produced, "Sales Copilot Agent")
    assert sales.uid == "entra:service_principal:5f0c1d7e-0000-4000-8000-00000000d005"
    assert set(sales.native_ids) == {
        "5f0c1d7e-0000-4000-8000-00000000d005",  # service principal object id
        "5f0c1d7e-0000-4000-8000-0000000ad005",  # appId
        "5f0c1d7e-0000-4000-8000-0000000aa005",  # application object id
    }
    assert sales.owners == ("5f0c1d7e-0000-4000-8000-0000000u0001",)
    assert sales.last_used_at == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_secrets_keep_ids_hints_and_dates_never_values(produced: list[Any]) -> None:
    creds = {c.native_id: c for c in by_type(produced, Credential)}
    secret = creds["5f0c1d7e-0000-4000-8000-00000000aaa1"]
    assert (secret.kind, secret.identity_uid) == ("secret", identity(produced, "Sales Copilot Agent").uid)
    assert secret.expires_at == datetime(2028, 11, 17, 11, 41, 55, 500000, tzinfo=UTC)
    assert secret.active and secret.last_used_at == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert all(CANARY not in repr(record) for record in produced)


def test_signing_certificates_are_not_client_credentials(produced: list[Any]) -> None:
    ids = {c.native_id for c in by_type(produced, Credential)}
    assert "5f0c1d7e-0000-4000-8000-00000000e0e0" not in ids  # usage Sign: Entra's SAML signing key
    expired = next(c for c in by_type(produced, Credential) if c.native_id == "5f0c1d7e-0000-4000-8000-00000000bbb1")
    assert expired.kind == "certificate" and expired.active is False  # past its end date


def test_federated_credentials_become_trusts_and_credentials(produced: list[Any]) -> None:
    sales = identity(produced, "Sales Copilot Agent")
    (trust,) = sales.trusts
    assert trust.kind is TrustKind.FEDERATED and trust.principal == "token.actions.githubusercontent.com"
    assert trust.subjects == ("repo:acme/agents:ref:refs/heads/main",)
    fic = next(c for c in by_type(produced, Credential) if c.kind == "federated")
    assert fic.identity_uid == sales.uid and fic.usage_visible is False


def test_grants_resolve_permission_names_and_consent_holders(produced: list[Any]) -> None:
    grants = {g.kind: g for g in by_type(produced, Grant)}
    assert grants["app-role"].permissions == ("Mail.Read",)  # a name, not the appRole GUID
    assert "Microsoft Graph" in grants["app-role"].name
    consent = grants["delegated-consent"]
    assert consent.subject_uid == identity(produced, "ChatGPT").uid  # a consent belongs to its client
    assert consent.permissions == ("openid", "profile", "email", "offline_access", "User.Read", "Mail.Read")
    assert consent.attributes["consent_type"] == "Principal"
    roles = [g for g in by_type(produced, Grant) if g.kind == "directory-role"]
    assert [g.permissions for g in roles] == [("Global Administrator",)]  # the user's role is not an NHI grant


def test_without_sign_in_activity_last_use_is_none(produced: list[Any]) -> None:
    quiet = list(records(snapshot(sign_ins=False), NOW))
    assert all(c.last_used_at is None for c in by_type(quiet, Credential))
    assert identity(quiet, "Sales Copilot Agent").last_used_at is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-25T10:00:00Z", datetime(2026, 11, 25, 10, 0, tzinfo=UTC)),
        ("2028-11-17T11:41:55.1234567Z", datetime(2028, 11, 17, 11, 41, 55, 123456, tzinfo=UTC)),
        ("2026-11-25T10:00:00+01:00", datetime(2026, 11, 25, 9, 0, tzinfo=UTC)),
        ("", None),
        (None, None),
        ("not a date", None),
    ],
)
def test_graph_timestamps(text: str | None, expected: datetime | None) -> None:
    assert parse_time(text) == expected
