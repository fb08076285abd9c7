"""Test tooling: perform an offboarding plan's `aws ...` argv as the same boto3 call against the moto emulator.

shadowsweep's connector stays read-only; this is how the demo and the tests play the operator who runs the plan.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from connectors.aws.emulator import AwsEmulator
from connectors.emulator_argv import UnknownCommand

# The commands scanner/offboard_aws.py writes; any other `aws` command raises UnknownCommand.
KNOWN = frozenset(
    {
        ("iam", "update-access-key"),
        ("iam", "delete-access-key"),
        ("iam", "update-service-specific-credential"),
        ("iam", "delete-service-specific-credential"),
        ("iam", "update-assume-role-policy"),
        ("iam", "detach-role-policy"),
        ("iam", "detach-user-policy"),
        ("iam", "delete-role-policy"),
        ("iam", "delete-user-policy"),
        ("iam", "remove-user-from-group"),
        ("iam", "delete-role"),
        ("iam", "delete-user"),
        ("lambda", "put-function-concurrency"),
        ("sagemaker", "stop-notebook-instance"),
        ("bedrock-agent", "delete-agent"),
        ("bedrock-agentcore-control", "delete-agent-runtime"),
    }
)


def _options(argv: Sequence[str]) -> tuple[dict[str, str], str]:
    """The --name=value options, and the region (the CLI's own option, not the operation's)."""
    options: dict[str, str] = {}
    for arg in argv:
        name, eq, value = arg.partition("=")
        if not (arg.startswith("--") and eq):
            raise UnknownCommand(f"aws: the emulator applies only --name=value options, not {arg.split('=')[0]!r}")
        options[name.removeprefix("--")] = value
    return options, options.pop("region", "us-east-1")


def _kwargs(client: Any, operation: str, options: dict[str, str]) -> dict[str, Any]:
    """Map CLI option names to the operation's input members, the way the AWS CLI does, typed by the model."""
    api_name = client.meta.method_to_api_mapping[operation]
    members = client.meta.service_model.operation_model(api_name).input_shape.members
    by_key = {name.lower(): (name, shape) for name, shape in members.items()}
    kwargs: dict[str, Any] = {}
    for option, value in options.items():
        found = by_key.get(option.replace("-", ""))
        if found is None:
            raise UnknownCommand(f"aws {operation}: the operation has no option --{option}")
        name, shape = found
        kwargs[name] = int(value) if shape.type_name in ("integer", "long") else value
    return kwargs


def default_account(emulator: AwsEmulator) -> str:
    """The account the emulator's default credentials act in (the organization's management account)."""
    return str(emulator.client("sts").get_caller_identity()["Account"])


def apply_aws(emulator: AwsEmulator, account: str, argv: Sequence[str], *, home: str | None = None) -> Any:
    """Run one planned `aws` command in `account` (assuming its organization role unless it is `home`)."""
    if len(argv) < 3 or argv[0] != "aws" or (argv[1], argv[2]) not in KNOWN:
        raise UnknownCommand(f"the emulator cannot apply `{' '.join(argv[:3])}`: no applier for this command")
    if argv[1] == "iam" and argv[2] == "update-assume-role-policy":
        json.loads(next(a for a in argv if a.startswith("--policy-document=")).partition("=")[2])  # must be JSON
    options, region = _options(argv[3:])
    service, operation = argv[1], argv[2].replace("-", "_")
    home = home if home is not None else default_account(emulator)
    if account == home:
        client = emulator.client(service, region=region)
    else:
        client = emulator.assumed_client(service, account, region=region)
    return getattr(client, operation)(**_kwargs(client, operation, options))
