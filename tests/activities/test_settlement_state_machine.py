"""MONEY-01 for overrides: whatever several cases of one order are decided, overridden and re-decided — refunds,
partial refunds, coupons, rejections, two cases settling at once, retried moves, a reset run reusing a business key,
the provider refusing for good — each decision's money is settled by `rulebook.settlement` (only the difference from
what the case moved) through the real ledger claim (`MoneyActivities.move_money`, a real database, the fake provider),
and after every step:

- the order's refunds (succeeded and in flight, net of reversals) never exceed what was paid;
- each case's net refund is its standing decision's amount whenever the ledger allowed every move of its settlement,
  and what the case remembers of its receipts is what the ledger holds;
- coupons stay under the case's cap and the order's (what it paid);
- no business key reaches the provider twice, and a reused key is refused.

`AFTERSALES_SETTLEMENT_EXAMPLES` and `AFTERSALES_SETTLEMENT_STEPS` make a long run (the suite keeps it small)."""

import asyncio
import os
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import ActivityEnvironment

from activities.adapters.payments import FakePaymentProvider
from activities.payments import MoneyActivities
from models import order_ledger
from models.ledger import HOLDS_MONEY, NOT_AGAINST_PAID, LedgerEntry, LedgerStatus
from rulebook import settlement
from rulebook.enums import Outcome
from rulebook.settlement import Moved
from tests.builders import add_case, add_order
from workflows.messages import MoneyMove, MoneyOutcome, MoneyReceipt

Sessions = async_sessionmaker[AsyncSession]
EXAMPLES = int(os.environ.get("AFTERSALES_SETTLEMENT_EXAMPLES", "8"))
STEPS = int(os.environ.get("AFTERSALES_SETTLEMENT_STEPS", "12"))
PAID = 9900
COUPON_MAX = 3000  # small, so the case's cap and the order's both bite
MAX_CASES = 4


@pytest_asyncio.fixture(scope="session")
async def ledger_loop() -> asyncio.AbstractEventLoop:
    """The session's event loop, for the synchronous state machine that runs each step on it."""
    return asyncio.get_running_loop()


def test_overrides_settle_only_the_difference_and_never_pay_past_the_ledger(
    ledger_loop: asyncio.AbstractEventLoop, sessions: Sessions
) -> None:
    class OneOrder(SettlementOfOneOrder):
        loop, db = ledger_loop, sessions

    OneOrder.TestCase.settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    OneOrder.TestCase().runTest()


@dataclass
class Tracked:
    """One case as its workflow would keep it: the moves it numbered, what its receipts moved, its standing decision
    and whether the ledger allowed every move of that decision's settlement."""

    case_id: str
    moves: int = 0
    moved: Moved = field(default_factory=Moved)
    standing: tuple[Outcome, int] | None = None
    allowed: bool = True
    sent: list[MoneyMove] = field(default_factory=list)


OUTCOMES = st.sampled_from([Outcome.REFUND, Outcome.PARTIAL_REFUND, Outcome.COUPON, Outcome.REJECT])
AMOUNTS = st.one_of(st.integers(1, PAID + 1000), st.sampled_from([1000, 3000, 4000, COUPON_MAX, PAID]))


class SettlementOfOneOrder(RuleBasedStateMachine):
    loop: asyncio.AbstractEventLoop
    db: Sessions

    def __init__(self) -> None:
        super().__init__()
        self.order = self.run(add_order(self.db, total_cents=PAID, shipped=False))
        self.order_id = self.order.order_id
        self.provider = FakePaymentProvider()
        self.money = MoneyActivities(self.db, self.provider, coupon_max_cents=COUPON_MAX)
        self.cases: list[Tracked] = []
        self.receipts: dict[str, MoneyReceipt] = {}

    # --- plumbing ---------------------------------------------------------------------------------

    def run(self, step: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(step)

    async def ledger(self) -> list[LedgerEntry]:
        async with self.db() as session:
            rows = await session.exec(select(LedgerEntry).where(LedgerEntry.order_id == self.order_id))
            return list(rows.all())

    async def move(self, money_move: MoneyMove) -> MoneyReceipt:
        receipt: MoneyReceipt = await ActivityEnvironment().run(self.money.move_money, money_move)
        return receipt

    def pick(self, index: int) -> Tracked:
        return self.cases[index % len(self.cases)]

    def has_cases(self) -> bool:
        return bool(self.cases)

    def room(self, case: Tracked, rows: list[LedgerEntry]) -> settlement.Room:
        """What may still move, from the ledger as the workflow's facts would read it."""
        order = Moved(
            sum(c.amount_cents for c in order_ledger.committed(rows)),
            order_ledger.total(rows, NOT_AGAINST_PAID, HOLDS_MONEY),
        )
        return settlement.room(PAID, order, case.moved, COUPON_MAX)

    async def settle(self, case: Tracked, outcome: Outcome, amount: int) -> None:
        """What the workflow's decision and override code does: refuse an impossible named amount up front, else
        settle the difference move by move through the ledger, keeping what each receipt says moved."""
        amount = PAID if outcome == Outcome.REFUND else 0 if outcome == Outcome.REJECT else amount
        if outcome == Outcome.COUPON and amount > COUPON_MAX:
            return  # rulebook.override.check_amount: 422 invalid_amount, nothing moves, the decision stands
        if settlement.over_room(self.room(case, await self.ledger()), case.moved, outcome, amount) is not None:
            return
        case.standing, case.allowed = (outcome, amount), True
        for planned in settlement.settle(case.moved, outcome, amount):
            case.moves += 1
            key = f"case-{case.case_id}:{planned.kind}:{case.moves}"
            money_move = MoneyMove(
                case.case_id, self.order_id, key, planned.kind, planned.amount_cents, planned.may_cap, COUPON_MAX
            )
            case.sent.append(money_move)
            receipt = await self.move(money_move)
            self.receipts[key] = receipt
            sign = {"refund": 1, "reversal": -1}.get(planned.kind, 0)
            coupons = receipt.amount_cents if planned.kind == "coupon" else 0
            case.moved = Moved(
                case.moved.refunded_cents + sign * receipt.amount_cents, case.moved.coupons_cents + coupons
            )
            if not receipt.complete:
                case.allowed = False  # capped, refused or failed: an agent takes the case from here
                return

    # --- what happens to the order's cases ---------------------------------------------------------

    @initialize()
    def two_cases(self) -> None:
        for _ in range(2):
            self.open_case()

    @precondition(lambda self: len(self.cases) < MAX_CASES)
    @rule()
    def open_case(self) -> None:
        case = self.run(add_case(self.db, self.order, held_open=False))
        self.cases.append(Tracked(case.case_id))

    @precondition(has_cases)
    @rule(index=st.integers(0, MAX_CASES - 1), outcome=OUTCOMES, amount=AMOUNTS)
    def decide_or_override(self, index: int, outcome: Outcome, amount: int) -> None:
        """A decision, a proposal accepted, an override or an agent's ruling: the case's standing decision."""
        self.run(self.settle(self.pick(index), outcome, amount))

    @precondition(lambda self: len(self.cases) >= 2)
    @rule(first=st.integers(0, MAX_CASES - 1), outcome=OUTCOMES, amount=AMOUNTS)
    def two_cases_settle_at_once(self, first: int, outcome: Outcome, amount: int) -> None:
        one, other = self.pick(first), self.pick(first + 1)

        async def both() -> None:
            await asyncio.gather(self.settle(one, outcome, amount), self.settle(other, Outcome.REFUND, PAID))

        self.run(both())

    def sent(self, index: int) -> MoneyMove:
        """A move sent earlier, by index (not drawn from the list: two cases settling at once may send their moves
        in either order, and a draw must not depend on that)."""
        sent = sorted((m for c in self.cases for m in c.sent), key=lambda m: m.business_key)
        return sent[index % len(sent)]

    @precondition(lambda self: bool(self.receipts))
    @rule(index=st.integers(0, 50))
    def a_move_is_retried(self, index: int) -> None:
        """A retried activity: the same move under its key answers the same money and pays nothing more. (What the
        receipt says was refunded and left before it is read again from the ledger, so an earlier move that was
        in flight then and failed since changes it; the money it reports does not change.)"""
        money_move = self.sent(index)
        calls = len(self.provider.calls)
        again, first = self.run(self.move(money_move)), self.receipts[money_move.business_key]
        assert (again.status, again.amount_cents, again.external_ref, again.asked_cents) == (
            first.status,
            first.amount_cents,
            first.external_ref,
            first.asked_cents,
        )
        assert len(self.provider.calls) == calls

    @precondition(lambda self: bool(self.receipts))
    @rule(index=st.integers(0, 50), kind=st.sampled_from(["refund", "reversal", "coupon"]), amount=st.integers(1, PAID))
    def a_reset_run_reuses_a_key(self, index: int, kind: str, amount: int) -> None:
        """A new run numbering its moves from 1 again asks another move under a key the ledger already holds."""
        old = self.sent(index)
        if (kind, amount) == (old.kind, old.amount_cents):
            return  # the very same move: a retry, not a reuse
        reused = MoneyMove(old.case_id, old.order_id, old.business_key, kind, amount, True, COUPON_MAX)
        calls = len(self.provider.calls)
        receipt = self.run(self.move(reused))
        assert (receipt.status, receipt.amount_cents) == (MoneyOutcome.REFUSED, 0), receipt
        assert "already holds" in receipt.note
        assert len(self.provider.calls) == calls

    @precondition(has_cases)
    @rule(index=st.integers(0, MAX_CASES - 1))
    def the_provider_refuses_the_next_move(self, index: int) -> None:
        case = self.pick(index)
        for kind in ("refund", "reversal", "coupon"):
            self.provider.refuse.add(f"case-{case.case_id}:{kind}:{case.moves + 1}")

    # --- what must hold after every step ---------------------------------------------------------

    @invariant()
    def the_ledger_adds_up(self) -> None:
        rows = self.run(self.ledger())
        refunded = sum(c.amount_cents for c in order_ledger.committed(rows))
        assert 0 <= refunded <= PAID
        order_coupons = order_ledger.total(rows, NOT_AGAINST_PAID, HOLDS_MONEY)
        assert order_coupons <= settlement.order_coupon_cap(PAID)
        for case in self.cases:
            held = order_ledger.case_refunded(rows, case.case_id).amount_cents
            coupons = order_ledger.total([r for r in rows if r.case_id == case.case_id], NOT_AGAINST_PAID, HOLDS_MONEY)
            assert (held, coupons) == (case.moved.refunded_cents, case.moved.coupons_cents), case
            assert held >= 0 and coupons <= COUPON_MAX
            if case.standing is not None and case.allowed:
                refund_target, coupon_target = settlement.targets(*case.standing)
                assert held == refund_target, case
                assert coupon_target is None or coupons >= coupon_target, case

    @invariant()
    def no_business_key_is_paid_twice(self) -> None:
        rows = self.run(self.ledger())
        assert len(self.provider.calls) == len(set(self.provider.calls))
        for row in rows:
            if row.status == LedgerStatus.SUCCEEDED:
                assert row.external_ref == self.provider.references[row.business_key]
            assert self.receipts[row.business_key].business_key == row.business_key
