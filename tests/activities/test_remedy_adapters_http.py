"""The HTTP fulfilment and courier adapters against services over real HTTP: one effect per business key whatever
fails on the way, a 4xx is final, a 5xx or an unreachable service is retryable."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio

from activities.adapters.courier import InterceptOutcome
from activities.adapters.courier_http import HttpCourier
from activities.adapters.fulfilment import Item
from activities.adapters.fulfilment_http import HttpFulfilment
from activities.adapters.remedy_errors import RemedyRefused, RemedyUnavailable
from tests.support.remedy_servers import (
    CourierServer,
    FulfilmentServer,
    running_courier_server,
    running_fulfilment_server,
)
from tests.support.temporal import free_port

KEY = "remedy-test-key"
TIMEOUT = timedelta(milliseconds=500)


@pytest_asyncio.fixture
async def warehouses() -> AsyncIterator[FulfilmentServer]:
    async with running_fulfilment_server(KEY) as running:
        yield running


@pytest_asyncio.fixture
async def fulfilment(warehouses: FulfilmentServer) -> AsyncIterator[HttpFulfilment]:
    async with HttpFulfilment(warehouses.url, timeout=TIMEOUT, api_key=KEY) as adapter:
        yield adapter


@pytest_asyncio.fixture
async def courier_server() -> AsyncIterator[CourierServer]:
    async with running_courier_server(KEY) as running:
        yield running


@pytest_asyncio.fixture
async def courier(courier_server: CourierServer) -> AsyncIterator[HttpCourier]:
    async with HttpCourier(courier_server.url, timeout=TIMEOUT, api_key=KEY) as adapter:
        yield adapter


async def reship(fulfilment: HttpFulfilment, key: str = "case-1:reship:1") -> object:
    items = [Item("tee-1", 1)]
    return await fulfilment.reship(idempotency_key=key, order_id="o-1", items=items, warehouse=None, fastest=True)


async def test_a_reshipment_names_its_parcel_and_warehouse_and_ships_once(
    warehouses: FulfilmentServer, fulfilment: HttpFulfilment
) -> None:
    warehouses.stock = {"tee-1": {"WH-BJ": 0, "WH-HZ": 4}}
    shipped = await reship(fulfilment)
    again = await reship(fulfilment)

    assert shipped == again
    assert [e.answer["tracking_no"] for e in warehouses.effects] == [shipped.tracking_no]  # type: ignore[attr-defined]
    assert warehouses.effects[0].body == {
        "order_id": "o-1",
        "items": [{"sku": "tee-1", "quantity": 1}],
        "warehouse": None,
        "fastest": True,
    }
    assert (shipped.carrier, shipped.warehouse) == ("SF", "WH-HZ")  # type: ignore[attr-defined]
    assert {c.authorization for c in warehouses.calls} == {f"Bearer {KEY}"}


async def test_a_5xx_then_success_cancels_once(warehouses: FulfilmentServer, fulfilment: HttpFulfilment) -> None:
    warehouses.fail_next(1, status=503)
    with pytest.raises(RemedyUnavailable, match="503"):
        await fulfilment.cancel(idempotency_key="case-2:cancel:1", order_id="o-2")
    reference = await fulfilment.cancel(idempotency_key="case-2:cancel:1", order_id="o-2")

    assert [e.answer["reference"] for e in warehouses.effects] == [reference]
    assert [c.idempotency_key for c in warehouses.calls] == ["case-2:cancel:1"] * 2


async def test_a_4xx_is_final_with_the_services_message(
    warehouses: FulfilmentServer, fulfilment: HttpFulfilment
) -> None:
    warehouses.refuse_next(409, "order o-3 has shipped already")
    with pytest.raises(RemedyRefused) as refused:
        await fulfilment.cancel(idempotency_key="case-3:cancel:1", order_id="o-3")
    assert refused.value.reason == "order o-3 has shipped already"
    assert warehouses.effects == [] and len(warehouses.calls) == 1


async def test_stock_transfer_and_faster_transport(warehouses: FulfilmentServer, fulfilment: HttpFulfilment) -> None:
    warehouses.stock = {"mug 1": {"WH-SH": 0, "WH-GZ": 7}}
    assert await fulfilment.stock(sku="mug 1") == {"WH-SH": 0, "WH-GZ": 7}
    transfer = await fulfilment.transfer(
        idempotency_key="case-4:transfer:1", sku="mug 1", quantity=1, from_warehouse="WH-GZ", to_warehouse="WH-SH"
    )
    upgrade = await fulfilment.upgrade_transport(idempotency_key="case-4:upgrade:1", order_id="o-4", tracking_no="SF4")
    assert transfer.startswith("TR-") and upgrade.startswith("UP-")
    assert [e.path for e in warehouses.effects] == ["transfers", "transport-upgrades"]


@pytest.mark.parametrize("outcome", list(InterceptOutcome))
async def test_an_interception_says_what_the_courier_answered(
    courier_server: CourierServer, courier: HttpCourier, outcome: InterceptOutcome
) -> None:
    courier_server.intercept_outcome = outcome
    interception = await courier.intercept(idempotency_key="case-5:intercept:1", carrier="SF", tracking_no="SF5")
    assert interception.outcome == outcome and interception.reference.startswith("IC-")


async def test_an_urge_5xx_then_success_opens_one_ticket(courier_server: CourierServer, courier: HttpCourier) -> None:
    courier_server.fail_next(2, status=502)
    for _ in range(2):
        with pytest.raises(RemedyUnavailable):
            await courier.urge(idempotency_key="case-6:urge:1", carrier="SF", tracking_no="SF6")
    ticket = await courier.urge(idempotency_key="case-6:urge:1", carrier="SF", tracking_no="SF6")
    assert [e.answer["reference"] for e in courier_server.effects] == [ticket]


async def test_a_delivery_record_has_the_photo_or_none(courier_server: CourierServer, courier: HttpCourier) -> None:
    courier_server.photos = {"SF7": "photo-7"}
    with_photo = await courier.delivery_record(idempotency_key="case-7:record:1", carrier="SF", tracking_no="SF7")
    without = await courier.delivery_record(idempotency_key="case-8:record:1", carrier="SF", tracking_no="SF8")
    assert (with_photo.photo_ref, without.photo_ref) == ("photo-7", None)


async def test_a_courier_4xx_is_final(courier_server: CourierServer, courier: HttpCourier) -> None:
    courier_server.refuse_next(404, "no parcel SF9")
    with pytest.raises(RemedyRefused, match="no parcel SF9"):
        await courier.intercept(idempotency_key="case-9:intercept:1", carrier="SF", tracking_no="SF9")
    assert courier_server.effects == []


async def test_a_wrong_api_key_is_refused(courier_server: CourierServer) -> None:
    async with HttpCourier(courier_server.url, timeout=TIMEOUT, api_key="stolen") as courier:
        with pytest.raises(RemedyRefused, match="API key"):
            await courier.urge(idempotency_key="case-10:urge:1", carrier="SF", tracking_no="SF10")


async def test_a_service_that_does_not_listen_is_retryable() -> None:
    async with HttpFulfilment(f"http://127.0.0.1:{free_port()}", timeout=TIMEOUT) as fulfilment:
        with pytest.raises(RemedyUnavailable, match="could not be reached"):
            await fulfilment.stock(sku="tee-1")
