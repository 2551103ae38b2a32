"""`python worker.py` refuses to start with the fake payment provider outside development."""

import asyncio
import os
import sys

from devtools.temporal_server import ROOT
from tests.support.temporal import free_port


async def test_the_worker_refuses_the_fake_provider_in_production() -> None:
    env = {
        **os.environ,
        "AFTERSALES_ENV": "production",
        "AFTERSALES_JWT_SECRET": "worker-test-secret-of-32-bytes-or-more",
        "AFTERSALES_PAYMENTS": "fake",
        # Nothing listens here: a worker that went on to connect would fail for another reason.
        "AFTERSALES_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "worker.py", cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)

    assert process.returncode == 1
    assert stderr.decode().strip() == (
        "worker: AFTERSALES_PAYMENTS=fake pays nobody and is for development only (AFTERSALES_ENV=production): "
        "set AFTERSALES_PAYMENTS=http and AFTERSALES_PAYMENTS_URL"
    )


async def test_the_worker_refuses_the_fake_fulfilment_service_in_production() -> None:
    env = {
        **os.environ,
        "AFTERSALES_ENV": "production",
        "AFTERSALES_JWT_SECRET": "worker-test-secret-of-32-bytes-or-more",
        "AFTERSALES_PAYMENTS": "http",
        "AFTERSALES_PAYMENTS_URL": f"http://127.0.0.1:{free_port()}",
        "AFTERSALES_FULFILMENT": "fake",
        "AFTERSALES_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "worker.py", cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)

    assert process.returncode == 1
    assert stderr.decode().strip() == (
        "worker: AFTERSALES_FULFILMENT=fake carries out nothing and is for development only "
        "(AFTERSALES_ENV=production): set AFTERSALES_FULFILMENT=http and AFTERSALES_FULFILMENT_URL"
    )
