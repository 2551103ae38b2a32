"""Money only through the ledger's arithmetic (product.md §8): what may still move for a case and its order, and the
moves that bring what a case has moved into line with its standing decision.

Every decision, proposal, override and agent ruling asks the same two questions:

- `room(order, case, coupon_max_cents)`: what a refund, a coupon and a reversal of this case may still take, given
  what the order and the case hold on the ledger (refunds net of reversals, in flight counted; coupons issued).
- `settle(moved, outcome, amount_cents)`: the moves that settle the difference between what this case has moved so
  far and its standing decision. A decision replaced by an override is never paid "again": an override to a smaller
  refund reverses the difference, to the same amount moves nothing, to a larger one refunds the difference; `reject`
  reverses every refund of the case; `coupon` issues the coupon the case has not yet issued. Full and partial refunds
  are both "refund" money here; a coupon cannot be taken back (it is the platform's goodwill, already in the buyer's
  hands), so coupons issued stay whatever the decision becomes.

The caps:
- refunds: the order's ledger (`rulebook/money.py`: what was paid, per order and per item line);
- coupons of one case: `coupon_max_cents` (`AFTERSALES_COUPON_MAX`, fixed when the case opens in `Thresholds`);
- coupons of all cases of one order: what the order paid (`order_coupon_cap`). Goodwill to a buyer on one order is an
  apology, not a payout: once it would exceed the buyer's own stake in the order, what is owed is a refund (or a
  claim against the courier), which the ledger already bounds by what was paid.

The ledger's claim (`activities/payments.py`) applies the same caps inside the transaction that serialises the
order's moves, so a workflow's view of them is only a hint for refusing an impossible amount at once.
"""

from dataclasses import dataclass

from rulebook.enums import Outcome

COUPON_MAX_CENTS = 20_000  # ¥200: one case's goodwill coupons together (AFTERSALES_COUPON_MAX)

REFUND_MONEY = frozenset({Outcome.REFUND, Outcome.PARTIAL_REFUND, Outcome.RETURN_REFUND})
SETTLES = REFUND_MONEY | {Outcome.COUPON, Outcome.REJECT}  # outcomes whose money this arithmetic settles


@dataclass(frozen=True)
class Moved:
    """What the ledger holds for a case (or for a whole order): refunds net of reversals, succeeded or in flight,
    and coupons (with compensation) issued or in flight."""

    refunded_cents: int = 0
    coupons_cents: int = 0


@dataclass(frozen=True)
class Room:
    """What may still move for one case: a refund (the order's ledger), a coupon (the case's and the order's coupon
    caps) and a reversal (the case's own refunds)."""

    refund_cents: int
    coupon_cents: int
    reversal_cents: int


@dataclass(frozen=True)
class Move:
    """One ledgered move: `kind` is `refund`, `reversal` or `coupon` (models.ledger.LedgerKind); `may_cap` whether the
    ledger may pay less than asked (a named partial amount is paid whole or not at all)."""

    kind: str
    amount_cents: int
    may_cap: bool = True


def order_coupon_cap(paid_cents: int) -> int:
    """Coupons of all cases of one order together: never more than the buyer paid for it (see the module's doc)."""
    return max(0, paid_cents)


def coupon_left(paid_cents: int, order_coupons_cents: int, case_coupons_cents: int, coupon_max_cents: int) -> int:
    """What one more coupon of this case may take: under the case's cap and under the order's."""
    case_left = coupon_max_cents - case_coupons_cents
    order_left = order_coupon_cap(paid_cents) - order_coupons_cents
    return max(0, min(case_left, order_left))


def room(
    paid_cents: int, order: Moved, case: Moved, coupon_max_cents: int, refund_left_cents: int | None = None
) -> Room:
    """What may still move for `case` on its order. `order` counts every case of the order (this one included);
    `refund_left_cents` is the ledger's own answer when the caller has it (`money.allowance(...).left_cents`, which
    also knows the item lines a case names), else what was paid less what the order's cases hold."""
    refund = max(0, paid_cents - order.refunded_cents) if refund_left_cents is None else max(0, refund_left_cents)
    coupon = coupon_left(paid_cents, order.coupons_cents, case.coupons_cents, coupon_max_cents)
    return Room(refund_cents=refund, coupon_cents=coupon, reversal_cents=max(0, case.refunded_cents))


def case_room(refund_left_cents: int, case: Moved, coupon_max_cents: int) -> Room:
    """What may still move for a case as the case itself knows it: the ledger's last answer of what is left to
    refund, and its own coupons' cap (the order's coupon cap is the ledger's to apply)."""
    coupon = max(0, coupon_max_cents - case.coupons_cents)
    return Room(refund_cents=max(0, refund_left_cents), coupon_cents=coupon, reversal_cents=max(0, case.refunded_cents))


def targets(outcome: Outcome, amount_cents: int) -> tuple[int, int | None]:
    """What the standing decision means the case's money should be: (net refund, coupons; None = leave as is)."""
    if outcome in REFUND_MONEY:
        return max(0, amount_cents), None
    if outcome == Outcome.COUPON:
        return 0, max(0, amount_cents)
    if outcome == Outcome.REJECT:
        return 0, None
    raise ValueError(f"{outcome} moves no money this arithmetic settles")


def settle(moved: Moved, outcome: Outcome, amount_cents: int) -> tuple[Move, ...]:
    """The moves that bring what this case has `moved` so far into line with its standing decision (`outcome`,
    `amount_cents`: for a full `refund`, what the case asked). Reversals first, so a refund given back frees the
    order's ledger before anything new is claimed. A refund of the difference may be capped by the ledger only when
    the decision is a full refund (a partial refund's named amount is paid whole or not at all); a coupon is capped
    by its caps, as `_apply` has always paid coupons."""
    refund_target, coupon_target = targets(outcome, amount_cents)
    moves: list[Move] = []
    refund_difference = refund_target - max(0, moved.refunded_cents)
    if refund_difference < 0:
        moves.append(Move("reversal", -refund_difference, may_cap=True))
    elif refund_difference > 0:
        moves.append(Move("refund", refund_difference, may_cap=outcome == Outcome.REFUND))
    if coupon_target is not None and coupon_target > moved.coupons_cents:
        moves.append(Move("coupon", coupon_target - moved.coupons_cents, may_cap=True))
    return tuple(moves)


def over_room(room_: Room, moved: Moved, outcome: Outcome, amount_cents: int) -> str | None:
    """Why the standing decision cannot be settled within `room_` (a message for 422 `invalid_amount`), or None.
    Only named amounts are refused up front: a full refund is capped by the ledger instead."""
    for move in settle(moved, outcome, amount_cents):
        if move.kind == "coupon" and move.amount_cents > room_.coupon_cents:
            return (
                f"a coupon of {amount_cents} fen needs {move.amount_cents} fen more, but only {room_.coupon_cents} fen "
                f"of coupons may still be issued for this case (its cap and the order's)"
            )
        if move.kind == "refund" and not move.may_cap and move.amount_cents > room_.refund_cents:
            return (
                f"a refund of {amount_cents} fen needs {move.amount_cents} fen more, but only {room_.refund_cents} fen "
                f"of the order is left to refund"
            )
    return None
