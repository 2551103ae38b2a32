"""The whole service as processes on free ports: a Temporal dev server, then the worker and the API.

Used by the end-to-end tests and the benchmarks, so both run what `make dev` runs.
"""

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from devtools import temporal_server

STOP_TIMEOUT_SECONDS = 10.0
HEALTH_TIMEOUT_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningService:
    base_url: str
    worker: asyncio.subprocess.Process
    api: asyncio.subprocess.Process
    env: dict[str, str]
    directory: Path

    @property
    def worker_pid(self) -> int:
        return self.worker.pid

    @property
    def api_pid(self) -> int:
        return self.api.pid

    async def crash_worker(self) -> None:
        """SIGKILL the worker, as a machine dying would: no shutdown, tasks in flight are lost."""
        self.worker.kill()
        await self.worker.wait()

    async def start_worker(self) -> None:
        log = self.directory / f"worker-{len(list(self.directory.glob('worker*.log')))}.log"
        self.worker = await _spawn([sys.executable, "worker.py"], self.env, log)


@contextlib.asynccontextmanager
async def running_dev_server(directory: Path, *, ui_port: int | None = None) -> AsyncIterator[str]:
    """A real `temporal server start-dev` (free port, sqlite db in `directory`); yields its address."""
    port = free_port()
    argv = temporal_server.dev_server_argv(port=port, ui_port=ui_port, db_filename=directory / "temporal.db")
    log_path = directory / "temporal.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(*argv, stdout=log, stderr=asyncio.subprocess.STDOUT)
    address = f"127.0.0.1:{port}"
    try:
        await temporal_server.wait_until_ready(address, 60, keep_waiting=lambda: process.returncode is None)
    except (RuntimeError, TimeoutError) as error:
        await _stop(process)
        raise RuntimeError(f"{error}; server log:\n{_tail(log_path)}") from error
    try:
        yield address
    finally:
        await _stop(process)


@contextlib.asynccontextmanager
async def running_service(directory: Path, settings: Mapping[str, str]) -> AsyncIterator[RunningService]:
    """`python worker.py` and the API under uvicorn, with `settings` (AFTERSALES_…) over the environment.

    The database must already be migrated and Temporal must answer at AFTERSALES_TEMPORAL_ADDRESS.
    """
    port = free_port()
    env = {**os.environ, "AFTERSALES_SCANS": "false", **settings}  # tests and benchmarks run scans themselves
    api_argv = ["-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port)]
    worker = await _spawn([sys.executable, "worker.py"], env, directory / "worker.log")
    api = await _spawn([sys.executable, *api_argv], env, directory / "api.log")
    service = RunningService(f"http://127.0.0.1:{port}", worker, api, env, directory)
    try:
        await _wait_healthy(service.base_url, [worker, api], directory)
        yield service
    finally:
        await asyncio.gather(_stop(service.api), _stop(service.worker))


async def _spawn(argv: list[str], env: dict[str, str], log_path: Path) -> asyncio.subprocess.Process:
    with log_path.open("wb") as log:
        return await asyncio.create_subprocess_exec(
            *argv, cwd=temporal_server.ROOT, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT
        )


async def _wait_healthy(base_url: str, processes: list[asyncio.subprocess.Process], directory: Path) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HEALTH_TIMEOUT_SECONDS
    async with httpx.AsyncClient(base_url=base_url) as client:
        while loop.time() < deadline and all(p.returncode is None for p in processes):
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/health")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    logs = "\n".join(f"--- {name}\n{_tail(directory / name)}" for name in ("worker.log", "api.log"))
    raise RuntimeError(f"the service did not become healthy at {base_url}:\n{logs}")


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
