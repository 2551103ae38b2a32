"""Money that leaves the platform (refunds, coupons), exactly once per business key, never past what was paid.

A move first claims its ledger row in one transaction that holds the order's ledger lock
(`models.order_ledger.lock`): there the order's ledger — not a workflow's memory — says how much is left, across
every case of the order and every item line the case names, counting moves still in flight. The row is claimed for
all of it, for less (capped), or refused. Only then is the provider called, with the business key as its own
idempotency key, so neither a retried activity nor a restarted worker can pay twice. A provider's final refusal
marks the row failed, which frees its amount again. A row is only ever inserted and settles once, `pending →
succeeded | failed` (the database's guard, `models/ledger_guard.py`); a pending row whose case has ended is settled by
the reconciliation, which asks the provider (`activities/money_settling.py`).

Coupons (and compensation) are claimed the same way under two caps (`rulebook/settlement.py`): one case's coupons
never exceed `coupon_max_cents` (the move's, from the case's `Thresholds`, else the worker's `AFTERSALES_COUPON_MAX`),
and the coupons of all cases of an order never exceed what it paid. A business key that already holds a different
move (another kind, case or amount: a reset run numbering its moves from 1 again) is refused, never paid as if the
old row were this move.
"""

import logging

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.adapters.payments import PaymentProvider, PaymentRefused
from activities.counters import CaseCounters
from activities.heartbeat import heartbeating
from models import order_ledger
from models.case import Case
from models.db import transaction
from models.ledger import COUNTS_AGAINST_PAID, HOLDS_MONEY, NOT_AGAINST_PAID, LedgerEntry, LedgerKind, LedgerStatus
from models.order import Order
from models.types import utcnow
from rulebook import money, settlement
from workflows.messages import MoneyMove, MoneyOutcome, MoneyReceipt

log = logging.getLogger("payments")


class MoneyActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        provider: PaymentProvider,
        counters: CaseCounters | None = None,
        coupon_max_cents: int = settlement.COUPON_MAX_CENTS,
    ) -> None:
        """`coupon_max_cents`: one case's coupons at most, for moves that do not carry their case's own cap."""
        self._sessions = sessions
        self._provider = provider
        self._counters = counters or CaseCounters()
        self._coupon_max_cents = coupon_max_cents

    @activity.defn
    async def move_money(self, move: MoneyMove) -> MoneyReceipt:
        entry = await self._claim(move)
        if not _same_move(entry, move):
            return _reused_key(entry, move)
        if entry.status == LedgerStatus.PENDING:
            entry = await self._pay(entry)
        async with self._sessions() as session:
            return _receipt(entry, await _before(session, entry, self._coupon_max(move)))

    def _coupon_max(self, move: MoneyMove) -> int:
        return self._coupon_max_cents if move.coupon_max_cents is None else move.coupon_max_cents

    async def _pay(self, entry: LedgerEntry) -> LedgerEntry:
        pay = {
            LedgerKind.REFUND: self._provider.refund,
            LedgerKind.REVERSAL: self._provider.reverse_refund,
        }.get(entry.kind, self._provider.issue_coupon)
        try:
            async with heartbeating():
                reference = await pay(
                    idempotency_key=entry.business_key, order_id=entry.order_id, amount_cents=entry.amount_cents
                )
        except PaymentRefused as refused:
            return await self._settle(entry.business_key, LedgerStatus.FAILED, None, refused.reason)
        return await self._settle(entry.business_key, LedgerStatus.SUCCEEDED, reference, entry.note)

    async def _settle(self, key: str, status: LedgerStatus, reference: str | None, note: str) -> LedgerEntry:
        async with transaction(self._sessions) as session:
            entry = (await session.exec(_by_key(key).with_for_update())).one()
            # Settled already (a concurrent attempt, or the reconciliation after the case ended): a row settles once,
            # which the ledger's guard enforces, so the earlier outcome stands.
            settles = entry.status == LedgerStatus.PENDING
            if settles:
                entry.status, entry.external_ref, entry.completed_at = status, reference, utcnow()
                entry.note = note[:500]
                session.add(entry)
        if settles:
            self._counters.settled(entry)
        return entry

    async def _claim(self, move: MoneyMove) -> LedgerEntry:
        """The ledger row of this business key: an earlier attempt's, or new (for all, part or none of the amount)."""
        async with self._sessions() as session:
            existing = (await session.exec(_by_key(move.business_key))).first()
        if existing is not None:
            return existing
        try:
            async with transaction(self._sessions) as session:
                if not await order_ledger.lock(session, move.order_id):
                    raise ApplicationError(f"no order {move.order_id}", type="order_not_found", non_retryable=True)
                entry = await _new_entry(session, move, self._coupon_max(move))
                session.add(entry)
            if entry.status == LedgerStatus.REFUSED:  # settled as it was claimed: the provider is never called
                self._counters.settled(entry)
            return entry
        except IntegrityError:  # a concurrent attempt of this same move claimed it first
            async with self._sessions() as session:
                return (await session.exec(_by_key(move.business_key))).one()


def _same_move(entry: LedgerEntry, move: MoneyMove) -> bool:
    """The ledger row under the move's business key is this very move (an earlier attempt of it), not another one
    that took the key first. Rows from before `asked_cents` was kept (0) are judged on kind, case and order."""
    same_amount = entry.asked_cents == move.amount_cents or entry.asked_cents == 0
    return (entry.kind, entry.case_id, entry.order_id) == (move.kind, move.case_id, move.order_id) and same_amount


def _reused_key(entry: LedgerEntry, move: MoneyMove) -> MoneyReceipt:
    """A business key reused for a different move: refused, nothing paid, the old row untouched."""
    held = entry.asked_cents or entry.amount_cents
    note = (
        f"refused: business key {move.business_key} already holds a {entry.kind} of {held}"
        f" fen for case {entry.case_id} ({entry.status}); this {move.kind} of {move.amount_cents} fen for case "
        f"{move.case_id} is not paid under it"
    )
    log.warning(note)
    return MoneyReceipt(
        business_key=move.business_key,
        external_ref="",
        amount_cents=0,
        status=MoneyOutcome.REFUSED,
        asked_cents=move.amount_cents,
        note=note[:500],
    )


async def _new_entry(session: AsyncSession, move: MoneyMove, coupon_max_cents: int) -> LedgerEntry:
    entry = LedgerEntry(
        business_key=move.business_key,
        case_id=move.case_id,
        order_id=move.order_id,
        kind=LedgerKind(move.kind),
        amount_cents=move.amount_cents,
        asked_cents=move.amount_cents,
    )
    if entry.kind == LedgerKind.REVERSAL:
        return _reversal(entry, await order_ledger.entries(session, move.order_id))
    if entry.kind in NOT_AGAINST_PAID:
        order = await session.get(Order, move.order_id)
        assert order is not None
        rows = await order_ledger.entries(session, move.order_id)
        return _goodwill(entry, rows, order.total_cents, coupon_max_cents, move.may_cap)
    if entry.kind not in COUNTS_AGAINST_PAID:
        return entry
    allowed = await _allowance(session, move.order_id, move.case_id, await order_ledger.entries(session, move.order_id))
    granted = money.grant(move.amount_cents, allowed, move.may_cap)
    entry.amount_cents, entry.lines = granted.amount_cents, dict(granted.lines) or None
    if granted.outcome != "granted":
        entry.note = (
            f"{granted.outcome}: asked {move.amount_cents} fen, {allowed.committed_cents} of "
            f"{allowed.paid_cents} already refunded or in flight, {allowed.left_cents} left"
        )
    if granted.amount_cents == 0:
        entry.status = LedgerStatus.REFUSED
    return entry


def _reversal(entry: LedgerEntry, rows: list[LedgerEntry]) -> LedgerEntry:
    """Takes back at most what the case has refunded and not had reversed; nothing left → refused."""
    refunded = order_ledger.case_refunded(rows, entry.case_id)
    entry.amount_cents = min(entry.asked_cents, refunded.amount_cents)
    if entry.amount_cents == refunded.amount_cents and refunded.lines:
        entry.lines = dict(refunded.lines)
    if entry.amount_cents <= 0:
        entry.amount_cents, entry.status = 0, LedgerStatus.REFUSED
        entry.note = "refused: the case has no refund left to reverse"
    return entry


def _goodwill(
    entry: LedgerEntry, rows: list[LedgerEntry], paid_cents: int, coupon_max_cents: int, may_cap: bool
) -> LedgerEntry:
    """A coupon (or compensation) under the case's cap and the order's (what it paid): all of it, what is left
    (`may_cap`), or refused."""
    left, case_coupons, order_coupons = _coupon_room(rows, entry.case_id, paid_cents, coupon_max_cents)
    fits = entry.asked_cents <= left
    entry.amount_cents = entry.asked_cents if fits else (left if may_cap else 0)
    if not fits:
        outcome = "capped" if entry.amount_cents else "refused"
        entry.note = (
            f"{outcome}: asked {entry.asked_cents} fen of coupons; the case issued {case_coupons} of its cap "
            f"{coupon_max_cents}, the order {order_coupons} of its cap {settlement.order_coupon_cap(paid_cents)}; "
            f"{left} left"
        )
    if entry.amount_cents == 0:
        entry.status = LedgerStatus.REFUSED
    return entry


def _coupon_room(rows: list[LedgerEntry], case_id: str, paid_cents: int, coupon_max_cents: int) -> tuple[int, int, int]:
    """What one more coupon of the case may take, and the coupons the case and the order hold (issued or in flight)."""
    order_coupons = order_ledger.total(rows, NOT_AGAINST_PAID, HOLDS_MONEY)
    case_coupons = order_ledger.total([r for r in rows if r.case_id == case_id], NOT_AGAINST_PAID, HOLDS_MONEY)
    return (
        settlement.coupon_left(paid_cents, order_coupons, case_coupons, coupon_max_cents),
        case_coupons,
        order_coupons,
    )


async def _allowance(session: AsyncSession, order_id: str, case_id: str, rows: list[LedgerEntry]) -> money.Allowance:
    order = await session.get(Order, order_id)
    case = await session.get(Case, case_id)
    assert order is not None
    return order_ledger.allowance(order, rows, case.items if case else None)


async def _before(session: AsyncSession, entry: LedgerEntry, coupon_max_cents: int) -> tuple[int, int] | None:
    """As this move's claim found the ledger (the moves claimed before it): for a refund, what the order had
    refunded and what was left; for a coupon, nothing refunded and the coupon room left."""
    if entry.kind not in COUNTS_AGAINST_PAID | NOT_AGAINST_PAID:
        return None
    rows = [row for row in await order_ledger.entries(session, entry.order_id) if (row.id or 0) < (entry.id or 0)]
    if entry.kind in NOT_AGAINST_PAID:
        order = await session.get(Order, entry.order_id)
        paid = order.total_cents if order else 0
        return 0, _coupon_room(rows, entry.case_id, paid, coupon_max_cents)[0]
    allowed = await _allowance(session, entry.order_id, entry.case_id, rows)
    return allowed.committed_cents, allowed.left_cents


def _receipt(entry: LedgerEntry, before: tuple[int, int] | None) -> MoneyReceipt:
    if entry.status == LedgerStatus.SUCCEEDED:
        status = MoneyOutcome.PAID if entry.amount_cents == entry.asked_cents else MoneyOutcome.CAPPED
    else:
        status = MoneyOutcome.FAILED if entry.status == LedgerStatus.FAILED else MoneyOutcome.REFUSED
    return MoneyReceipt(
        business_key=entry.business_key,
        external_ref=entry.external_ref or "",
        amount_cents=entry.amount_cents if entry.status == LedgerStatus.SUCCEEDED else 0,
        status=status,
        asked_cents=entry.asked_cents,
        refunded_before_cents=before[0] if before else 0,
        left_before_cents=before[1] if before else 0,
        note=entry.note,
    )


def _by_key(business_key: str) -> SelectOfScalar[LedgerEntry]:
    return select(LedgerEntry).where(LedgerEntry.business_key == business_key)
