"""The service as a support agent meets it: a Temporal dev server WITH its Web UI, the worker and the API, and
Debian's Chromium driven by Playwright. Skipped, saying why, where Chromium or Playwright is missing."""

import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from devtools.stack import free_port, running_dev_server, running_service
from tests.api.helpers import SECRET
from tests.support.db import migrate
from tests.support.payment_server import running_payment_server
from tests.support.remedy_servers import running_courier_server, running_fulfilment_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass(frozen=True)
class Desk:
    ui_url: str
    api_url: str


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = _missing()
    for item in items:
        if reason and "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.skip(reason=reason))


def _missing() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if CHROMIUM is None:
        return "Debian's chromium is not installed: `make browser` installs it where apt-get works (root)"
    return None


@pytest_asyncio.fixture(scope="session")
async def desk(database_url: str, owner_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Desk]:
    directory = tmp_path_factory.mktemp("desk")
    await migrate(owner_url, database_url)
    ui_port = free_port()
    async with (
        running_payment_server() as payments,
        running_fulfilment_server() as fulfilment,
        running_courier_server() as courier,
        running_dev_server(directory, ui_port=ui_port) as address,
    ):
        settings = {
            "AFTERSALES_ENV": "test",
            "AFTERSALES_JWT_SECRET": SECRET,
            "AFTERSALES_DATABASE_URL": database_url,
            "AFTERSALES_TEMPORAL_ADDRESS": address,
            "AFTERSALES_TASK_QUEUE": f"desk-{uuid.uuid4().hex[:8]}",
            "AFTERSALES_EVIDENCE_DIR": str(directory / "evidence"),
            "AFTERSALES_PAYMENTS": "http",
            "AFTERSALES_PAYMENTS_URL": payments.url,
            "AFTERSALES_FULFILMENT": "http",  # outside development the worker refuses the fakes
            "AFTERSALES_FULFILMENT_URL": fulfilment.url,
            "AFTERSALES_COURIER": "http",
            "AFTERSALES_COURIER_URL": courier.url,
        }
        async with running_service(directory, settings) as service:
            yield Desk(f"http://127.0.0.1:{ui_port}", service.base_url)
