"""Test tooling: perform an offboarding plan's `az ...` argv on the Graph emulator's in-memory tenant.

shadowsweep's connector stays read-only; this is how the demo and the tests play the operator who runs the plan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from connectors.emulator_argv import Command, UnknownCommand, parse, spec
from connectors.entra.emulator_model import Application, ServicePrincipal
from connectors.entra.emulator_tenant import Tenant

SPECS = {
    ("ad", "sp", "update"): spec("--id", separate=("--set",)),
    ("rest",): spec("--method", "--url"),
    ("ad", "app", "credential", "delete"): spec("--id", "--key-id", flags=("--cert",)),
    ("ad", "app", "federated-credential", "delete"): spec("--id", "--federated-credential-id"),
}
GRAPH_PATH = re.compile(r"^/(?:v1\.0|beta)/(?P<path>.+)$")
T = TypeVar("T")


def _sp(tenant: Tenant, ref: str) -> ServicePrincipal:
    """A service principal by object id or appId, as az accepts either."""
    key = ref.lower()
    found = next((s for s in tenant.service_principals if key in (s.id.lower(), s.app_id.lower())), None)
    if found is None:
        raise LookupError(f"az: no service principal {ref} in the emulated tenant")
    return found


def _app(tenant: Tenant, ref: str) -> Application:
    """An app registration by object id or appId."""
    key = ref.lower()
    found = next((a for a in tenant.applications if key in (a.id.lower(), a.app_id.lower())), None)
    if found is None:
        raise LookupError(f"az: no application {ref} in the emulated tenant")
    return found


def _sp_update(tenant: Tenant, cmd: Command) -> None:
    prop, _, value = cmd.option("--set").partition("=")
    if prop != "accountEnabled" or value not in ("true", "false"):
        raise UnknownCommand(f"az ad sp update: the emulator sets only accountEnabled=true|false, not {prop!r}")
    _sp(tenant, cmd.option("--id")).account_enabled = value == "true"


def _remove(items: list[T], match: Callable[[T], bool], what: str) -> None:
    """Delete the one object that matches, like Graph's DELETE; none is a 404."""
    found = [item for item in items if match(item)]
    if not found:
        raise LookupError(f"az rest: {what} not found in the emulated tenant (Graph would answer 404)")
    for item in found:
        items.remove(item)


def _rest(tenant: Tenant, cmd: Command) -> None:
    """DELETE of an app role assignment, a delegated grant or a directory role assignment, by Graph URL."""
    if cmd.option("--method").lower() != "delete":
        raise UnknownCommand(f"az rest: the emulator applies only --method=delete, not {cmd.option('--method')}")
    url = urlsplit(cmd.option("--url"))
    found = GRAPH_PATH.match(url.path) if url.hostname == "graph.microsoft.com" and not url.query else None
    if found is None:
        raise UnknownCommand(f"az rest: not a Graph URL the emulator knows: {cmd.option('--url')}")
    parts = [unquote(p) for p in found.group("path").split("/")]
    if len(parts) == 4 and parts[0] == "servicePrincipals" and parts[2] == "appRoleAssignments":
        sp, assignment = parts[1].lower(), parts[3]
        _remove(
            tenant.app_role_assignments,
            lambda a: a.id == assignment and a.principal_id.lower() == sp,
            f"app role assignment {assignment}",
        )
    elif len(parts) == 2 and parts[0] == "oauth2PermissionGrants":
        grant = parts[1]
        _remove(tenant.oauth2_permission_grants, lambda g: g.id == grant, f"delegated grant {grant}")
    elif len(parts) == 4 and parts[:3] == ["roleManagement", "directory", "roleAssignments"]:
        role = parts[3]
        _remove(tenant.role_assignments, lambda r: r.id == role, f"directory role assignment {role}")
    else:
        raise UnknownCommand(f"az rest: the emulator cannot delete {found.group('path')}")


def _credential_delete(tenant: Tenant, cmd: Command) -> None:
    app, key = _app(tenant, cmd.option("--id")), cmd.option("--key-id")
    if "--cert" in cmd.flags:
        kept_keys = tuple(k for k in app.key_credentials if k.key_id != key)
        if len(kept_keys) == len(app.key_credentials):
            raise LookupError(f"az ad app credential delete: {app.app_id} has no certificate {key}")
        app.key_credentials = kept_keys
        return
    kept = tuple(p for p in app.password_credentials if p.key_id != key)
    if len(kept) == len(app.password_credentials):
        raise LookupError(f"az ad app credential delete: {app.app_id} has no client secret {key}")
    app.password_credentials = kept


def _federated_delete(tenant: Tenant, cmd: Command) -> None:
    app, ref = _app(tenant, cmd.option("--id")), cmd.option("--federated-credential-id")
    kept = tuple(f for f in app.federated_identity_credentials if ref not in (f.id, f.name))
    if len(kept) == len(app.federated_identity_credentials):
        raise LookupError(f"az ad app federated-credential delete: {app.app_id} has no credential {ref}")
    app.federated_identity_credentials = kept


APPLIERS: dict[tuple[str, ...], Callable[[Tenant, Command], None]] = {
    ("ad", "sp", "update"): _sp_update,
    ("rest",): _rest,
    ("ad", "app", "credential", "delete"): _credential_delete,
    ("ad", "app", "federated-credential", "delete"): _federated_delete,
}


def apply_az(tenant: Tenant, argv: Sequence[str]) -> None:
    """Run one planned `az` command on the emulated tenant; an unknown command or object raises."""
    cmd = parse(argv, "az", SPECS)
    APPLIERS[cmd.words](tenant, cmd)
