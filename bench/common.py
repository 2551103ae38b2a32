"""What every benchmark shares: the stack it runs on, the machine it ran on, percentiles, and the JSON of each run.

`running_stack` starts what `make dev` starts (the Temporal dev server with the WAL pragmas and one task-queue
partition, the worker, the API) on free ports in a temporary directory, and, when asked, the bare engine's worker
(`bench/engine.py`) beside it, so a benchmark can set the service against the engine on the same server.
"""

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from devtools import temporal_server
from devtools.stack import RunningService, running_dev_server, running_service, stop_process
from models.db import create_engine
from models.migrate import upgrade_async

RESULTS = Path(__file__).resolve().parent / "results"
SECRET = "bench-secret-of-at-least-thirty-two-bytes"
NAMESPACE = "default"


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """count, p50, p95, p99, max and mean in milliseconds (nearest rank: p99 of 100 samples is the 99th)."""
    ordered = sorted(seconds)
    if not ordered:
        return {"count": 0}

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)] * 1000

    return {
        "count": len(ordered),
        "p50_ms": rank(0.50),
        "p95_ms": rank(0.95),
        "p99_ms": rank(0.99),
        "max_ms": ordered[-1] * 1000,
        "mean_ms": sum(ordered) / len(ordered) * 1000,
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on: the machine, the versions, the commit, and how busy it was."""
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "ram_gib": round(_meminfo_kib("MemTotal") / 2**20, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "temporalio": metadata.version("temporalio"),
        "temporal_cli": _temporal_cli_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
    }


def machine_line(info: Mapping[str, Any]) -> str:
    load = "/".join(f"{x:g}" for x in info["load_average_at_start"])
    return (
        f"machine: {info['cores']} cores, {info['cpu']}, {info['ram_gib']} GiB RAM, {info['os']}; "
        f"Python {info['python']}, temporalio {info['temporalio']}, temporal CLI {info['temporal_cli']}; "
        f"{info['date']}, commit {info['commit']}; load average {load} at start"
    )


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _meminfo_kib(field: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


def _temporal_cli_version() -> str:
    try:
        out = subprocess.run(
            [str(temporal_server.temporal_binary()), "--version"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip().removeprefix("temporal version ") or "unknown"


def _git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=temporal_server.ROOT, capture_output=True, text=True).stdout.strip()

    try:
        commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
        return f"{commit}+dirty" if git("status", "--porcelain", "--untracked-files=no") else commit
    except OSError:
        return "unknown"


class ResultFile:
    """`bench/results/<benchmark>-<UTC timestamp>.json`, rewritten whole at each `save` (long runs save as they go)."""

    def __init__(self, benchmark: str, parameters: Mapping[str, Any]) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.path = RESULTS / f"{benchmark}-{stamp}.json"
        self.data: dict[str, Any] = {"benchmark": benchmark, "parameters": dict(parameters), "machine": machine()}

    def save(self, **figures: Any) -> Path:
        self.data.update(figures)
        RESULTS.mkdir(exist_ok=True)
        self.path.write_text(json.dumps(self.data, indent=2, ensure_ascii=False, default=str) + "\n")
        return self.path

    @property
    def shown_path(self) -> str:
        return str(self.path.relative_to(temporal_server.ROOT))


def rss_mib(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds the process has used so far."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return float("nan")


def _child_pid(command_part: str) -> int | None:
    """Our own child process whose command line holds `command_part` (the dev server, which the stack does not name)."""
    me = str(os.getpid())
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError, IndexError):
            mine = proc.name.isdigit() and (proc / "stat").read_text().rsplit(")", 1)[1].split()[1] == me
            if mine and command_part in (proc / "cmdline").read_bytes().decode(errors="replace"):
                return int(proc.name)
    return None


@dataclass
class Stack:
    directory: Path
    database_url: str
    service: RunningService
    temporal: Client  # the bench's own client of the dev server (pydantic converter, as the service's)
    http: httpx.AsyncClient  # the API at its base URL

    def rss(self) -> dict[str, float]:
        return {name: round(rss_mib(pid), 1) for name, pid in self._pids().items() if name != "bench"}

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each process of the stack and by this benchmark (its clients)."""
        return {name: cpu_seconds(pid) for name, pid in self._pids().items()}

    def _pids(self) -> dict[str, int]:
        pids = {
            "worker": self.service.worker_pid,
            "api": self.service.api_pid,
            "temporal": _child_pid("start-dev"),
            "bare_worker": _child_pid("bench.engine"),
            "bench": os.getpid(),
        }
        return {name: pid for name, pid in pids.items() if pid is not None}

    async def database_sizes(self) -> dict[str, float]:
        """MiB on disk: the dev server's SQLite files and the service's database (SQLite files or PostgreSQL)."""
        temporal = _files_mib(self.directory, "temporal.db*")
        if self.database_url.startswith("sqlite"):
            return {"temporal_db_mib": temporal, "service_db_mib": _files_mib(self.directory, "service.db*")}
        engine = create_engine(self.database_url)
        try:
            async with engine.connect() as conn:
                size = (await conn.execute(text("SELECT pg_database_size(current_database())"))).scalar_one()
        finally:
            await engine.dispose()
        return {"temporal_db_mib": temporal, "service_db_mib": round(size / 2**20, 1)}


def verdict(met: bool) -> str:
    """How a benchmark prints a target against its figure."""
    return "met" if met else "NOT MET"


def cpu_per_hundred(before: Mapping[str, float], after: Mapping[str, float], count: int) -> dict[str, float]:
    """CPU seconds per 100 operations by process between two `Stack.cpu()` readings (where the machine's time went)."""
    spent = {name: (after[name] - before[name]) * 100 / max(count, 1) for name in before if name in after}
    return {name: round(seconds, 2) for name, seconds in spent.items() if seconds >= 0.005}


def cpu_line(per_hundred: Mapping[str, float]) -> str:
    parts = ", ".join(f"{name} {seconds}" for name, seconds in per_hundred.items())
    return f"CPU s per 100: {parts} (total {round(sum(per_hundred.values()), 2)})"


def _files_mib(directory: Path, pattern: str) -> float:
    return round(sum(path.stat().st_size for path in directory.glob(pattern)) / 2**20, 1)


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=None, help="a database to migrate and use (default: SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the stack's directory: logs, databases")


@contextlib.contextmanager
def _directory(keep: bool) -> Iterator[Path]:
    if not keep:
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            yield Path(tmp)
        return
    kept = Path(tempfile.mkdtemp(prefix="bench-"))
    print(f"the stack's logs and databases are kept in {kept}")
    yield kept


@contextlib.asynccontextmanager
async def running_stack(
    args: argparse.Namespace,
    settings: Mapping[str, str] | None = None,
    *,
    connections: int = 32,
    bare_worker: bool = False,
) -> AsyncIterator[Stack]:
    """The service on a fresh dev server, on the database of `--database-url` (migrated here) or a new SQLite one."""
    with _directory(args.keep) as directory:
        url = args.database_url or f"sqlite+aiosqlite:///{directory / 'service.db'}"
        await upgrade_async(url)
        async with running_dev_server(directory) as address:
            env = {
                "AFTERSALES_ENV": "development",  # the fake payment provider: the service is measured, not a PSP
                "AFTERSALES_JWT_SECRET": SECRET,
                "AFTERSALES_DATABASE_URL": url,
                "AFTERSALES_TEMPORAL_ADDRESS": address,
                "AFTERSALES_EVIDENCE_DIR": str(directory / "evidence"),
                **(settings or {}),
            }
            temporal = await Client.connect(address, namespace=NAMESPACE, data_converter=pydantic_data_converter)
            limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
            async with (
                running_service(directory, env) as service,
                httpx.AsyncClient(base_url=service.base_url, timeout=120, limits=limits) as http,
                _bare_worker(directory, address, bare_worker),
            ):
                yield Stack(directory, url, service, temporal, http)


@contextlib.asynccontextmanager
async def _bare_worker(directory: Path, address: str, wanted: bool) -> AsyncIterator[None]:
    """`python -m bench.engine` in its own process, as the service's worker runs in its own."""
    if not wanted:
        yield
        return
    with (directory / "bare-worker.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.engine", address, cwd=temporal_server.ROOT, stdout=log, stderr=log
        )
    try:
        yield
    finally:
        await stop_process(process)
