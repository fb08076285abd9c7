"""The AWS emulator in a child process, seeded there in bulk, with its call counts read over a pipe.

A child process keeps the server's CPU and memory apart from the tool being measured: the scanner (or a peer) and
moto do not share a GIL, and the tool's peak RSS is its own.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import resource
import time
import traceback
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from bench.seed_aws import MANAGEMENT, AccountShape

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Estate:
    """What the server holds: member accounts of one shape, and the management account's own identities."""

    members: int = 0
    member_shape: AccountShape | None = None
    management_shape: AccountShape | None = None
    gaad_page_size: int = 1000
    latency_ms: float = 0.0  # added to every request (outside moto's lock), to model AWS's round trip


def _serve(estate: Estate, conn: Any) -> None:
    try:
        _run_server(estate, conn)
    except Exception:
        conn.send(("error", traceback.format_exc()))
        raise


def _run_server(estate: Estate, conn: Any) -> None:
    from bench.seed_aws import create_organization, seed_account
    from connectors.aws.emulator import AwsEmulator

    started = time.perf_counter()
    delay = estate.latency_ms / 1000

    class Emulator(AwsEmulator):
        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            if delay and not environ.get("PATH_INFO", "").startswith("/moto-api"):
                time.sleep(delay)
            return super().__call__(environ, start_response)

    emulator = Emulator(gaad_page_size=estate.gaad_page_size)
    emulator.start()
    seeded: dict[str, dict[str, int]] = {}
    with emulator.exclusive():
        members = create_organization(estate.members) if estate.members else []
        if estate.management_shape is not None:
            seeded[MANAGEMENT] = seed_account(MANAGEMENT, estate.management_shape)
        if estate.member_shape is not None:
            for account in members:
                seeded[account] = seed_account(account, estate.member_shape)
    _warm_up(emulator)
    conn.send((emulator.url, members, seeded, time.perf_counter() - started))
    while True:
        command = conn.recv()
        if command == "counts":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            conn.send((emulator.counts(), emulator.unsupported(), usage.ru_utime + usage.ru_stime))
        elif command == "reset":
            emulator.reset_counts()
            with emulator.exclusive():
                _forget_credential_reports()
            conn.send(True)
        else:
            break
    emulator.stop()
    conn.send(True)


def _warm_up(emulator: Any) -> None:
    """Import moto's service modules now (its first request to a service does), so no tool pays for them."""
    calls: tuple[tuple[str, str, dict[str, Any]], ...] = (
        ("sts", "get_caller_identity", {}),
        ("iam", "list_roles", {"MaxItems": 1}),
        ("lambda", "list_functions", {}),
        ("sagemaker", "list_notebook_instances", {}),
        ("bedrock-agent", "list_agents", {}),
        ("bedrock-agentcore-control", "list_agent_runtimes", {}),
        ("organizations", "list_accounts", {}),
    )
    for service, operation, kwargs in calls:
        try:
            getattr(emulator.client(service, max_attempts=1), operation)(**kwargs)
        except Exception as exc:  # e.g. no organization: only the import matters here
            log.debug("warm-up %s:%s: %s", service, operation, exc)
    emulator.reset_counts()


def _forget_credential_reports() -> None:
    """Every account's next GenerateCredentialReport starts a new report, as on a first scan."""
    from moto.iam.models import iam_backends

    for account in list(iam_backends.keys()):
        iam_backends[account]["global"].credential_report = None


class EmulatorProcess:
    """Start with `with EmulatorProcess(estate) as server:`; then server.url, server.counts(), server.reset()."""

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.url = ""
        self.members: list[str] = []
        self.seeded: dict[str, dict[str, int]] = {}
        self.setup_seconds = 0.0
        ctx = mp.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(estate, child), daemon=True, name="aws-emulator")

    def __enter__(self) -> EmulatorProcess:
        self._proc.start()
        first = self._conn.recv()
        if first[0] == "error":
            raise RuntimeError(f"the emulator process failed:\n{first[1]}")
        self.url, self.members, self.seeded, self.setup_seconds = first
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._proc.is_alive():
            self._conn.send("stop")
            self._conn.poll(30)
            self._proc.join(30)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(10)

    def counts(self) -> tuple[dict[str, dict[str, int]], dict[str, int], float]:
        """Requests per account and operation, unimplemented operations called, and the server's CPU seconds."""
        self._conn.send("counts")
        counts, unsupported, cpu = self._conn.recv()
        return counts, unsupported, cpu

    def reset(self) -> None:
        """Forget the counts and every credential report, so the next tool starts as the first did."""
        self._conn.send("reset")
        self._conn.recv()


def total(counts: dict[str, dict[str, int]]) -> int:
    """All requests in a counts mapping."""
    return sum(sum(ops.values()) for ops in counts.values())


def by_operation(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    """Requests per operation, summed over accounts, most first."""
    merged: dict[str, int] = {}
    for ops in counts.values():
        for op, n in ops.items():
            merged[op] = merged.get(op, 0) + n
    return dict(sorted(merged.items(), key=lambda item: -item[1]))
