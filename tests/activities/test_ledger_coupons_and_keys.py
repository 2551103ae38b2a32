"""The ledger's claim caps coupons like refunds (a case's coupons under AFTERSALES_COUPON_MAX, an order's under what
it paid), and refuses a business key reused for a different move instead of answering with the old row's payment."""

import asyncio
import logging

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import ActivityEnvironment

from activities.adapters.payments import FakePaymentProvider
from activities.payments import MoneyActivities
from models.ledger import LedgerEntry, LedgerStatus
from tests.builders import add_case, add_order
from workflows.messages import CaseInput, MoneyMove, MoneyOutcome, MoneyReceipt

Sessions = async_sessionmaker[AsyncSession]


def coupon(case: CaseInput, n: int, cents: int, may_cap: bool = True, cap: int | None = None) -> MoneyMove:
    return MoneyMove(case.case_id, case.order_id, f"case-{case.case_id}:coupon:{n}", "coupon", cents, may_cap, cap)


async def move(activities: MoneyActivities, money_move: MoneyMove) -> MoneyReceipt:
    receipt: MoneyReceipt = await ActivityEnvironment().run(activities.move_money, money_move)
    return receipt


async def ledger(sessions: Sessions, order_id: str) -> list[LedgerEntry]:
    async with sessions() as session:
        return list((await session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order_id))).all())


async def test_an_override_coupon_of_two_billion_fen_is_never_paid(sessions: Sessions) -> None:
    order = await add_order(sessions, total_cents=9900)
    case = await add_case(sessions, order)
    provider = FakePaymentProvider()
    activities = MoneyActivities(sessions, provider, coupon_max_cents=20_000)

    refused = await move(activities, coupon(case, 1, 2_147_483_647, may_cap=False))
    capped = await move(activities, coupon(case, 2, 2_147_483_647))

    assert (refused.status, refused.amount_cents) == (MoneyOutcome.REFUSED, 0)
    assert "refused: asked 2147483647 fen of coupons" in refused.note
    assert (capped.status, capped.amount_cents) == (MoneyOutcome.CAPPED, 9900)  # the order paid less than the cap
    assert capped.left_before_cents == 9900
    assert provider.calls == [f"case-{case.case_id}:coupon:2"]


async def test_one_case_s_coupons_together_stay_under_its_cap(sessions: Sessions) -> None:
    order = await add_order(sessions, total_cents=90_000)
    case = await add_case(sessions, order)
    activities = MoneyActivities(sessions, FakePaymentProvider(), coupon_max_cents=20_000)

    receipts = [await move(activities, coupon(case, n, 8000)) for n in (1, 2, 3, 4)]

    assert [(r.status, r.amount_cents) for r in receipts] == [
        (MoneyOutcome.PAID, 8000),
        (MoneyOutcome.PAID, 8000),
        (MoneyOutcome.CAPPED, 4000),
        (MoneyOutcome.REFUSED, 0),
    ]
    assert [r.left_before_cents for r in receipts] == [20_000, 12_000, 4000, 0]


async def test_the_move_s_own_cap_is_its_case_s_fixed_when_it_opened(sessions: Sessions) -> None:
    order = await add_order(sessions, total_cents=90_000)
    case = await add_case(sessions, order)
    activities = MoneyActivities(sessions, FakePaymentProvider(), coupon_max_cents=20_000)

    receipt = await move(activities, coupon(case, 1, 1000, may_cap=False, cap=800))

    assert (receipt.status, receipt.amount_cents) == (MoneyOutcome.REFUSED, 0)


async def test_coupons_of_every_case_of_an_order_at_once_never_exceed_what_it_paid(sessions: Sessions) -> None:
    order = await add_order(sessions, total_cents=9900)
    cases = [await add_case(sessions, order, held_open=False) for _ in range(6)]
    activities = MoneyActivities(sessions, FakePaymentProvider(), coupon_max_cents=20_000)

    receipts = await asyncio.gather(*(move(activities, coupon(c, 1, 3000)) for c in cases))

    assert sum(r.amount_cents for r in receipts) == 9900
    assert sorted(r.status for r in receipts) == sorted(
        [MoneyOutcome.PAID] * 3 + [MoneyOutcome.CAPPED] + [MoneyOutcome.REFUSED] * 2
    )
    rows = await ledger(sessions, order.order_id)
    assert sum(r.amount_cents for r in rows if r.status == LedgerStatus.SUCCEEDED) == 9900


async def test_coupons_do_not_take_from_what_may_be_refunded(sessions: Sessions) -> None:
    order = await add_order(sessions, total_cents=9900)
    case = await add_case(sessions, order)
    activities = MoneyActivities(sessions, FakePaymentProvider())

    await move(activities, coupon(case, 1, 5000))
    refund = await move(
        activities, MoneyMove(case.case_id, case.order_id, f"case-{case.case_id}:refund:2", "refund", 9900)
    )

    assert (refund.status, refund.amount_cents) == (MoneyOutcome.PAID, 9900)


@pytest.mark.parametrize(
    ("kind", "cents", "other_case"),
    [("coupon", 4000, False), ("refund", 3000, False), ("refund", 4000, True), ("reversal", 4000, False)],
    ids=["another kind", "another amount", "another case", "a reversal"],
)
async def test_a_business_key_reused_for_another_move_is_refused_never_paid(
    sessions: Sessions, caplog: pytest.LogCaptureFixture, kind: str, cents: int, other_case: bool
) -> None:
    """After a Temporal reset a new run numbers its moves from 1 again: `case-<id>:refund:1` may already hold the
    old run's refund. A different move under that key is refused with a note, the old row untouched."""
    order = await add_order(sessions, total_cents=9900)
    case = await add_case(sessions, order)
    provider = FakePaymentProvider()
    activities = MoneyActivities(sessions, provider)
    key = f"case-{case.case_id}:refund:1"
    first = await move(activities, MoneyMove(case.case_id, case.order_id, key, "refund", 4000))
    case_id = (await add_case(sessions, order, held_open=False)).case_id if other_case else case.case_id

    with caplog.at_level(logging.WARNING, logger="payments"):
        again = await move(activities, MoneyMove(case_id, case.order_id, key, kind, cents))

    assert first.status == MoneyOutcome.PAID
    assert (again.status, again.amount_cents, again.external_ref) == (MoneyOutcome.REFUSED, 0, "")
    assert again.asked_cents == cents
    assert f"business key {key} already holds a refund of 4000 fen" in again.note
    assert any("already holds" in record.getMessage() for record in caplog.records)
    assert provider.calls == [key]
    rows = await ledger(sessions, order.order_id)
    assert [(r.business_key, r.kind, r.amount_cents, r.status) for r in rows] == [
        (key, "refund", 4000, LedgerStatus.SUCCEEDED)
    ]


async def test_the_same_move_under_its_key_still_answers_with_its_payment(sessions: Sessions) -> None:
    order = await add_order(sessions, total_cents=9900)
    case = await add_case(sessions, order)
    activities = MoneyActivities(sessions, FakePaymentProvider())
    same = MoneyMove(case.case_id, case.order_id, f"case-{case.case_id}:refund:1", "refund", 12_000)

    first, again = await move(activities, same), await move(activities, same)

    assert first == again and first.status == MoneyOutcome.CAPPED and first.amount_cents == 9900
