"""One ledger per order (product.md §8): how much a refund may still take, per order and per item line.

Pure arithmetic over what the ledger holds. The ledger's claim (`activities/payments.py`) runs it inside the
transaction that serialises the order's moves, so what it computes is what is committed.

- The order: refunds of every case, succeeded or in flight, never exceed what was paid.
- An item line (unit price × quantity of the order's line): refunds that a case naming the line allocated to it
  never exceed the line. A case that names no items draws on the order as a whole.
- Coupons and compensation are on the same ledger but are the platform's or merchant's money, not the buyer's
  payment: they never count against it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class OrderLine:
    sku: str
    unit_price_cents: int
    quantity: int

    @property
    def paid_cents(self) -> int:
        return self.unit_price_cents * self.quantity


@dataclass(frozen=True)
class NamedItem:
    """An item line a case is about, and how many of it."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class Committed:
    """A refund that succeeded or is still in flight, with what it took from each line (empty: the whole order)."""

    amount_cents: int
    lines: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Allowance:
    """What is already refunded (or in flight) and what is left: on the order, and on each line a case names."""

    paid_cents: int
    committed_cents: int
    left_cents: int  # what a refund of this case may still take
    lines_left: Mapping[str, int] = field(default_factory=dict)  # per named line, when the case names items


@dataclass(frozen=True)
class Grant:
    """What the ledger lets a refund take: the whole amount asked, a smaller one (capped), or nothing (refused)."""

    asked_cents: int
    amount_cents: int
    allowance: Allowance
    lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        if self.amount_cents == self.asked_cents:
            return "granted"
        return "capped" if self.amount_cents > 0 else "refused"


def named_cents(lines: Sequence[OrderLine], items: Sequence[NamedItem]) -> int:
    """What the named items cost at purchase (unit price × quantity named); unknown skus count nothing."""
    prices = {line.sku: line.unit_price_cents for line in lines}
    return sum(prices.get(item.sku, 0) * item.quantity for item in items)


def allowance(
    paid_cents: int, lines: Sequence[OrderLine], committed: Sequence[Committed], items: Sequence[NamedItem] = ()
) -> Allowance:
    committed_cents = sum(c.amount_cents for c in committed)
    order_left = max(0, paid_cents - committed_cents)
    if not items:
        return Allowance(paid_cents, committed_cents, order_left)
    taken: dict[str, int] = {}
    for move in committed:
        for sku, cents in move.lines.items():
            taken[sku] = taken.get(sku, 0) + cents
    line_paid = {line.sku: line.paid_cents for line in lines}
    named = {item.sku: min(named_cents(lines, [item]), line_paid.get(item.sku, 0)) for item in items}
    lines_left = {sku: max(0, min(cents, line_paid.get(sku, 0) - taken.get(sku, 0))) for sku, cents in named.items()}
    return Allowance(paid_cents, committed_cents, min(order_left, sum(lines_left.values())), lines_left)


def grant(asked_cents: int, allowed: Allowance, may_cap: bool) -> Grant:
    """A refund of `asked_cents`: all of it when it fits; else what is left when `may_cap` (a full refund may be
    smaller), else nothing (a named partial amount is not silently changed)."""
    fits = asked_cents <= allowed.left_cents
    amount = asked_cents if fits else (allowed.left_cents if may_cap else 0)
    return Grant(asked_cents, amount, allowed, _allocate(amount, allowed.lines_left))


def _allocate(amount_cents: int, lines_left: Mapping[str, int]) -> dict[str, int]:
    """Spreads a refund over the named lines, in the order named, each up to what it has left."""
    allocation: dict[str, int] = {}
    remaining = amount_cents
    for sku, left in lines_left.items():
        take = min(left, remaining)
        if take > 0:
            allocation[sku] = take
            remaining -= take
    return allocation
