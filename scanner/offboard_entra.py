"""Entra offboarding: disable the service principal, delete its grants and consents, then remove its credentials."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any
from urllib.parse import quote

from scanner.offboard_model import Built, Draft, Facts, opt, safe, shown

CLI = "az"
GRAPH = "https://graph.microsoft.com/v1.0"
# grant kind -> (uid prefix, Graph path of the object to delete, action, what the deletion revokes)
_GRANTS = {
    "app-role": (
        "entra:app-role:",
        "servicePrincipals/{sp}/appRoleAssignments/{id}",
        "delete-app-role-assignment",
        "application permission",
    ),
    "delegated-consent": (
        "entra:consent:",
        "oauth2PermissionGrants/{id}",
        "delete-oauth2-permission-grant",
        "delegated consent",
    ),
    "directory-role": (
        "entra:directory-role:",
        "roleManagement/directory/roleAssignments/{id}",
        "delete-directory-role-assignment",
        "directory role",
    ),
}
# credential kind -> (action, noun, extra arguments)
_CREDENTIALS = {
    "secret": ("delete-password-credential", "client secret", ()),
    "certificate": ("delete-key-credential", "certificate credential", ("--cert",)),
}


def _segment(value: str) -> str:
    """One URL path segment: checked like any identifier, then percent-encoded so it cannot leave its place."""
    return quote(safe(value, CLI), safe="")


def _disable_draft(sp: str, name: str) -> Draft:
    reason = (
        f"disable service principal {name} ({sp}): Entra issues it no new tokens in this tenant, whatever "
        "credential it presents; re-enabling is possible if this was a mistake"
    )
    argv = ("az", "ad", "sp", "update", opt("--id", sp, CLI), "--set", "accountEnabled=false")
    return Draft("disable-service-principal", sp, reason, argv, True)


def _grant_draft(sp: str, grant: Mapping[str, Any]) -> Draft:
    prefix, path, action, noun = _GRANTS[str(grant.get("kind"))]
    uid = str(grant.get("uid", ""))
    object_id = uid[len(prefix) :] if uid.startswith(prefix) else ""
    url = f"{GRAPH}/" + path.format(sp=_segment(sp), id=_segment(object_id))
    reason = f"delete the {noun} ({grant.get('name', '')}): no new token carries it"
    return Draft(action, object_id, reason, ("az", "rest", "--method=delete", opt("--url", url, CLI)), True, "grant")


def _credential_draft(app_id: str, cred: Mapping[str, Any]) -> Draft:
    kind, key = str(cred.get("kind")), str(cred.get("native_id") or "")
    if kind == "federated":
        reason = f"remove federated credential {key} (issuer {cred.get('service', '')}) of application {app_id}"
        args = (opt("--id", app_id, CLI), opt("--federated-credential-id", key, CLI))
        return Draft(
            "delete-federated-credential",
            key,
            reason,
            ("az", "ad", "app", "federated-credential", "delete", *args),
            False,
            "credential",
        )
    action, noun, extra = _CREDENTIALS[kind]
    reason = f"remove {noun} {key} from application {app_id} after the principal is disabled and its grants are gone"
    argv = ("az", "ad", "app", "credential", "delete", opt("--id", app_id, CLI), opt("--key-id", key, CLI), *extra)
    return Draft(action, key, reason, argv, False, "credential")


def _credentials(built: Built, facts: Facts) -> None:
    natives = facts.native_ids
    has_app = len(natives) >= 3  # [service principal id, appId, application object id]: the registration is here
    for cred in facts.credentials:
        kind = str(cred.get("kind", ""))
        what = f"{kind or 'credential'} {shown(str(cred.get('native_id') or cred.get('uid', '')))} of {facts.uid}"
        if kind not in _CREDENTIALS and kind != "federated":
            built.missing.append(f"{what}: no Entra recipe for this kind of credential; remove it by hand")
        elif not has_app:
            built.missing.append(
                f"{what}: its application registration is not in this tenant's scan; remove the credential from the "
                "service principal itself (Graph servicePrincipals/{id}/removePassword or removeKey)"
            )
        else:
            built.add(what, partial(_credential_draft, natives[1], cred))


def _disable(built: Built, facts: Facts, sp: str) -> None:
    kind, name = facts.identity.get("kind"), str(facts.identity.get("name") or sp)
    if kind == "managed_identity":
        built.missing.append(
            f"{facts.uid} is a managed identity: Graph cannot disable it; delete the user-assigned identity "
            "(az identity delete) or turn off the system-assigned identity of its Azure resource"
        )
        return
    built.add(f"service principal {shown(sp)}", partial(_disable_draft, sp, name))


def build(facts: Facts) -> Built:
    """Every Entra step for one service principal: cut access first, then remove what could be used again."""
    built = Built()
    if not facts.native_ids or facts.identity.get("kind") == "user":
        built.missing.append(f"Entra identity {facts.uid}: no offboarding recipe for it; revoke it by hand")
        return built
    sp = facts.native_ids[0]
    _disable(built, facts, sp)
    for grant in facts.grants:
        what = f"grant {shown(str(grant.get('uid')))}"
        if grant.get("kind") in _GRANTS:
            built.add(what, partial(_grant_draft, sp, grant))
        else:
            built.missing.append(f"{what} ({grant.get('kind')}) of {facts.uid}: no Entra recipe; revoke it by hand")
    _credentials(built, facts)
    return built
