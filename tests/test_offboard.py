"""`offboard`: revocation plans built from a real demo report, cut-before-delete ordering, and inert scripts."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from scanner.offboard import AgentPlan, Step, plan, render_json, render_sh, render_text

SCAN_DAY = "2026-11-28T12:00:00Z"
HOSTILE = "a'; rm -rf ~ #$(id)`id`"
CLOUD_ENV_PREFIXES = ("AWS_", "AZURE_", "GOOGLE_", "CLOUDSDK_", "ARM_", "MSI_")
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One real report of the emulated three-cloud estate, made the way a user makes it: `shadowsweep demo`."""
    out = tmp_path_factory.mktemp("offboard-demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLOUD_ENV_PREFIXES)}
    env |= FAKE_AWS | {"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    return report


def _identity(report: Mapping[str, Any], **match: Any) -> Mapping[str, Any]:
    found = [i for i in report["identities"] if all(i.get(k) == v for k, v in match.items())]
    assert len(found) == 1, match
    return found[0]


def _credential(report: Mapping[str, Any], identity: Mapping[str, Any]) -> Mapping[str, Any]:
    ids = {identity["uid"], *identity["native_ids"]}
    found = [c for c in report["credentials"] if c["identity_uid"] in ids]
    assert len(found) == 1
    return found[0]


def _step(item: AgentPlan, action: str, target: str | None = None) -> Step:
    found = [s for s in item.steps if s.action == action and (target is None or s.target == target)]
    assert len(found) == 1, (action, target, [(s.action, s.target) for s in item.steps])
    return found[0]


def _by_agent(plans: list[AgentPlan]) -> dict[str, AgentPlan]:
    return {p.agent: p for p in plans}


def _finding(report: Mapping[str, Any], rule: str, uid: str) -> str:
    return str(next(f["id"] for f in report["findings"] if f["rule"] == rule and f["identity_uid"] == uid))


def _cut_before_delete(item: AgentPlan) -> bool:
    cuts = [s.order for s in item.steps if s.cuts_access]
    deletions = [s.order for s in item.steps if not s.cuts_access]
    return not cuts or not deletions or max(cuts) < min(deletions)


def _shadow_names(report: Mapping[str, Any]) -> list[str]:
    return [f["identity_uid"] for f in report["findings"] if f["rule"] == "unregistered-agent"]


def _check_script(script: str, tmp_path: Path) -> None:
    """The script parses (bash -n, and shellcheck when installed) and holds one printable line per statement."""
    path = tmp_path / "plan.sh"
    path.write_text(script)
    parsed = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, timeout=30)
    assert parsed.returncode == 0, parsed.stderr
    if shutil.which("shellcheck"):
        checked = subprocess.run(["shellcheck", "-s", "bash", str(path)], capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0, checked.stdout
    assert all(line.isprintable() for line in script.splitlines())


def _command_lines(script: str) -> list[list[str]]:
    """Every command after the review guard, split the way a POSIX shell would split it."""
    lines = script.splitlines()
    body = lines[lines.index("fi") + 1 :]
    return [shlex.split(line) for line in body if line and not line.startswith("#")]


# --- plans from the real demo report -----------------------------------------------------------------------------


@pytest.mark.slow
def test_retired_aws_user_key_deactivated_before_deleted_and_user_deleted_last(demo_report: dict[str, Any]) -> None:
    item = _by_agent(plan(demo_report))["claims-agent"]
    bot = _identity(demo_report, registry_id="claims-agent")
    key = _credential(demo_report, bot)["native_id"]
    deactivate, delete = _step(item, "deactivate-access-key", key), _step(item, "delete-access-key", key)
    who = "--user-name=claims-agent-bot"
    assert deactivate.argv == ("aws", "iam", "update-access-key", who, f"--access-key-id={key}", "--status=Inactive")
    assert delete.argv == ("aws", "iam", "delete-access-key", who, f"--access-key-id={key}")
    assert deactivate.order < delete.order and deactivate.cuts_access and not delete.cuts_access
    inline = _step(item, "delete-user-inline-policy")
    assert inline.argv == ("aws", "iam", "delete-user-policy", who, "--policy-name=claims") and inline.cuts_access
    assert item.steps[-1].argv == ("aws", "iam", "delete-user", who)
    retired = _finding(demo_report, "retired-agent-active", bot["uid"])
    assert all(retired in s.finding_ids for s in item.steps)
    assert "retired" in item.why and item.identities == (bot["uid"],)


@pytest.mark.slow
def test_expired_aws_role_trust_denied_inline_policy_deleted_role_deleted(demo_report: dict[str, Any]) -> None:
    item = _by_agent(plan(demo_report))["pricing-copilot"]
    assert "expired on" in item.why
    trust = _step(item, "deny-role-trust")
    assert trust.argv[:4] == ("aws", "iam", "update-assume-role-policy", "--role-name=pricing-copilot")
    document = json.loads(trust.argv[4].removeprefix("--policy-document="))
    assert all(statement["Effect"] == "Deny" for statement in document["Statement"])
    inline = _step(item, "delete-role-inline-policy")
    assert inline.argv == ("aws", "iam", "delete-role-policy", "--role-name=pricing-copilot", "--policy-name=invoke")
    assert item.steps[-1].argv == ("aws", "iam", "delete-role", "--role-name=pricing-copilot")
    assert trust.cuts_access and inline.cuts_access and not item.steps[-1].cuts_access
    expired = _finding(demo_report, "expired-agent-registration", item.identities[0])
    assert all(expired in s.finding_ids for s in item.steps)


@pytest.mark.slow
def test_retired_entra_app_secret_removed_by_key_id_after_principal_disabled(demo_report: dict[str, Any]) -> None:
    item = _by_agent(plan(demo_report))["entra-claims-triage"]
    sp = _identity(demo_report, registry_id="entra-claims-triage")
    sp_id, app_id = sp["native_ids"][0], sp["native_ids"][1]
    secret = _credential(demo_report, sp)["native_id"]
    disable = _step(item, "disable-service-principal", sp_id)
    assert disable.argv == ("az", "ad", "sp", "update", f"--id={sp_id}", "--set", "accountEnabled=false")
    remove = _step(item, "delete-password-credential", secret)
    assert remove.argv == ("az", "ad", "app", "credential", "delete", f"--id={app_id}", f"--key-id={secret}")
    grant = next(g for g in demo_report["grants"] if g["subject_uid"] == sp["uid"] and g["kind"] == "app-role")
    assignment = grant["uid"].removeprefix("entra:app-role:")
    role = _step(item, "delete-app-role-assignment", assignment)
    url = f"https://graph.microsoft.com/v1.0/servicePrincipals/{sp_id}/appRoleAssignments/{assignment}"
    assert role.argv == ("az", "rest", "--method=delete", f"--url={url}")
    assert disable.order < role.order < remove.order


@pytest.mark.slow
def test_retired_gcp_account_key_disabled_before_deleted_binding_removed(demo_report: dict[str, Any]) -> None:
    item = _by_agent(plan(demo_report))["gcp-legacy-summarizer"]
    account = _identity(demo_report, registry_id="gcp-legacy-summarizer")
    email, project = account["native_ids"][0], account["scope"]
    key = _credential(demo_report, account)["native_id"]
    disable, delete = _step(item, "disable-service-account-key", key), _step(item, "delete-service-account-key", key)
    tail = (f"--iam-account={email}", f"--project={project}")
    assert disable.argv == ("gcloud", "iam", "service-accounts", "keys", "disable", key, *tail)
    assert delete.argv == ("gcloud", "iam", "service-accounts", "keys", "delete", key, *tail, "--quiet")
    assert disable.order < delete.order
    grant = next(g for g in demo_report["grants"] if g["subject_uid"] == email)
    number, role = grant["target"].removeprefix("projects/"), grant["permissions"][0]
    binding = _step(item, "remove-iam-binding")
    member = f"--member=serviceAccount:{email}"
    assert binding.argv == ("gcloud", "projects", "remove-iam-policy-binding", number, member, f"--role={role}")
    off = _step(item, "disable-service-account", email)
    assert off.argv == ("gcloud", "iam", "service-accounts", "disable", email, f"--project={project}")
    assert off.order < binding.order < delete.order


@pytest.mark.slow
def test_shadow_lambda_role_named_on_the_command_line_throttles_its_function(demo_report: dict[str, Any]) -> None:
    role = _identity(demo_report, name="support-summarizer-lambda")
    assert role["registry_id"] is None and role["uid"] not in {u for p in plan(demo_report) for u in p.identities}
    item = plan(demo_report, [role["native_ids"][0]])[-1]
    assert item.agent == role["uid"] and "unregistered-agent" in item.why
    function = role["workloads"][0]
    arn = function["uid"].removeprefix("aws:lambda-function:")
    stop = _step(item, "stop-lambda-function", arn)
    assert stop.argv == (
        "aws",
        "lambda",
        "put-function-concurrency",
        f"--function-name={arn}",
        "--reserved-concurrent-executions=0",
        f"--region={function['region']}",
    )
    assert stop.cuts_access and _finding(demo_report, "unregistered-agent", role["uid"]) in stop.finding_ids


@pytest.mark.slow
def test_shadow_bedrock_agent_role_deletes_the_agent_by_id_after_access_is_cut(demo_report: dict[str, Any]) -> None:
    role = next(
        i
        for i in demo_report["identities"]
        if not i["registry_id"] and any(w["kind"] == "bedrock-agent" for w in i["workloads"])
    )
    item = plan(demo_report, [role["uid"]])[-1]
    agent = role["workloads"][0]
    agent_id = agent["uid"].rsplit("/", 1)[-1]
    delete = _step(item, "delete-bedrock-agent")
    assert delete.argv == (
        "aws",
        "bedrock-agent",
        "delete-agent",
        f"--agent-id={agent_id}",
        f"--region={agent['region']}",
    )
    assert all(s.order < delete.order for s in item.steps if s.cuts_access)
    assert item.steps[-1].action == "delete-role"


@pytest.mark.slow
def test_agents_are_found_by_registry_id_uid_or_native_id_once_each(demo_report: dict[str, Any]) -> None:
    key = _identity(demo_report, name="website-chat")
    bot = _identity(demo_report, registry_id="claims-agent")
    plans = plan(demo_report, ["claims-agent", bot["native_ids"][1], key["native_ids"][0], "agentcore-ops"])
    agents = [p.agent for p in plans]
    assert agents.count("claims-agent") == 1 and bot["uid"] not in agents  # already in the retired record's plan
    assert agents[-2:] == [key["uid"], "agentcore-ops"]
    api = _step(_by_agent(plans)[key["uid"]], "delete-api-key")
    assert api.argv == ("gcloud", "services", "api-keys", "delete", key["native_ids"][0], "--quiet")


@pytest.mark.slow
def test_entra_federated_credential_removed_from_its_application(demo_report: dict[str, Any]) -> None:
    item = plan(demo_report, ["entra-agent-deployer"])[-1]
    sp = _identity(demo_report, registry_id="entra-agent-deployer")
    fic = _credential(demo_report, sp)["native_id"]
    step = _step(item, "delete-federated-credential", fic)
    app = f"--id={sp['native_ids'][1]}"
    assert step.argv == ("az", "ad", "app", "federated-credential", "delete", app, f"--federated-credential-id={fic}")
    assert item.steps[0].action == "disable-service-principal" and not step.cuts_access


@pytest.mark.slow
def test_an_unknown_agent_is_an_error_that_names_it(demo_report: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="no-such-agent"):
        plan(demo_report, ["claims-agent", "no-such-agent"])


@pytest.mark.slow
def test_every_plan_cuts_access_before_it_deletes_and_cites_its_findings(demo_report: dict[str, Any]) -> None:
    plans = plan(demo_report, _shadow_names(demo_report))
    known = {f["id"] for f in demo_report["findings"]}
    assert len(plans) >= 4 + 10
    for item in plans:
        assert _cut_before_delete(item), item.agent
        assert [s.order for s in item.steps] == list(range(1, len(item.steps) + 1))
        for step in item.steps:
            assert step.finding_ids and set(step.finding_ids) <= known, (item.agent, step.action)
            assert step.argv[0] in {"aws", "az", "gcloud"} and step.reason


@pytest.mark.slow
def test_what_cannot_be_scripted_is_said_never_skipped(demo_report: dict[str, Any]) -> None:
    managed = _identity(demo_report, kind="managed_identity")
    engine = _identity(demo_report, kind="agent_identity", provider="gcp")
    service_agent = next(
        i for i in demo_report["identities"] if i["kind"] == "service_agent" and i["uid"] in _shadow_names(demo_report)
    )
    plans = _by_agent(plan(demo_report, [managed["uid"], engine["uid"], service_agent["uid"]]))
    assert not plans[managed["uid"]].steps and "managed identity" in plans[managed["uid"]].missing[0]
    assert "reasoningEngines/" in plans[engine["uid"]].missing[0]
    assert {s.action for s in plans[engine["uid"]].steps} == {"remove-iam-binding"}
    assert "Google-managed" in plans[service_agent["uid"]].missing[0]


@pytest.mark.slow
def test_script_json_and_text_of_the_demo_plan(demo_report: dict[str, Any], tmp_path: Path) -> None:
    plans = plan(demo_report, _shadow_names(demo_report))
    script = render_sh(plans)
    assert script.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in script and "dry-run" in script
    _check_script(script, tmp_path)
    assert _command_lines(script) == [list(s.argv) for p in plans for s in p.steps]
    data = json.loads(render_json(plans))
    assert set(data) == {"plans"} and len(data["plans"]) == len(plans)
    assert set(data["plans"][0]) == {f.name for f in dataclasses.fields(AgentPlan)}
    assert set(data["plans"][0]["steps"][0]) == {f.name for f in dataclasses.fields(Step)}
    assert [s["argv"] for p in data["plans"] for s in p["steps"]] == [list(s.argv) for p in plans for s in p.steps]
    text = render_text(plans)
    assert "dry-run" in text and all(p.agent in text for p in plans)


@pytest.mark.slow
def test_planning_is_a_pure_function_of_the_report(demo_report: dict[str, Any]) -> None:
    before = copy.deepcopy(demo_report)
    assert plan(demo_report, _shadow_names(demo_report)) == plan(demo_report, _shadow_names(demo_report))
    assert demo_report == before


# --- hostile and edge-case reports, built by hand -----------------------------------------------------------------


def _report(
    identities: Sequence[dict[str, Any]],
    credentials: Sequence[dict[str, Any]] = (),
    grants: Sequence[dict[str, Any]] = (),
    findings: Sequence[dict[str, Any]] = (),
    records: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    return {
        "schema_version": "1",
        "scan": {"id": "s", "started_at": SCAN_DAY, "finished_at": SCAN_DAY},
        "identities": [{"registry_id": None, "credentials": [], "workloads": [], **i} for i in identities],
        "credentials": list(credentials),
        "grants": list(grants),
        "findings": list(findings),
        "registry_records": list(records),
    }


def _hostile_report() -> dict[str, Any]:
    """Names a real cloud would refuse, as a forged or corrupted report could still carry them."""
    arn = f"arn:aws:iam::111111111111:role/{HOSTILE}"
    role = {"uid": f"aws:role:{arn}", "provider": "aws", "kind": "role", "scope": "111111111111", "name": "x"}
    role |= {"native_ids": [arn, "AROAHOSTILE"], "registry_id": "evil"}
    role["workloads"] = [
        {"uid": "aws:lambda-function:arn:aws:lambda:us-east-1:111111111111:function:$(id)", "kind": "lambda-function",
         "name": "$(id)", "region": "us-east-1"},
    ]  # fmt: skip
    sp = {"uid": "entra:service_principal:sp-1", "provider": "entra", "kind": "service_principal", "scope": "t"}
    sp |= {"name": "Evil\nrm -rf / #\u2028\u202e`id`", "native_ids": ["sp-1", "app-1", "obj-1"], "registry_id": "evil"}
    sa = {"uid": "gcp:service_account:1", "provider": "gcp", "kind": "service_account", "scope": "p; id"}
    sa |= {"name": "e", "native_ids": ["e'$(id)@p.iam.gserviceaccount.com", "1"], "registry_id": "evil"}
    grants = [
        _grant(role["uid"], "inline-policy", {"policy_name": "p'\"$(touch pwned)", "group": ""}),
        _grant(role["uid"], "inline-policy", {"policy_name": "line\nrm -rf /", "group": ""}),
        _grant(role["uid"], "inline-policy", {"policy_name": "file:///etc/passwd", "group": ""}),
        _grant(sp["uid"], "app-role", {}, uid="entra:app-role:../../users/x?$(id)#"),
        _grant(sa["native_ids"][0], "iam-binding", {"member": f"serviceAccount:{sa['native_ids'][0]}", "condition": ""},
               target="projects/123", permissions=["roles/owner'; id #"]),
    ]  # fmt: skip
    credentials = [
        {"uid": "entra:secret:k", "kind": "secret", "identity_uid": sp["uid"], "native_id": "@/etc/passwd"},
        {"uid": "entra:secret:k2", "kind": "secret", "identity_uid": sp["uid"], "native_id": "k2 $(id)"},
        {"uid": "gcp:sa-key:1", "kind": "access_key", "identity_uid": sa["uid"],
         "native_id": "--impersonate-service-account=x"},
    ]  # fmt: skip
    record = {"id": "evil", "status": "retired", "retired_on": "2026-01-01", "identities": [arn, "ghost\n$(id)"]}
    return _report([role, sp, sa], credentials, grants, records=[record])


def _grant(subject: str, kind: str, attributes: dict[str, Any], **more: Any) -> dict[str, Any]:
    grant = {"uid": f"{subject}|{kind}|{attributes}", "subject_uid": subject, "kind": kind, "name": "n"}
    return grant | {"target": "", "permissions": [], "attributes": attributes} | more


def test_hostile_names_stay_inert_in_the_script(tmp_path: Path) -> None:
    (item,) = plan(_hostile_report())
    script = render_sh([item])
    _check_script(script, tmp_path)
    commands = _command_lines(script)
    assert commands == [list(s.argv) for s in item.steps]  # every argument comes back exactly as planned
    role = _step(item, "delete-role")
    assert role.argv == ("aws", "iam", "delete-role", f"--role-name={HOSTILE}")
    assert shlex.quote(f"--role-name={HOSTILE}") in script
    assert "--policy-name=p'\"$(touch pwned)" in _step(item, "delete-role-inline-policy").argv
    binding = _step(item, "remove-iam-binding")
    assert binding.argv[-1] == "--role=roles/owner'; id #"
    url = _step(item, "delete-app-role-assignment").argv[-1]
    assert url.endswith("/servicePrincipals/sp-1/appRoleAssignments/..%2F..%2Fusers%2Fx%3F%24%28id%29%23")
    assert "\\u2028" in script and "\\u202e" in script and "Evil\\u000arm -rf / #" in script


def test_identifiers_no_cli_should_take_become_notes_not_commands() -> None:
    (item,) = plan(_hostile_report())
    notes = "\n".join(item.missing)
    assert "control or invisible characters" in notes  # the policy name with a newline
    assert "read a file or URL" in notes and "'file:///etc/passwd'" in notes and "'@/etc/passwd'" in notes
    assert "would be read as an option" in notes  # the key id that starts with a dash
    assert "'ghost\\n$(id)'" in notes  # a record's identity the scan never saw, escaped
    planned = [a for s in item.steps for a in s.argv]
    assert not any("file://" in a or a.endswith("@/etc/passwd") or "impersonate" in a for a in planned)
    assert all(a.isprintable() for a in planned)
    assert "--key-id=k2 $(id)" in _step(item, "delete-password-credential").argv


def test_an_unreviewed_script_stops_before_its_first_command(tmp_path: Path) -> None:
    """Run with an empty PATH, so even a broken guard could reach no program; only bash builtins exist."""
    script = tmp_path / "plan.sh"
    script.write_text(render_sh(plan(_hostile_report())))
    empty = tmp_path / "empty"
    empty.mkdir()
    bash = shutil.which("bash")
    assert bash
    done = subprocess.run([bash, str(script)], capture_output=True, text=True, env={"PATH": str(empty)}, timeout=30)
    assert done.returncode == 2 and "SHADOWSWEEP_REVIEWED=yes" in done.stderr and not done.stdout


def test_conditional_binding_is_removed_with_all_and_says_so() -> None:
    sa = {"uid": "gcp:service_account:9", "provider": "gcp", "kind": "service_account", "scope": "proj"}
    sa |= {"name": "a", "native_ids": ["a@proj.iam.gserviceaccount.com", "9"]}
    condition = 'resource.name.startsWith("projects/_/buckets/x")'
    member = "serviceAccount:a@proj.iam.gserviceaccount.com"
    grant = _grant(sa["native_ids"][0], "iam-binding", {"member": member, "condition": condition})
    grant |= {"target": "folders/42", "permissions": ["roles/storage.admin"]}
    unknown = _grant(sa["native_ids"][0], "iam-binding", {"member": member}, target="buckets/x", permissions=["r"])
    (item,) = plan(_report([sa], grants=[grant, unknown]), [sa["uid"]])
    step = _step(item, "remove-iam-binding")
    head = ("gcloud", "resource-manager", "folders", "remove-iam-policy-binding", "42")
    assert step.argv == (*head, f"--member={member}", "--role=roles/storage.admin", "--all")
    assert condition in step.reason and "--all" in step.reason
    assert any("buckets/x" in note for note in item.missing) and not step.finding_ids


def test_directory_role_assignment_is_deleted_through_graph() -> None:
    sp = {"uid": "entra:service_principal:s", "provider": "entra", "kind": "agent_identity", "scope": "t"}
    sp |= {"name": "agent", "native_ids": ["s", "a"]}
    role = _grant(
        sp["uid"], "directory-role", {}, uid="entra:directory-role:lAPpYvVpN0KRkAEhdxReEJC2sEqbR_9Hr48lds9SGHI-1"
    )
    finding = {"id": "f1", "rule": "unregistered-agent", "identity_uid": sp["uid"], "registry_id": None}
    secret = {"uid": "entra:secret:x", "kind": "secret", "identity_uid": sp["uid"], "native_id": "x"}
    (item,) = plan(_report([sp], [secret], [role], [finding]), ["a"])
    url = "https://graph.microsoft.com/v1.0/roleManagement/directory/roleAssignments/"
    step = _step(item, "delete-directory-role-assignment")
    assert step.argv == ("az", "rest", "--method=delete", f"--url={url}lAPpYvVpN0KRkAEhdxReEJC2sEqbR_9Hr48lds9SGHI-1")
    assert step.finding_ids == ("f1",) and "unregistered-agent (f1)" in item.why
    assert any("not in this tenant" in note for note in item.missing)  # no application object: the secret is a note


def test_records_past_their_time_box_on_the_scan_day_are_planned_and_others_not() -> None:
    def role(name: str, record: str) -> dict[str, Any]:
        arn = f"arn:aws:iam::1:role/{name}"
        return {"uid": f"aws:role:{arn}", "provider": "aws", "kind": "role", "scope": "1", "name": name,
                "native_ids": [arn], "registry_id": record}  # fmt: skip

    records = [
        {"id": "old", "status": "active", "expires": "2026-11-27", "identities": ["arn:aws:iam::1:role/old"]},
        {"id": "new", "status": "active", "expires": "2026-11-28", "identities": ["arn:aws:iam::1:role/new"]},
        {"id": "gone", "status": "retired", "retired_on": "2026-01-01", "identities": ["arn:aws:iam::1:role/gone"]},
    ]
    plans = _by_agent(plan(_report([role("old", "old"), role("new", "new")], records=records)))
    assert set(plans) == {"old", "gone"} and "expired on 2026-11-27" in plans["old"].why
    assert not plans["gone"].steps and "did not find" in plans["gone"].missing[0]
    assert [s.action for s in plans["old"].steps] == ["deny-role-trust", "delete-role"]
    assert render_text([]).count("nothing to offboard") == 1 and "nothing to offboard" in render_sh([])
