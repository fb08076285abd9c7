"""Fan-out on Dask: the same records, gaps and API counts as the in-process run; a lost worker is retried or a gap."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask
import pytest
from conftest import FAKE_AWS_ENV
from dask_probe import FlakyWorkerConnector
from distributed import Client, LocalCluster

from connectors.aws import AwsConnector, AwsSettings
from connectors.aws.demo_estate import seed_demo_org
from connectors.aws.emulator import AwsEmulator
from scanner.config import Settings
from scanner.engine import collect, run_scan
from scanner.executors import DaskExecutor, ThreadExecutor
from scanner.model import Gap, ScopeReport

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def _environment(env: pytest.MonkeyPatch, values: dict[str, str]) -> Iterator[None]:
    for key, value in values.items():
        env.setenv(key, value)
    yield


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """Two worker processes whose credentials come from their own environment, never through the scheduler."""
    with (
        pytest.MonkeyPatch.context() as env,
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        _environment(env, FAKE_AWS_ENV),
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client


def summary(result: Any) -> dict[str, Any]:
    return {
        "identities": sorted(result.index.identities),
        "findings": sorted((f.id, f.status.value) for f in result.findings),
        "gaps": sorted((g.scope, g.resource, g.reason.value) for g in result.index.gaps),
        "calls": {scope: cov.api_calls for (_, scope), cov in result.coverage.scopes.items()},
    }


def test_dask_run_equals_the_in_process_run(client: Client) -> None:
    with AwsEmulator() as emulator:
        seed_demo_org(emulator)
        emulator.deny("iam:GetCredentialReport")  # gaps must travel back from the workers too
        settings = AwsSettings(organization_role="OrganizationAccountAccessRole", endpoint_url=emulator.url)
        run_scan(Settings(), connectors=[AwsConnector(settings)])  # first run: IAM generates credential reports
        distributed = run_scan(Settings(), connectors=[AwsConnector(settings)], executor=DaskExecutor(client=client))
        local = run_scan(Settings(), connectors=[AwsConnector(settings)], executor=ThreadExecutor(4))
    assert summary(distributed) == summary(local)
    assert len(summary(local)["calls"]) == 3 and summary(local)["gaps"]
    assert all(calls > 5 for calls in summary(distributed)["calls"].values())  # the workers' calls are counted


def test_a_lost_worker_is_retried(client: Client, tmp_path: Path) -> None:
    records = collect([FlakyWorkerConnector(tmp_path, ("once", "fine"))], 1, executor=DaskExecutor(client=client))
    reports = {r.scope: r for r in records if isinstance(r, ScopeReport)}
    assert not [r for r in records if isinstance(r, Gap)]
    assert reports["fine"].api_calls == 1
    assert reports["once"].api_calls == 2  # its first worker died; the retry on another worker finished


def test_a_worker_lost_every_time_becomes_a_gap(client: Client, tmp_path: Path) -> None:
    records = collect([FlakyWorkerConnector(tmp_path, ("always",))], 1, executor=DaskExecutor(client=client))
    (gap,) = [r for r in records if isinstance(r, Gap)]
    assert (gap.scope, gap.reason.value) == ("always", "error") and "lost" in gap.detail  # never silently missing
    assert [r.scope for r in records if isinstance(r, ScopeReport)] == ["always"]
