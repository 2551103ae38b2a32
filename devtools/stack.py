"""The whole service as processes: a Temporal dev server, then workers and API processes under uvicorn — one of each,
or the production shape's N API processes and M workers against one database.

Used by `make prod-local`, the end-to-end tests and the benchmarks, so all of them run what production runs. Each
child gets its own process group: a Ctrl-C at the terminal reaches only the supervisor, which stops them in order.
"""

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from devtools import temporal_server
from temporal_options import TemporalTarget

STOP_TIMEOUT_SECONDS = 10.0
HEALTH_TIMEOUT_SECONDS = 120.0  # a ceiling: four processes importing at once on a busy 2-core machine take long
READY_TIMEOUT_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class DevServer:
    """`temporal server start-dev` on a fixed port and database file: killed and started again, it finds its state."""

    directory: Path
    port: int
    ui_port: int | None = None
    process: asyncio.subprocess.Process | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.directory / "temporal.log"

    async def start(self) -> None:
        """Starts the server and waits until it answers."""
        db = self.directory / "temporal.db"
        argv = temporal_server.dev_server_argv(port=self.port, ui_port=self.ui_port, db_filename=db)
        process = self.process = await _spawn(argv, dict(os.environ), self.log)
        try:
            await temporal_server.wait_until_ready(
                TemporalTarget(self.address), READY_TIMEOUT_SECONDS, keep_waiting=lambda: process.returncode is None
            )
        except (RuntimeError, TimeoutError) as error:
            await stop_process(process)
            raise RuntimeError(f"{error}; server log:\n{_tail(self.log)}") from error

    def exited(self) -> bool:
        return self.process is not None and self.process.returncode is not None

    async def kill(self) -> None:
        """SIGKILL, as a machine dying would: nothing is flushed, nothing shut down."""
        if self.process is not None:
            await _kill(self.process)

    async def stop(self) -> None:
        if self.process is not None:
            await stop_process(self.process)


@contextlib.asynccontextmanager
async def dev_server(
    directory: Path, *, port: int | None = None, ui_port: int | None = None
) -> AsyncIterator[DevServer]:
    """A real dev server (sqlite database in `directory`, a free port unless given, headless unless `ui_port`)."""
    server = DevServer(directory, port or free_port(), ui_port)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def running_dev_server(directory: Path, *, ui_port: int | None = None) -> AsyncIterator[str]:
    """A real `temporal server start-dev` (free port, sqlite db in `directory`); yields its address."""
    async with dev_server(directory, ui_port=ui_port) as server:
        yield server.address


@dataclass
class Member:
    """One process of the service, an API (with its `url`) or a worker, logging to `log`."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: asyncio.subprocess.Process
    url: str | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    async def kill(self) -> None:
        """SIGKILL, as a machine dying would: no shutdown, requests and tasks in flight are lost."""
        await _kill(self.process)

    async def start(self) -> None:
        """Starts it again (same port for an API, waiting until it answers /health)."""
        self.process = await _spawn(self.argv, self.env, self.log)
        if self.url is not None:
            await _wait_healthy([self])

    async def stop(self) -> None:
        await stop_process(self.process)


@dataclass
class RunningService:
    apis: list[Member]
    workers: list[Member]
    env: dict[str, str]
    directory: Path

    @property
    def base_url(self) -> str:
        """The first API's URL (where there is one API, the API's)."""
        url = self.apis[0].url
        assert url is not None
        return url

    @property
    def base_urls(self) -> list[str]:
        return [api.url for api in self.apis if api.url is not None]

    @property
    def worker_pid(self) -> int:
        return self.workers[0].pid

    @property
    def api_pid(self) -> int:
        return self.apis[0].pid

    async def crash_worker(self) -> None:
        """SIGKILL the (first) worker, as a machine dying would: no shutdown, tasks in flight are lost."""
        await self.workers[0].kill()

    async def start_worker(self) -> None:
        await self.workers[0].start()

    def exited(self) -> Member | None:
        """A process that exited on its own, if any."""
        return next((m for m in (*self.workers, *self.apis) if m.process.returncode is not None), None)


@contextlib.asynccontextmanager
async def running_service(
    directory: Path,
    settings: Mapping[str, str],
    *,
    apis: int = 1,
    workers: int = 1,
    api_ports: Sequence[int] = (),
) -> AsyncIterator[RunningService]:
    """`workers` × `python worker.py` and `apis` × the API under uvicorn (on `api_ports`, else free ports), with
    `settings` (AFTERSALES_…) over the environment; the exception scan stays off unless `settings` turns it on.

    The database must already be migrated and Temporal must answer at AFTERSALES_TEMPORAL_ADDRESS.
    """
    env = {**os.environ, "AFTERSALES_SCANS": "false", **settings}  # tests and benchmarks run scans themselves
    ports = list(api_ports) or [free_port() for _ in range(apis)]
    service = RunningService([], [], env, directory)
    try:
        for number in range(1, workers + 1):
            service.workers.append(await _member(f"worker-{number}", [sys.executable, "worker.py"], env, directory))
        for number, port in enumerate(ports[:apis], start=1):
            api = await _member(f"api-{number}", _uvicorn(port), env, directory)
            api.url = f"http://127.0.0.1:{port}"
            service.apis.append(api)
        await _wait_healthy(service.apis, service.workers)
        yield service
    finally:
        await asyncio.gather(*(member.stop() for member in (*service.apis, *service.workers)))


def _uvicorn(port: int) -> list[str]:
    app = ["api.app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port)]
    return [sys.executable, "-m", "uvicorn", *app]


async def _member(name: str, argv: list[str], env: dict[str, str], directory: Path) -> Member:
    log = directory / f"{name}.log"
    return Member(name, argv, env, log, await _spawn(argv, env, log))


async def _spawn(argv: list[str], env: dict[str, str], log_path: Path) -> asyncio.subprocess.Process:
    with log_path.open("ab") as log:  # a restarted process goes on in the same log
        return await asyncio.create_subprocess_exec(
            *argv,
            cwd=temporal_server.ROOT,
            env=env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            process_group=0,
        )


async def _wait_healthy(apis: Sequence[Member], others: Sequence[Member] = ()) -> None:
    """Until every API answers /health with 200; fails with the logs as soon as one of them or of `others` exits."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HEALTH_TIMEOUT_SECONDS
    members = [*apis, *others]
    waiting = list(apis)
    async with httpx.AsyncClient() as client:
        while waiting and loop.time() < deadline and all(m.process.returncode is None for m in members):
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{waiting[0].url}/health")).status_code == 200:
                    waiting.pop(0)
                    continue
            await asyncio.sleep(0.1)
    if waiting or any(m.process.returncode is not None for m in members):
        logs = "\n".join(f"--- {m.name} ({m.log})\n{_tail(m.log)}" for m in members)
        raise RuntimeError(f"the service did not become healthy at {[m.url for m in apis]}:\n{logs}")


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
    await process.wait()


async def stop_process(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
