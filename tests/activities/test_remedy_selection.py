"""The worker's fulfilment service and courier are those the settings name; the fakes only in development."""

from typing import Any

import pytest
from pydantic import ValidationError

from activities.adapters.courier import FakeCourier
from activities.adapters.courier_http import HttpCourier
from activities.adapters.fulfilment import FakeFulfilment
from activities.adapters.fulfilment_http import HttpFulfilment
from activities.adapters.remedy_selection import FakeRemediesRefused, courier_service, fulfilment_service
from settings import Settings
from tests.support.remedy_servers import running_courier_server, running_fulfilment_server

SECRET = "selection-test-secret-of-32-bytes-or-more"


def settings(**values: Any) -> Settings:
    return Settings.model_validate({"jwt_secret": SECRET, **values})


async def test_http_services_are_called_with_their_keys_and_closed_after() -> None:
    async with running_fulfilment_server("wh-key") as warehouses, running_courier_server("co-key") as couriers:
        configured = settings(
            env="production",
            payments="http",
            payments_url="http://127.0.0.1:1",
            fulfilment="http",
            fulfilment_url=warehouses.url,
            fulfilment_api_key="wh-key",
            courier="http",
            courier_url=couriers.url,
            courier_api_key="co-key",
        )
        async with fulfilment_service(configured) as fulfilment, courier_service(configured) as courier:
            assert isinstance(fulfilment, HttpFulfilment) and isinstance(courier, HttpCourier)
            await fulfilment.cancel(idempotency_key="case-1:cancel:1", order_id="o-1")
            await courier.urge(idempotency_key="case-1:urge:1", carrier="SF", tracking_no="SF1")
        assert fulfilment.closed and courier.closed
    assert [c.authorization for c in warehouses.calls] == ["Bearer wh-key"]
    assert [c.authorization for c in couriers.calls] == ["Bearer co-key"]


async def test_development_may_use_the_fakes() -> None:
    configured = settings(env="development")
    async with fulfilment_service(configured) as fulfilment, courier_service(configured) as courier:
        assert isinstance(fulfilment, FakeFulfilment) and isinstance(courier, FakeCourier)


@pytest.mark.parametrize("service", [fulfilment_service, courier_service])
async def test_the_fakes_are_refused_outside_development(service: Any) -> None:
    with pytest.raises(FakeRemediesRefused, match="development only"):
        async with service(settings(env="production")):
            pass


@pytest.mark.parametrize("service", ["fulfilment", "courier"])
def test_http_without_a_url_does_not_load(service: str) -> None:
    with pytest.raises(ValidationError, match=f"AFTERSALES_{service.upper()}_URL"):
        settings(**{service: "http"})
