"""AWS managed policy documents for the synthetic records: the real ones moto ships, and their shares."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

# Non-AI roles get one AWS managed policy in these shares; the documents are the real ones moto ships (ReadOnlyAccess
# allows 3,012 action patterns, SecurityAudit 1,199), parsed per attachment as the connector does.
ROLE_POLICY_MIX = {
    "AWSLambdaBasicExecutionRole": 0.35,
    "AmazonS3ReadOnlyAccess": 0.30,
    "AmazonDynamoDBFullAccess": 0.15,
    "AmazonSageMakerFullAccess": 0.05,
    "ViewOnlyAccess": 0.05,
    "ReadOnlyAccess": 0.05,
    "SecurityAudit": 0.03,
    "PowerUserAccess": 0.02,
}
_FALLBACK: dict[str, Any] = {  # when moto is not installed: small stand-ins
    name: {"Statement": [{"Effect": "Allow", "Action": [f"{svc}:Get*", f"{svc}:List*"], "Resource": "*"}]}
    for name, svc in zip(
        ROLE_POLICY_MIX, ("logs", "s3", "dynamodb", "sagemaker", "ec2", "iam", "kms", "rds"), strict=True
    )
} | {
    "AdministratorAccess": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    "AmazonBedrockFullAccess": {"Statement": [{"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}]},
}
_READER = (
    "import json, sys\n"
    "from moto.iam.aws_managed_policies import aws_managed_policies_data as raw\n"
    "data = json.loads(raw)\n"
    "print(json.dumps({n: data[n]['Document'] for n in sys.argv[1:] if n in data}))\n"
)


def policy_documents(real: bool = True) -> dict[str, Any]:
    """The AWS managed policy documents the estate attaches, read from moto's data in a short-lived subprocess (so
    moto's import does not weigh on the measured process); small stand-ins where moto is missing or `real` is off."""
    if not real:
        return dict(_FALLBACK)
    try:
        out = subprocess.run(
            [sys.executable, "-c", _READER, *_FALLBACK], capture_output=True, text=True, check=True, timeout=120
        )
        return {**_FALLBACK, **json.loads(out.stdout)}
    except (subprocess.SubprocessError, ValueError):
        return dict(_FALLBACK)
