"""Which payment provider the worker gets: the one `AFTERSALES_PAYMENTS` names, and the fake only in development."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from activities.adapters.payments import FakePaymentProvider, PaymentProvider
from activities.adapters.payments_http import HttpPaymentProvider
from settings import Settings


class FakePaymentsRefused(RuntimeError):
    """The fake provider pays nobody: outside development it would resolve cases with money that never moved."""


@asynccontextmanager
async def payment_provider(settings: Settings) -> AsyncIterator[PaymentProvider]:
    """The configured provider, open for the block and closed after it. Refuses the fake outside development."""
    if settings.payments == "fake":
        if settings.env != "development":
            raise FakePaymentsRefused(
                f"AFTERSALES_PAYMENTS=fake pays nobody and is for development only (AFTERSALES_ENV={settings.env}): "
                "set AFTERSALES_PAYMENTS=http and AFTERSALES_PAYMENTS_URL"
            )
        yield FakePaymentProvider()
        return
    assert settings.payments_url is not None  # the settings refuse http without a URL
    api_key = settings.payments_api_key.get_secret_value() if settings.payments_api_key else None
    async with HttpPaymentProvider(
        str(settings.payments_url), timeout=settings.payments_timeout, api_key=api_key
    ) as provider:
        yield provider
