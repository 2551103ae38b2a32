"""The HTTP payment adapter against a provider over real HTTP: one payment per business key whatever fails on the
way, a 4xx is a final refusal, everything else is retryable (MONEY-02)."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio

from activities.adapters.payments import PaymentFound, PaymentRefused
from activities.adapters.payments_http import HttpPaymentProvider, PaymentUnavailable
from tests.support.payment_server import PaymentServer, running_payment_server
from tests.support.temporal import free_port

API_KEY = "provider-test-key"
TIMEOUT = timedelta(milliseconds=500)
KEY = "case-42:refund:1"


@pytest_asyncio.fixture
async def server() -> AsyncIterator[PaymentServer]:
    async with running_payment_server(API_KEY) as running:
        yield running


@pytest_asyncio.fixture
async def provider(server: PaymentServer) -> AsyncIterator[HttpPaymentProvider]:
    async with HttpPaymentProvider(server.url, timeout=TIMEOUT, api_key=API_KEY) as adapter:
        yield adapter


async def refund(provider: HttpPaymentProvider) -> str:
    return await provider.refund(idempotency_key=KEY, order_id="o-42", amount_cents=3000)


async def test_a_refund_returns_the_providers_reference_and_pays_once(
    server: PaymentServer, provider: HttpPaymentProvider
) -> None:
    reference = await refund(provider)

    assert [(p.kind, p.order_id, p.amount_cents, p.reference) for p in server.payments] == [
        ("refunds", "o-42", 3000, reference)
    ]
    assert [(c.idempotency_key, c.authorization) for c in server.calls] == [(KEY, f"Bearer {API_KEY}")]


async def test_a_coupon_is_paid_at_its_own_endpoint(server: PaymentServer, provider: HttpPaymentProvider) -> None:
    reference = await provider.issue_coupon(idempotency_key="case-7:coupon:1", order_id="o-7", amount_cents=500)
    assert reference.startswith("CP-")
    assert [(p.kind, p.idempotency_key, p.amount_cents) for p in server.payments] == [
        ("coupons", "case-7:coupon:1", 500)
    ]


async def test_5xx_answers_are_retryable_and_the_retry_with_the_same_key_pays_once(
    server: PaymentServer, provider: HttpPaymentProvider
) -> None:
    server.fail_next(2, status=503)

    for _ in range(2):
        with pytest.raises(PaymentUnavailable, match="503"):
            await refund(provider)
    reference = await refund(provider)

    assert [p.reference for p in server.payments] == [reference]
    assert [c.idempotency_key for c in server.calls] == [KEY, KEY, KEY]


async def test_a_timeout_after_the_provider_took_the_money_is_retried_to_the_same_payment(
    server: PaymentServer, provider: HttpPaymentProvider
) -> None:
    server.pay_then_stall_next(seconds=10 * TIMEOUT.total_seconds())

    with pytest.raises(PaymentUnavailable, match="in time"):
        await refund(provider)
    assert len(server.payments) == 1  # the money moved, the answer was lost
    reference = await refund(provider)

    assert [p.reference for p in server.payments] == [reference]
    assert [c.idempotency_key for c in server.calls] == [KEY, KEY]


async def test_a_4xx_is_a_final_refusal_with_the_providers_message(
    server: PaymentServer, provider: HttpPaymentProvider
) -> None:
    server.refuse_next(402, "the buyer's card account is closed")

    with pytest.raises(PaymentRefused) as refused:
        await refund(provider)

    assert refused.value.reason == "the buyer's card account is closed"
    assert not isinstance(refused.value, PaymentUnavailable)
    assert server.payments == [] and len(server.calls) == 1  # no retry inside the adapter


async def test_a_wrong_api_key_is_refused(server: PaymentServer) -> None:
    async with HttpPaymentProvider(server.url, timeout=TIMEOUT, api_key="stolen") as provider:
        with pytest.raises(PaymentRefused, match="API key"):
            await refund(provider)
    assert server.payments == []


@pytest.mark.parametrize("status", [408, 429, 500, 502])
async def test_not_now_answers_are_retryable(server: PaymentServer, provider: HttpPaymentProvider, status: int) -> None:
    server.fail_next(1, status=status)
    with pytest.raises(PaymentUnavailable, match=str(status)):
        await refund(provider)
    assert server.payments == []


async def test_a_provider_that_does_not_listen_is_retryable() -> None:
    async with HttpPaymentProvider(f"http://127.0.0.1:{free_port()}", timeout=TIMEOUT) as provider:
        with pytest.raises(PaymentUnavailable, match="could not be reached"):
            await refund(provider)


async def test_the_adapter_closes_its_connections(server: PaymentServer) -> None:
    async with HttpPaymentProvider(server.url, timeout=TIMEOUT, api_key=API_KEY) as provider:
        await refund(provider)
        assert not provider.closed
    assert provider.closed


async def test_a_lookup_answers_what_became_of_a_key(server: PaymentServer, provider: HttpPaymentProvider) -> None:
    """The reconciliation's question (finding 6): paid, refused for good, or never taken (404)."""
    reference = await refund(provider)
    server.refuse_next(422, "账户已冻结")
    with pytest.raises(PaymentRefused):
        await provider.issue_coupon(idempotency_key="case-42:coupon:1", order_id="o-42", amount_cents=500)

    assert await provider.lookup(kind="refund", idempotency_key=KEY) == PaymentFound("succeeded", reference)
    assert await provider.lookup(kind="coupon", idempotency_key="case-42:coupon:1") == PaymentFound("failed")
    assert await provider.lookup(kind="refund", idempotency_key="case-42:refund:2") is None
    assert await provider.lookup(kind="reversal", idempotency_key=KEY) is None  # a refund is no reversal
    lookups = [(c.kind, c.idempotency_key, c.authorization) for c in server.calls if c.kind.startswith("GET")]
    assert lookups[0] == ("GET refunds", KEY, f"Bearer {API_KEY}")


async def test_a_lookup_the_provider_cannot_answer_is_retryable(
    server: PaymentServer, provider: HttpPaymentProvider
) -> None:
    server.fail_next(1, status=503)
    with pytest.raises(PaymentUnavailable):
        await provider.lookup(kind="refund", idempotency_key=KEY)
    assert await provider.lookup(kind="refund", idempotency_key=KEY) is None
