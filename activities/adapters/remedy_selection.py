"""Which fulfilment service and courier the worker gets: those `AFTERSALES_FULFILMENT` and `AFTERSALES_COURIER`
name, and the fakes only in development (they ship and intercept nothing)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from activities.adapters.courier import Courier, FakeCourier
from activities.adapters.courier_http import HttpCourier
from activities.adapters.fulfilment import FakeFulfilment, Fulfilment
from activities.adapters.fulfilment_http import HttpFulfilment
from settings import Settings


class FakeRemediesRefused(RuntimeError):
    """A fake outside development would resolve cases with goods that never shipped and parcels never stopped."""


def _refuse_fake_outside_development(settings: Settings, service: str) -> None:
    if settings.env != "development":
        name = f"AFTERSALES_{service.upper()}"
        raise FakeRemediesRefused(
            f"{name}=fake carries out nothing and is for development only (AFTERSALES_ENV={settings.env}): "
            f"set {name}=http and {name}_URL"
        )


@asynccontextmanager
async def fulfilment_service(settings: Settings) -> AsyncIterator[Fulfilment]:
    if settings.fulfilment == "fake":
        _refuse_fake_outside_development(settings, "fulfilment")
        yield FakeFulfilment()
        return
    assert settings.fulfilment_url is not None  # the settings refuse http without a URL
    key = settings.fulfilment_api_key.get_secret_value() if settings.fulfilment_api_key else None
    async with HttpFulfilment(str(settings.fulfilment_url), timeout=settings.remedies_timeout, api_key=key) as service:
        yield service


@asynccontextmanager
async def courier_service(settings: Settings) -> AsyncIterator[Courier]:
    if settings.courier == "fake":
        _refuse_fake_outside_development(settings, "courier")
        yield FakeCourier()
        return
    assert settings.courier_url is not None
    key = settings.courier_api_key.get_secret_value() if settings.courier_api_key else None
    async with HttpCourier(str(settings.courier_url), timeout=settings.remedies_timeout, api_key=key) as service:
        yield service
