"""Test tooling: perform an offboarding plan's `gcloud ...` argv on the Google Cloud emulator's in-memory org.

shadowsweep's connector stays read-only; this is how the demo and the tests play the operator who runs the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from connectors.emulator_argv import Command, UnknownCommand, parse, spec
from connectors.gcp.emulator_model import Policy, ServiceAccount, ServiceAccountKey
from connectors.gcp.emulator_org import Org

_BINDING = spec("--member", "--role", flags=("--all",), positionals=1)
_KEY_OPTIONS = ("--iam-account", "--project")
SPECS = {
    ("iam", "service-accounts", "disable"): spec("--project", positionals=1),
    ("iam", "service-accounts", "keys", "disable"): spec(*_KEY_OPTIONS, positionals=1),
    ("iam", "service-accounts", "keys", "delete"): spec(*_KEY_OPTIONS, flags=("--quiet",), positionals=1),
    ("projects", "remove-iam-policy-binding"): _BINDING,
    ("resource-manager", "folders", "remove-iam-policy-binding"): _BINDING,
    ("organizations", "remove-iam-policy-binding"): _BINDING,
    ("services", "api-keys", "delete"): spec(flags=("--quiet",), positionals=1),
}
_CONTAINERS = {"projects": "projects/", "resource-manager": "folders/", "organizations": "organizations/"}


def _account(org: Org, email: str, project: str | None) -> ServiceAccount:
    """A service account by email, in the project named (by projectId or number) when one is."""
    account = org.service_account(email)
    home = org.project(project) if project is not None else None
    if account is None or (project is not None and (home is None or home.project_id != account.project_id)):
        raise LookupError(f"gcloud: no service account {email} in project {project} of the emulated organization")
    return account


def _disable_account(org: Org, cmd: Command) -> None:
    _account(org, cmd.positionals[0], cmd.options.get("--project")).disabled = True


def _key(org: Org, cmd: Command) -> tuple[ServiceAccount, ServiceAccountKey]:
    account = _account(org, cmd.option("--iam-account"), cmd.options.get("--project"))
    key = next((k for k in account.keys if k.key_id == cmd.positionals[0]), None)
    if key is None:
        raise LookupError(f"gcloud: {account.email} has no key {cmd.positionals[0]}")
    return account, key


def _disable_key(org: Org, cmd: Command) -> None:
    _, key = _key(org, cmd)
    key.disabled = True


def _delete_key(org: Org, cmd: Command) -> None:
    account, key = _key(org, cmd)
    account.keys.remove(key)


def _remove_binding(org: Org, cmd: Command) -> None:
    """Take the member out of the role's bindings (conditional ones only with --all, as gcloud does)."""
    policy: Policy = org.policy_of(_CONTAINERS[cmd.words[0]] + cmd.positionals[0])
    member, role = cmd.option("--member"), cmd.option("--role")
    touched = [
        b
        for b in policy.bindings
        if b.role == role and member in b.members and (b.condition is None or "--all" in cmd.flags)
    ]
    if not touched:
        raise LookupError(f"gcloud: {member} holds no {role} binding on {cmd.positionals[0]} it could remove")
    for binding in touched:
        binding.members.remove(member)
    policy.bindings = [b for b in policy.bindings if b.members]


def _delete_api_key(org: Org, cmd: Command) -> None:
    name = cmd.positionals[0]
    parts = name.split("/")
    if len(parts) != 6 or parts[0] != "projects" or parts[2:5] != ["locations", "global", "keys"]:
        raise UnknownCommand(f"gcloud services api-keys delete: not a key name the emulator knows: {name}")
    project = org.project(parts[1])
    key = next((k for k in project.api_keys if k.uid == parts[5]), None) if project else None
    if project is None or key is None:
        raise LookupError(f"gcloud: no API key {name} in the emulated organization")
    project.api_keys.remove(key)


APPLIERS: dict[tuple[str, ...], Callable[[Org, Command], None]] = {
    ("iam", "service-accounts", "disable"): _disable_account,
    ("iam", "service-accounts", "keys", "disable"): _disable_key,
    ("iam", "service-accounts", "keys", "delete"): _delete_key,
    ("projects", "remove-iam-policy-binding"): _remove_binding,
    ("resource-manager", "folders", "remove-iam-policy-binding"): _remove_binding,
    ("organizations", "remove-iam-policy-binding"): _remove_binding,
    ("services", "api-keys", "delete"): _delete_api_key,
}


def apply_gcloud(org: Org, argv: Sequence[str]) -> None:
    """Run one planned `gcloud` command on the emulated organization; an unknown command or object raises."""
    cmd = parse(argv, "gcloud", SPECS)
    APPLIERS[cmd.words](org, cmd)
