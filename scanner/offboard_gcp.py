"""GCP offboarding: disable the service account and its keys, remove its bindings, delete keys and API keys."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import partial
from typing import Any

from scanner.offboard_model import Built, Draft, Facts, opt, safe, shown

CLI = "gcloud"
# binding container prefix -> the gcloud command group that owns its IAM policy
_CONTAINERS = {
    "projects/": ("gcloud", "projects"),
    "folders/": ("gcloud", "resource-manager", "folders"),
    "organizations/": ("gcloud", "organizations"),
}
_ENGINE = re.compile(r"/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/reasoningEngines/(?P<engine>[^/]+)$")


def _email(facts: Facts) -> str:
    return next((n for n in facts.native_ids if "@" in n and ":" not in n), "")


def _disable_account_draft(email: str, project: str) -> Draft:
    reason = f"disable service account {email}: its tokens stop working at once and it can be re-enabled if needed"
    argv = (
        "gcloud",
        "iam",
        "service-accounts",
        "disable",
        safe(email, CLI, positional=True),
        opt("--project", project, CLI),
    )
    return Draft("disable-service-account", email, reason, argv, True)


def _key_drafts(email: str, project: str, cred: Mapping[str, Any]) -> list[Draft]:
    """Disable first (reversible, cuts access at once), delete after: the key id stays in the audit logs."""
    key = str(cred.get("native_id") or "")
    args = (safe(key, CLI, positional=True), opt("--iam-account", email, CLI), opt("--project", project, CLI))
    drafts = []
    if cred.get("active", True):
        reason = f"disable user-managed key {key} of {email}: nothing can authenticate with it any more"
        argv: tuple[str, ...] = ("gcloud", "iam", "service-accounts", "keys", "disable", *args)
        drafts.append(Draft("disable-service-account-key", key, reason, argv, True, "credential"))
    reason = f"delete user-managed key {key} of {email} now that it is disabled"
    argv = ("gcloud", "iam", "service-accounts", "keys", "delete", *args, "--quiet")
    drafts.append(Draft("delete-service-account-key", key, reason, argv, False, "credential"))
    return drafts


def _binding_draft(grant: Mapping[str, Any]) -> Draft:
    target, attrs = str(grant.get("target", "")), grant.get("attributes") or {}
    prefix = next(p for p in _CONTAINERS if target.startswith(p))
    role = str((grant.get("permissions") or [""])[0])
    member, condition = str(attrs.get("member") or ""), str(attrs.get("condition") or "")
    argv = (
        *_CONTAINERS[prefix],
        "remove-iam-policy-binding",
        safe(target[len(prefix) :], CLI, positional=True),
        opt("--member", member, CLI),
        opt("--role", role, CLI),
    )
    reason = f"remove the binding of {member} to {role} on {target}"
    if condition:
        reason += (
            f"; the binding is conditional ({condition}) and gcloud needs the condition's title to match it exactly, "
            "which the report does not hold, so --all removes every binding of this member to this role there"
        )
        argv = (*argv, "--all")
    return Draft("remove-iam-binding", f"{target}|{role}|{member}", reason, argv, True, "grant")


def _api_key_draft(facts: Facts) -> Draft:
    name = next((n for n in facts.native_ids if n.startswith("projects/") and "/keys/" in n), "")
    reason = (
        f"delete API key {facts.identity.get('name', '')} ({name}): it stops working at once; Google keeps it "
        "30 days, during which gcloud services api-keys undelete restores it"
    )
    argv = ("gcloud", "services", "api-keys", "delete", safe(name, CLI, positional=True), "--quiet")
    return Draft("delete-api-key", name, reason, argv, True, "credential")


def _bindings(built: Built, facts: Facts) -> None:
    for grant in facts.grants:
        what = f"binding {shown(str(grant.get('uid')))}"
        target = str(grant.get("target", ""))
        if grant.get("kind") == "iam-binding" and target.startswith(tuple(_CONTAINERS)):
            built.add(what, partial(_binding_draft, grant))
        else:
            built.missing.append(f"{what} on {shown(target)}: no gcloud recipe for this grant; remove it by hand")


def _account(built: Built, facts: Facts) -> None:
    email, project = _email(facts), str(facts.identity.get("scope") or "")
    built.add(f"service account {shown(email)}", partial(_disable_account_draft, email, project))
    for cred in facts.credentials:
        what = f"{cred.get('kind')} {shown(str(cred.get('native_id') or cred.get('uid', '')))} of {email}"
        if cred.get("kind") == "access_key":
            built.add(what, partial(_key_drafts, email, project, cred))
        else:
            built.missing.append(f"{what}: no gcloud recipe for this kind of credential; remove it by hand")


def _engine_note(facts: Facts) -> str:
    found = _ENGINE.search(facts.native_ids[0] if facts.native_ids else "")
    if not found:
        return f"{facts.uid}: could not read the Agent Engine behind this principal; delete it by hand"
    project, location, engine = found.group("project", "location", "engine")
    return (
        f"Agent Engine {engine} (project {project}, {location}) still exists and gcloud has no command to delete it: "
        f"DELETE https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/"
        f"reasoningEngines/{engine} (the REST call reasoningEngines.delete) once its bindings are gone"
    )


def build(facts: Facts) -> Built:
    """Every GCP step for one service account, agent principal, service agent or API key."""
    built, kind = Built(), facts.identity.get("kind")
    if kind == "api_key":
        built.add(f"API key {facts.uid}", partial(_api_key_draft, facts))
        return built
    if kind == "service_account":
        _account(built, facts)
    elif kind == "agent_identity":
        built.missing.append(_engine_note(facts))
    elif kind == "service_agent":
        built.missing.append(
            f"{facts.uid} is a Google-managed service agent: it cannot be disabled or deleted; removing its "
            "bindings below can break that service for the whole project"
        )
    else:
        built.missing.append(f"GCP identity {facts.uid} ({kind}): no offboarding recipe for it; revoke it by hand")
    _bindings(built, facts)
    return built
