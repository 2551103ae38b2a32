"""Money moves once per business key, whatever retries happen (WF-11, MONEY-02)."""

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import ActivityEnvironment

from activities.adapters.payments import FakePaymentProvider
from activities.payments import MoneyActivities
from models.db import transaction
from models.ledger import LedgerEntry, LedgerKind
from tests.builders import add_case, add_order
from workflows.messages import MoneyMove

Sessions = async_sessionmaker[AsyncSession]


class FlakyProvider(FakePaymentProvider):
    """Pays, then loses the answer once: the activity must retry with the same idempotency key."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def refund(self, *, idempotency_key: str, order_id: str, amount_cents: int) -> str:
        reference = await super().refund(idempotency_key=idempotency_key, order_id=order_id, amount_cents=amount_cents)
        if not self.failed:
            self.failed = True
            raise ConnectionError("the provider's answer was lost")
        return reference


async def a_move(sessions: Sessions, kind: LedgerKind = LedgerKind.REFUND) -> MoneyMove:
    case = await add_case(sessions, await add_order(sessions))
    return MoneyMove(case.case_id, case.order_id, f"case-{case.case_id}:{kind}:1", kind, 3000)


async def rows(sessions: Sessions, key: str) -> list[LedgerEntry]:
    async with sessions() as session:
        return list((await session.exec(select(LedgerEntry).where(LedgerEntry.business_key == key))).all())


async def test_the_same_move_twice_pays_once_and_answers_the_same(sessions: Sessions) -> None:
    provider, move = FakePaymentProvider(), await a_move(sessions)
    activities = MoneyActivities(sessions, provider)

    first = await ActivityEnvironment().run(activities.move_money, move)
    second = await ActivityEnvironment().run(activities.move_money, move)

    assert first == second and first.external_ref.startswith("RF-")
    assert provider.calls == [move.business_key]
    assert [(r.amount_cents, r.status, r.external_ref) for r in await rows(sessions, move.business_key)] == [
        (3000, "succeeded", first.external_ref)
    ]


async def test_a_lost_provider_answer_is_retried_with_the_same_key_and_books_one_row(sessions: Sessions) -> None:
    provider, move = FlakyProvider(), await a_move(sessions)
    activities = MoneyActivities(sessions, provider)

    with pytest.raises(ConnectionError):
        await ActivityEnvironment().run(activities.move_money, move)
    assert [r.status for r in await rows(sessions, move.business_key)] == ["pending"]
    receipt = await ActivityEnvironment().run(activities.move_money, move)

    assert provider.calls == [move.business_key, move.business_key]  # the provider dedupes on the key
    assert len(set(provider.references.values())) == 1
    assert [(r.status, r.external_ref) for r in await rows(sessions, move.business_key)] == [
        ("succeeded", receipt.external_ref)
    ]


async def test_coupons_go_through_the_same_ledger(sessions: Sessions) -> None:
    move = await a_move(sessions, LedgerKind.COUPON)
    receipt = await ActivityEnvironment().run(MoneyActivities(sessions, FakePaymentProvider()).move_money, move)
    assert receipt.external_ref.startswith("CP-")
    assert [r.kind for r in await rows(sessions, move.business_key)] == [LedgerKind.COUPON]


async def test_the_database_itself_refuses_a_second_row_for_a_business_key(sessions: Sessions) -> None:
    move = await a_move(sessions)
    entry = {"business_key": move.business_key, "case_id": move.case_id, "order_id": move.order_id, "amount_cents": 1}
    async with transaction(sessions) as session:
        session.add(LedgerEntry(kind=LedgerKind.REFUND, **entry))
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            session.add(LedgerEntry(kind=LedgerKind.REFUND, **entry))
    assert len(await rows(sessions, move.business_key)) == 1
