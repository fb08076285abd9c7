"""AWS offboarding: deactivate then delete keys, deny trust, stop runtimes, detach policies, delete the principal."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import partial
from typing import Any

from scanner.offboard_model import Built, Draft, Facts, opt, shown

CLI = "aws"
# A trust policy with no Allow lets nobody assume the role; the explicit Deny keeps the document non-empty.
DENY_ALL_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ShadowsweepOffboarded", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
        ],
    },
    separators=(",", ":"),
)
# credential kind -> (noun, id option, deactivate command, delete command)
_KEYS = {
    "access_key": ("access key", "--access-key-id", "update-access-key", "delete-access-key"),
    "service_specific": (
        "service-specific credential",
        "--service-specific-credential-id",
        "update-service-specific-credential",
        "delete-service-specific-credential",
    ),
}
_VERSION_SUFFIX = re.compile(r":\d+$")


def _arn(facts: Facts) -> str:
    for native in facts.native_ids:
        if native.startswith("arn:"):
            return native
    prefix = f"aws:{facts.identity.get('kind', '')}:"
    return facts.uid[len(prefix) :] if facts.uid.startswith(prefix + "arn:") else ""


def _last(arn: str) -> str:
    """The IAM name (or runtime id) is the last segment of the ARN's resource, whatever the path."""
    return arn.rsplit("/", 1)[-1]


def _iam(command: str, *args: str) -> tuple[str, ...]:
    return ("aws", "iam", command, *args)


def _key_drafts(name: str, cred: Mapping[str, Any]) -> list[Draft]:
    """Deactivate first (reversible, cuts access at once), delete after: the key id stays in the logs either way."""
    kind = str(cred.get("kind"))
    noun, id_option, update, delete = _KEYS[kind]
    key = str(cred.get("native_id") or "")
    who, ident = opt("--user-name", name, CLI), opt(id_option, key, CLI)
    action = noun.replace(" ", "-")
    drafts = []
    if cred.get("active", True):
        reason = f"deactivate {noun} {key} of user {name}: nothing can sign requests with it any more"
        argv = _iam(update, who, ident, "--status=Inactive")
        drafts.append(Draft(f"deactivate-{action}", key, reason, argv, True, "credential"))
    reason = f"delete {noun} {key} of user {name} now that it is inactive; IAM cannot delete a user that still has it"
    drafts.append(Draft(f"delete-{action}", key, reason, _iam(delete, who, ident), False, "credential"))
    return drafts


def _credentials(built: Built, facts: Facts, name: str) -> None:
    for cred in facts.credentials:
        kind = str(cred.get("kind", ""))
        what = f"{kind or 'credential'} {shown(str(cred.get('native_id') or cred.get('uid', '')))} of {facts.uid}"
        if facts.identity.get("kind") == "user" and kind in _KEYS:
            built.add(what, partial(_key_drafts, name, cred))
        else:
            built.missing.append(f"{what}: no AWS recipe for this kind of credential; revoke it by hand")


def _trust_draft(arn: str, name: str) -> Draft:
    reason = (
        f"replace the trust policy of role {name} with one that allows nobody: no service, account or federated "
        "identity can start a new session (sessions already issued lose their permissions with the policies below)"
    )
    argv = _iam(
        "update-assume-role-policy", opt("--role-name", name, CLI), opt("--policy-document", DENY_ALL_TRUST, CLI)
    )
    return Draft("deny-role-trust", arn, reason, argv, True, "trust")


def _policy_draft(principal: str, name: str, arn: str, grant: Mapping[str, Any]) -> Draft:
    attrs = grant.get("attributes") or {}
    who = opt(f"--{principal}-name", name, CLI)
    if grant.get("kind") == "managed-policy":
        policy = str(attrs.get("policy_arn") or grant.get("target") or "")
        reason = f"detach managed policy {policy} from {principal} {name}: its permissions stop at once"
        argv = _iam(f"detach-{principal}-policy", who, opt("--policy-arn", policy, CLI))
        return Draft(f"detach-{principal}-policy", policy, reason, argv, True, "grant")
    policy = str(attrs.get("policy_name") or "")
    reason = f"delete inline policy {policy} of {principal} {name}: its permissions stop at once"
    argv = _iam(f"delete-{principal}-policy", who, opt("--policy-name", policy, CLI))
    return Draft(f"delete-{principal}-inline-policy", f"{arn}#{policy}", reason, argv, True, "grant")


def _group_draft(name: str, group: str, policies: list[str]) -> Draft:
    reason = f"remove user {name} from group {group}, whose policies it inherits: {'; '.join(policies)}"
    argv = _iam("remove-user-from-group", opt("--user-name", name, CLI), opt("--group-name", group, CLI))
    return Draft("remove-user-from-group", group, reason, argv, True, "grant")


def _grants(built: Built, facts: Facts, name: str, arn: str) -> list[str]:
    """Detach and delete policies, leave groups; keep the boundary (removing it widens access). Returns boundaries."""
    principal = str(facts.identity.get("kind"))
    groups: dict[str, list[str]] = {}
    boundaries = []
    for grant in facts.grants:
        attrs, kind, what = grant.get("attributes") or {}, grant.get("kind"), f"grant {shown(str(grant.get('uid')))}"
        if kind == "permissions-boundary":
            boundaries.append(str(attrs.get("policy_arn") or grant.get("target") or ""))
        elif kind == "group-policy" and principal == "user":
            groups.setdefault(str(attrs.get("group") or ""), []).append(str(grant.get("name") or ""))
        elif kind in ("managed-policy", "inline-policy"):
            built.add(what, partial(_policy_draft, principal, name, arn, grant))
        else:
            built.missing.append(f"{what} ({kind}) of {arn}: no AWS recipe for this kind of grant; revoke it by hand")
    for group, policies in groups.items():
        built.add(f"group {shown(group)}", partial(_group_draft, name, group, policies))
    return boundaries


def _region(workload: Mapping[str, Any], arn: str) -> str:
    parts = arn.split(":")
    return str(workload.get("region") or (parts[3] if len(parts) > 3 else ""))


def _runtime_draft(workload: Mapping[str, Any]) -> Draft:
    """Stop what runs as the role: throttle a Lambda or stop a notebook (kept as evidence), delete agent runtimes."""
    kind, arn = str(workload.get("kind")), str(workload.get("uid", "")).split(":", 2)[-1]
    region = opt("--region", _region(workload, arn), CLI)
    if kind == "lambda-function":
        reason = f"set the reserved concurrency of Lambda function {arn} to 0: every invocation is throttled, code kept"
        argv: tuple[str, ...] = ("aws", "lambda", "put-function-concurrency", opt("--function-name", arn, CLI))
        return Draft("stop-lambda-function", arn, reason, (*argv, "--reserved-concurrent-executions=0", region), True)
    if kind == "sagemaker-notebook":
        name = str(workload.get("name") or "")
        reason = f"stop SageMaker notebook instance {name}: its compute ends, its storage volume is kept"
        argv = ("aws", "sagemaker", "stop-notebook-instance", opt("--notebook-instance-name", name, CLI), region)
        return Draft("stop-notebook-instance", arn, reason, argv, True)
    runtime = _VERSION_SUFFIX.sub("", _last(arn))
    if kind == "bedrock-agent":
        reason = f"delete Bedrock agent {runtime}, which acts as this role, once the role can no longer act"
        argv = ("aws", "bedrock-agent", "delete-agent", opt("--agent-id", runtime, CLI), region)
        return Draft("delete-bedrock-agent", arn, reason, argv, False)
    reason = f"delete AgentCore runtime {runtime}, which acts as this role, once the role can no longer act"
    argv = ("aws", "bedrock-agentcore-control", "delete-agent-runtime", opt("--agent-runtime-id", runtime, CLI), region)
    return Draft("delete-agentcore-runtime", arn, reason, argv, False)


_RUNTIMES = ("lambda-function", "sagemaker-notebook", "bedrock-agent", "agentcore-runtime")


def _runtimes(built: Built, facts: Facts) -> None:
    for workload in facts.identity.get("workloads") or ():
        what = f"{workload.get('kind')} {shown(str(workload.get('uid')))}"
        if workload.get("kind") in _RUNTIMES:
            built.add(what, partial(_runtime_draft, workload))
        else:
            built.missing.append(f"{what} runs as {facts.uid}: no AWS recipe to stop it; stop it by hand")


def _delete_draft(kind: str, arn: str, name: str, boundaries: list[str]) -> Draft:
    kept = f"; its permissions boundary ({', '.join(boundaries)}) was left on until now, removing it would widen access"
    if kind == "role":
        reason = (
            f"delete role {name} last, once nothing can assume it or use it; IAM refuses while the role is still in an "
            "instance profile (aws iam list-instance-profiles-for-role) or has policies left"
        )
        argv = _iam("delete-role", opt("--role-name", name, CLI))
    else:
        reason = (
            f"delete user {name} last, once its keys and policies are gone; IAM refuses while it still has a login "
            "profile, signing certificates, SSH keys or MFA devices, which this scan does not list"
        )
        argv = _iam("delete-user", opt("--user-name", name, CLI))
    return Draft(f"delete-{kind}", arn, reason + (kept if boundaries else ""), argv, False)


def build(facts: Facts) -> Built:
    """Every AWS step for one IAM role or user, in the order the provider needs them."""
    built, kind, arn = Built(), str(facts.identity.get("kind", "")), _arn(facts)
    if kind not in ("role", "user") or not arn:
        built.missing.append(f"AWS identity {facts.uid} ({kind}): no offboarding recipe for it; revoke it by hand")
        return built
    if "/aws-service-role/" in arn:
        built.missing.append(
            f"{arn} is a service-linked role: only its service may change it (delete-service-linked-role)"
        )
        return built
    name = _last(arn)
    _credentials(built, facts, name)
    if kind == "role":
        built.add(f"trust policy of {shown(arn)}", partial(_trust_draft, arn, name))
    _runtimes(built, facts)
    boundaries = _grants(built, facts, name, arn)
    built.add(f"{kind} {shown(arn)}", partial(_delete_draft, kind, arn, name, boundaries))
    return built
