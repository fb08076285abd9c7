"""The tools compared by bench.aws_peers: how each is installed, how it is run, and how its run is measured.

Peers are installed from PyPI on first use, each into its own venv under /tmp/shadowsweep-peers/<tool> (Prowler
pins versions that conflict with everything else). A run is one or more commands in a new session (process group),
killed as a group when it passes its timeout. Peak RSS is sampled with psutil every 50 ms over the whole process
tree (the sum of its processes' RSS); without psutil it is the largest single process
(`getrusage(RUSAGE_CHILDREN).ru_maxrss`, which only ever grows, so later tools may show an earlier peak).
"""

from __future__ import annotations

import importlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PEERS_HOME = Path("/tmp/shadowsweep-peers")
REPO = Path(__file__).resolve().parent.parent
PMAPPER_FIX = (
    "from collections import Mapping, MutableMapping, OrderedDict",
    "from collections import OrderedDict\nfrom collections.abc import Mapping, MutableMapping",
)


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


psutil: Any = _optional("psutil")  # optional: without it, peak RSS is the largest single process


@dataclass
class Outcome:
    """One tool's run."""

    wall_s: float = 0.0
    peak_mb: float = 0.0
    exit_codes: list[int] = field(default_factory=list)
    timed_out: bool = False
    log: Path | None = None


def rss_method() -> str:
    """How peak RSS is measured, for the table's footnote."""
    if psutil is not None:
        return "psutil, sum over the tool's process tree, sampled every 50 ms"
    return "getrusage(RUSAGE_CHILDREN).ru_maxrss: the largest single process so far (psutil is not installed)"


def _tree_rss(proc: subprocess.Popen[bytes]) -> float:
    if psutil is None:
        return 0.0
    try:
        root = psutil.Process(proc.pid)
        members = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    rss = 0
    for member in members:
        try:
            rss += member.memory_info().rss
        except psutil.Error:
            continue
    return rss / 2**20


def run_commands(commands: list[list[str]], env: dict[str, str], cwd: Path, log: Path, timeout: float) -> Outcome:
    """Run commands one after another (stopping at a timeout); wall time and peak RSS cover them all."""
    outcome = Outcome(log=log)
    deadline = time.perf_counter() + timeout
    started = time.perf_counter()
    with log.open("wb") as sink:
        for command in commands:
            sink.write(f"$ {' '.join(command)}\n".encode())
            sink.flush()
            proc = subprocess.Popen(
                command,
                env=env,
                cwd=cwd,
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            peak = [0.0]
            done = threading.Event()

            def sample(
                proc: subprocess.Popen[bytes] = proc, peak: list[float] = peak, done: threading.Event = done
            ) -> None:
                while not done.wait(0.05):
                    peak[0] = max(peak[0], _tree_rss(proc))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            try:
                outcome.exit_codes.append(proc.wait(timeout=max(1.0, deadline - time.perf_counter())))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the tool's own process group, which we started
                proc.wait()
                outcome.timed_out = True
            done.set()
            sampler.join()
            outcome.peak_mb = max(outcome.peak_mb, peak[0])
            if outcome.timed_out:
                break
    outcome.wall_s = time.perf_counter() - started
    if psutil is None:
        outcome.peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return outcome


def venv_bin(tool: str) -> Path:
    """The bin directory of a peer's venv."""
    return PEERS_HOME / tool / "bin"


def install(tool: str, package: str, log: Path) -> str | None:
    """Install a peer into its own venv on first use; None when ready, else why it is not."""
    home = PEERS_HOME / tool
    marker = home / ".shadowsweep-installed"
    if marker.exists():
        return None
    if home.exists():
        shutil.rmtree(home)  # a half-finished earlier install
    home.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("wb") as sink:
        steps = [
            [sys.executable, "-m", "venv", str(home)],
            [str(home / "bin" / "python"), "-m", "pip", "install", package],
        ]
        for step in steps:
            sink.write(f"$ {' '.join(step)}\n".encode())
            sink.flush()
            try:
                code = subprocess.run(step, stdout=sink, stderr=subprocess.STDOUT, timeout=1800, check=False).returncode
            except subprocess.TimeoutExpired:
                return f"installing {package} took longer than 30 min (log: {log})"
            if code != 0:
                return f"`pip install {package}` failed with exit code {code} (log: {log})"
    if tool == "pmapper" and not _fix_pmapper(home):
        return f"could not apply the collections.abc fix to principalmapper (log: {log})"
    marker.write_text(f"installed in {time.perf_counter() - started:.0f} s\n")
    return None


def _fix_pmapper(home: Path) -> bool:
    """principalmapper 1.1.5 imports Mapping from `collections`, which Python 3.10 removed: the one-line fix."""
    found = list(home.glob("lib/python3*/site-packages/principalmapper/util/case_insensitive_dict.py"))
    if not found:
        return False
    text = found[0].read_text()
    if PMAPPER_FIX[0] in text:
        found[0].write_text(text.replace(PMAPPER_FIX[0], PMAPPER_FIX[1]))
    return PMAPPER_FIX[0] not in found[0].read_text()


@dataclass(frozen=True)
class Tool:
    """A tool's name, its PyPI package (None: ours), and the commands of one run."""

    name: str
    package: str | None
    accepted: tuple[int, ...] = (0,)  # exit codes that mean "ran fine" (Prowler exits 3 when checks FAIL)

    def commands(self, url: str, out: Path) -> list[list[str]]:
        """The commands of one run against the emulator at `url`, writing under `out`."""
        py = sys.executable
        if self.name == "shadowsweep":
            config = out / "shadowsweep.toml"
            config.write_text(f'[connectors.aws]\nendpoint_url = "{url}"\nregions = ["us-east-1"]\n')
            return [[py, "-m", "scanner", "scan", "--config", str(config), "--out", str(out / "report"), "--quiet"]]
        if self.name == "bare boto3 fetch":
            return [[py, "-m", "bench.aws_peers_floor", url]]
        if self.name == "floor fetch (C3)":
            return [[py, "-m", "bench.aws_peers_floor", url, "--all"]]
        bin_dir = venv_bin(self.name)
        if self.name == "prowler":
            return [
                [
                    str(bin_dir / "prowler"),
                    "aws",
                    "--service",
                    "iam",
                    "-f",
                    "us-east-1",
                    "--no-banner",
                    "-M",
                    "json-ocsf",
                    "csv",
                    "--output-directory",
                    str(out / "prowler-out"),
                ]
            ]
        if self.name == "cloudsplaining":
            tool = str(bin_dir / "cloudsplaining")
            report = out / "report"
            report.mkdir(exist_ok=True)
            return [
                [tool, "download", "--output", str(out)],
                [
                    tool,
                    "scan",
                    "--input-file",
                    str(out / "default.json"),
                    "--output",
                    str(report),
                    "--skip-open-report",
                ],
            ]
        if self.name == "pmapper":
            return [
                [
                    str(bin_dir / "pmapper"),
                    "graph",
                    "create",
                    "--localstack-endpoint",
                    url,
                    "--include-regions",
                    "us-east-1",
                ]
            ]
        raise ValueError(f"unknown tool {self.name}")


OURS = Tool("shadowsweep", None)
FLOOR = Tool("bare boto3 fetch", None)
FULL_FLOOR = Tool("floor fetch (C3)", None)
PEERS = (
    Tool("prowler", "prowler", accepted=(0, 3)),
    Tool("cloudsplaining", "cloudsplaining"),
    Tool("pmapper", "principalmapper"),
)


def tool_env(url: str, out: Path) -> dict[str, str]:
    """A clean environment pointing every AWS SDK at the emulator with demo credentials."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        XDG_DATA_HOME=str(out / "xdg"),  # PMapper keeps its graphs here
        PYTHONPATH=str(REPO),
    )
    return env
