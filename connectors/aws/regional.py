"""Regional runtimes that act as identities: Bedrock agents, AgentCore runtimes, Lambda, SageMaker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from connectors.aws import fetch
from connectors.aws.errors import SDK_ERRORS, gap_detail, gap_reason
from connectors.aws.normalize import env_var_names, workload
from scanner.model import Facet, Record, Workload

if TYPE_CHECKING:
    from connectors.aws.account import AccountCollector

WORKLOAD_FACETS = frozenset({Facet.WORKLOADS})


def _bedrock_agents(client: Any, account: str, region: str) -> Iterator[Workload]:
    for agent in fetch.bedrock_agents(client):
        if agent.get("agentResourceRoleArn"):
            yield workload(
                kind="bedrock-agent",
                arn=agent["agentArn"],
                name=agent.get("agentName", ""),
                role_arn=agent["agentResourceRoleArn"],
                scope=account,
                region=region,
            )


def _agentcore(client: Any, account: str, region: str) -> Iterator[Workload]:
    for runtime in fetch.agentcore_runtimes(client):
        if runtime.get("roleArn"):
            yield workload(
                kind="agentcore-runtime",
                arn=runtime["agentRuntimeArn"],
                name=runtime.get("agentRuntimeName", ""),
                role_arn=runtime["roleArn"],
                scope=account,
                region=region,
            )


def _lambdas(client: Any, account: str, region: str) -> Iterator[Workload]:
    for function in fetch.lambda_functions(client):
        if function.get("Role"):
            yield workload(
                kind="lambda-function",
                arn=function["FunctionArn"],
                name=function.get("FunctionName", ""),
                role_arn=function["Role"],
                scope=account,
                region=region,
                env_names=env_var_names(function),
            )


def _notebooks(client: Any, account: str, region: str) -> Iterator[Workload]:
    for notebook in fetch.sagemaker_notebooks(client):
        if notebook.get("RoleArn"):
            yield workload(
                kind="sagemaker-notebook",
                arn=notebook["NotebookInstanceArn"],
                name=notebook.get("NotebookInstanceName", ""),
                role_arn=notebook["RoleArn"],
                scope=account,
                region=region,
            )


Source = Callable[[Any, str, str], Iterator[Workload]]
SOURCES: tuple[tuple[str, str, Source], ...] = (
    ("bedrock-agent", "bedrock-agent:ListAgents", _bedrock_agents),
    ("bedrock-agentcore-control", "bedrock-agentcore-control:ListAgentRuntimes", _agentcore),
    ("lambda", "lambda:ListFunctions", _lambdas),
    ("sagemaker", "sagemaker:ListNotebookInstances", _notebooks),
)


def regional_records(collector: AccountCollector, regions: tuple[str, ...] | None = None) -> Iterator[Record]:
    """Every regional source in each region (all configured ones by default); a failure is a gap for that region."""
    for region in collector.regions if regions is None else regions:
        for service, resource, source in SOURCES:
            client = collector.clients.get(service, region)
            try:
                found = list(source(client, collector.account, region))
            except SDK_ERRORS as exc:
                collector.gap(resource, gap_reason(exc), gap_detail(exc), WORKLOAD_FACETS, region=region)
                continue
            yield from found
