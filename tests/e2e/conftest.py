"""The whole service as a user runs it: a real Temporal dev server, the worker and the API as processes, real HTTP."""

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from models.migrate import upgrade_async
from tests.support.temporal import free_port

ROOT = Path(__file__).resolve().parents[2]
T_MERCHANT_SECONDS = 4
JWT_SECRET = "e2e-secret"


@dataclass(frozen=True)
class Service:
    base_url: str
    temporal_address: str
    task_queue: str
    database_url: str


@pytest_asyncio.fixture(scope="session")
async def service(dev_server: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    directory = tmp_path_factory.mktemp("e2e")
    database_url = os.environ.get("AFTERSALES_TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{directory / 'e2e.db'}"
    await upgrade_async(database_url)
    port = free_port()
    queue = f"e2e-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "AFTERSALES_ENV": "test",
        "AFTERSALES_JWT_SECRET": JWT_SECRET,
        "AFTERSALES_DATABASE_URL": database_url,
        "AFTERSALES_TEMPORAL_ADDRESS": dev_server,
        "AFTERSALES_TASK_QUEUE": queue,
        "AFTERSALES_T_MERCHANT": f"{T_MERCHANT_SECONDS}s",
        "AFTERSALES_EVIDENCE_DIR": str(directory / "evidence"),
    }
    api_argv = ["-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port)]
    processes = [
        await _spawn([sys.executable, "worker.py"], env, directory / "worker.log"),
        await _spawn([sys.executable, *api_argv], env, directory / "api.log"),
    ]
    base_url = f"http://127.0.0.1:{port}"
    try:
        await _wait_healthy(base_url, processes, directory)
        yield Service(base_url, dev_server, queue, database_url)
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            await process.wait()


async def _spawn(argv: list[str], env: dict[str, str], log_path: Path) -> asyncio.subprocess.Process:
    with log_path.open("wb") as log:
        return await asyncio.create_subprocess_exec(*argv, cwd=ROOT, env=env, stdout=log, stderr=log)


async def _wait_healthy(base_url: str, processes: list[asyncio.subprocess.Process], directory: Path) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        for _ in range(300):
            if any(p.returncode is not None for p in processes):
                break
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the service did not become healthy:\n{_tails(directory)}")


def _tails(directory: Path) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in directory.glob("*.log"))
