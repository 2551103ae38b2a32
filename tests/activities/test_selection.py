"""The worker's payment provider is the one the settings name; the fake only in development."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from activities.adapters.payments import FakePaymentProvider
from activities.adapters.payments_http import HttpPaymentProvider
from activities.adapters.selection import FakePaymentsRefused, payment_provider
from settings import Settings
from tests.support.payment_server import PaymentServer, running_payment_server

SECRET = "selection-test-secret-of-32-bytes-or-more"


@pytest_asyncio.fixture
async def server() -> AsyncIterator[PaymentServer]:
    async with running_payment_server("psp-key") as running:
        yield running


def settings(**values: Any) -> Settings:
    return Settings.model_validate({"jwt_secret": SECRET, **values})


async def test_http_payments_call_the_configured_provider_with_its_key_and_close_after(server: PaymentServer) -> None:
    configured = settings(env="production", payments="http", payments_url=server.url, payments_api_key="psp-key")
    async with payment_provider(configured) as provider:
        assert isinstance(provider, HttpPaymentProvider)
        reference = await provider.refund(idempotency_key="case-1:refund:1", order_id="o-1", amount_cents=100)
    assert [p.reference for p in server.payments] == [reference]
    assert [c.authorization for c in server.calls] == ["Bearer psp-key"]
    assert provider.closed


async def test_development_may_use_the_fake() -> None:
    async with payment_provider(settings(env="development", payments="fake")) as provider:
        assert isinstance(provider, FakePaymentProvider)


@pytest.mark.parametrize("env", ["test", "production"])
async def test_the_fake_is_refused_outside_development(env: str) -> None:
    with pytest.raises(FakePaymentsRefused, match=f"development only \\(AFTERSALES_ENV={env}\\)"):
        async with payment_provider(settings(env=env, payments="fake")):
            pass
