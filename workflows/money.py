"""Money a case moves (refunds, coupons, reversals), each once through the order's ledger (`activities/payments.py`),
which may pay less than asked (capped) or nothing (refused, failed): the receipt says which, and a move that fell
short hands the case to an agent instead of letting it close as done.

The flow owns `state.MoneyState`: the business keys' numbering (`case-<id>:refund:<n>`), what this case refunded
and couponed (an override settles against them), and a hint of what is left to refund (the ledger decides).
"""

import asyncio
import dataclasses

from temporalio import workflow

from rulebook.enums import CaseStatus, Outcome
from rulebook.timers import TimerId, refund_alert_after
from workflows.messages import EventDraft, MoneyMove, MoneyReceipt
from workflows.state import MoneyState
from workflows.steps import ACTIVITY_TIMEOUT, RETRY, CaseSteps
from workflows.visibility import refund_watch_summary

with workflow.unsafe.imports_passed_through():
    from activities.payments import MoneyActivities

from datetime import timedelta

MONEY_HEARTBEAT_TIMEOUT = timedelta(seconds=5)  # a worker that dies mid-payment is noticed in 5 s, not 30 s (WF-04)
MONEY_KINDS = {Outcome.REFUND: "refund", Outcome.PARTIAL_REFUND: "refund", Outcome.COUPON: "coupon"}
MONEY_ZH = {"refund": "退款", "coupon": "发放优惠券", "reversal": "追回退款", "compensation": "补偿"}
DONE = {"refund": "refund_executed", "coupon": "coupon_issued", "reversal": "refund_reversed"}
REFUND_WATCH_PATCH = "refund-deadline-watch"  # cases opened before it never started T-REFUND's alert timer


class MoneyFlow:
    def __init__(self, steps: CaseSteps, state: MoneyState) -> None:
        self._steps = steps
        self.state = state

    @property
    def refundable(self) -> int:
        return self.state.refundable

    async def pay(self, kind: str, amount_cents: int, may_cap: bool, events: list[EventDraft]) -> bool:
        """Moves the money and appends what happened to `events`; fell short: the case goes to an agent with the
        step recorded, and the caller stops (False)."""
        receipt = await self.move(kind, amount_cents, may_cap, events)
        if not receipt.complete:
            await self.fell_short(kind, receipt, events)
            return False
        events.append(self._steps.system(DONE[kind], dataclasses.asdict(receipt)))
        return True

    async def move(
        self, kind: str, amount_cents: int, may_cap: bool = True, pending: list[EventDraft] | None = None
    ) -> MoneyReceipt:
        """One move through the order's ledger. `pending` are this step's events not yet recorded: an
        overdue-refund alert is recorded after them."""
        case = self._steps.case
        self.state.moves += 1
        move = MoneyMove(
            case_id=case.case_id,
            order_id=case.order_id,
            business_key=f"case-{case.case_id}:{kind}:{self.state.moves}",
            kind=kind,
            amount_cents=amount_cents,
            may_cap=may_cap,
            coupon_max_cents=case.thresholds.coupon_max_cents,
        )
        run = workflow.start_activity_method(
            MoneyActivities.move_money,
            move,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            heartbeat_timeout=MONEY_HEARTBEAT_TIMEOUT,
            retry_policy=RETRY,
            summary=f"款项:{MONEY_ZH.get(kind, kind)} ¥{amount_cents / 100:.2f}({move.business_key})",
        )
        if kind == "refund" and workflow.patched(REFUND_WATCH_PATCH):
            await self._watch_refund(run, move, pending if pending is not None else [])
        receipt = await run
        self._count(kind, receipt)
        return receipt

    def _count(self, kind: str, receipt: MoneyReceipt) -> None:
        state = self.state
        state.refunded_here += {"refund": receipt.amount_cents, "reversal": -receipt.amount_cents}.get(kind, 0)
        state.couponed_here += receipt.amount_cents if kind == "coupon" else 0
        if kind == "refund":  # what the ledger said is left after this move, when it said (older receipts did not)
            left_after = receipt.left_before_cents - receipt.amount_cents if receipt.asked_cents else state.refundable
            state.refundable = max(0, min(state.refundable - receipt.amount_cents, left_after))
        elif kind == "reversal":
            state.refundable += receipt.amount_cents

    async def _watch_refund(
        self, run: "asyncio.Future[MoneyReceipt]", move: MoneyMove, pending: list[EventDraft]
    ) -> None:
        """T-REFUND: a refund the provider has not confirmed as the legal limit nears raises the case to the agents."""
        limit = self._steps.case.timers.refund
        started = workflow.now()
        try:
            after = refund_alert_after(limit)
            await workflow.wait_condition(run.done, timeout=after, timeout_summary=refund_watch_summary(after))
            return
        except TimeoutError:
            pass
        self._steps.raise_urgency()
        data = {
            "timer": TimerId.T_REFUND,
            "business_key": move.business_key,
            "amount_cents": move.amount_cents,
            "since": started.isoformat(),
            "legal_limit_at": (started + limit).isoformat(),
        }
        await self._steps.record(*pending, self._steps.system("refund_overdue", data))
        pending.clear()

    async def fell_short(self, kind: str, receipt: MoneyReceipt, events: list[EventDraft]) -> None:
        """The ledger capped or refused the move, or the provider refused it for good: the timeline says what was
        refunded already and what was left, and the case goes to an agent instead of closing as resolved."""
        data = {
            **dataclasses.asdict(receipt),
            "left_after_cents": max(0, receipt.left_before_cents - receipt.amount_cents),
        }
        self._steps.wait_on(CaseStatus.IN_ARBITRATION, self._steps.case.timers.agent)
        events.append(self._steps.system(f"{kind}_{receipt.status}", data))  # e.g. refund_capped, coupon_failed
        await self._steps.record(*events)
