"""Settling a case's money to a ruling that replaces an earlier one (an agent's override): the moves that bring what
the case has moved to what the ruling says. The order's ledger still caps each move (`rulebook/money.py`).

- Refunds: the ruling's refund (a full or partial refund; nothing for a rejection) minus what the case refunded net
  of reversals. More → a refund of the difference; less → a reversal of the difference; the same → nothing.
- A coupon is goodwill on top: refunds stand, and it issues what it names beyond the coupons the case issued
  already. Coupons are never taken back.
"""

from dataclasses import dataclass

from rulebook.enums import Outcome
from rulebook.facts import Thresholds

REFUNDS = frozenset({Outcome.REFUND, Outcome.PARTIAL_REFUND})


class SettlementRefused(Exception):
    def __init__(self, message: str, code: str = "invalid_amount") -> None:
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True)
class Move:
    kind: str  # refund | reversal | coupon
    amount_cents: int
    may_cap: bool  # a full refund may be smaller; a named amount is paid whole or not at all


def settle(outcome: Outcome, amount_cents: int, refunded_cents: int, couponed_cents: int) -> tuple[Move, ...]:
    moves: list[Move] = []
    refund_target = amount_cents if outcome in REFUNDS else (refunded_cents if outcome == Outcome.COUPON else 0)
    difference = refund_target - refunded_cents
    if difference > 0:
        moves.append(Move("refund", difference, may_cap=outcome == Outcome.REFUND))
    elif difference < 0:
        moves.append(Move("reversal", -difference, may_cap=True))
    if outcome == Outcome.COUPON and amount_cents > couponed_cents:
        moves.append(Move("coupon", amount_cents - couponed_cents, may_cap=False))
    return tuple(moves)


def check_override(outcome: Outcome, amount_cents: int | None, thresholds: Thresholds) -> None:
    """A coupon ruling above the goodwill coupon cap is refused before anything moves."""
    cap = thresholds.coupon_max_cents
    if outcome == Outcome.COUPON and amount_cents is not None and amount_cents > cap:
        raise SettlementRefused(f"a goodwill coupon may be at most {cap} fen")
