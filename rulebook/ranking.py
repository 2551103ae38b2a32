"""The merchant's resolution menu (product.md §7), ranked by how often each option resolved that kind of case.

History maps (exception kind, resolution) to (successes, total): a success is a case closed without escalation
and without the buyer reopening it. The order is defined for every input:
1. for an urgent case (R-URGENT), the fast fixes first;
2. options with history before options without;
3. higher success rate first (compared exactly, as fractions);
4. on equal rates, the larger sample first;
5. on equal samples, the menu's own order (the order of §7).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from rulebook.enums import CaseKind, CaseStatus, ExceptionKind, Resolution

X = ExceptionKind
Res = Resolution

MENU: dict[ExceptionKind, tuple[Resolution, ...]] = {
    X.LOGISTICS_SLOW: (Res.URGE_COURIER_COUPON, Res.LATE_DELIVERY_COMPENSATION),
    X.WRONG_ITEM: (Res.RESHIP_PAY_SHIPPING,),
    X.OUT_OF_STOCK: (Res.RECOMMEND_SIMILAR_REFUND_DIFFERENCE, Res.EMERGENCY_TRANSFER),
    X.PERISHABLE_ROUTE_DISRUPTED: (Res.FASTER_TRANSPORT,),
    X.MISSED_ITEM: (Res.RESHIP_MISSING_WITH_COUPON,),
}

# R-URGENT: fixes that reach a waiting buyer soonest, offered first, and added where goods are still to send.
FAST: tuple[Resolution, ...] = (Res.SAME_DAY_LOCAL_RESHIP, Res.EMERGENCY_TRANSFER, Res.FASTER_TRANSPORT)
URGENT_EXTRAS: dict[ExceptionKind, tuple[Resolution, ...]] = {
    X.WRONG_ITEM: (Res.SAME_DAY_LOCAL_RESHIP,),
    X.MISSED_ITEM: (Res.SAME_DAY_LOCAL_RESHIP, Res.EMERGENCY_TRANSFER),
}

EXCEPTION_OF_CASE: dict[CaseKind, ExceptionKind] = {
    CaseKind.LOGISTICS_STALLED: X.LOGISTICS_SLOW,
    CaseKind.MISSED_SHIPMENT: X.MISSED_ITEM,
    CaseKind.OVERSOLD: X.OUT_OF_STOCK,
}

History = Mapping[tuple[ExceptionKind, Resolution], tuple[int, int]]


@dataclass(frozen=True)
class RankedResolution:
    resolution: Resolution
    success_rate: float | None  # None: never tried for this kind of case
    sample_size: int


def exception_kind(kind: CaseKind, perishable: bool = False) -> ExceptionKind | None:
    """The menu a case of `kind` shows; a stalled perishable shipment is a disrupted route."""
    if kind == CaseKind.LOGISTICS_STALLED and perishable:
        return X.PERISHABLE_ROUTE_DISRUPTED
    return EXCEPTION_OF_CASE.get(kind)


def succeeded(status: CaseStatus, escalated: bool) -> bool:
    """§7: a resolution worked when its case closed resolved without anyone asking the platform to step in.
    (Buyers cannot reopen a closed case, so "without the buyer reopening" holds for every closed case.)"""
    return status == CaseStatus.RESOLVED and not escalated


def menu(kind: ExceptionKind, urgent: bool = False) -> tuple[Resolution, ...]:
    options = MENU[kind] + (URGENT_EXTRAS.get(kind, ()) if urgent else ())
    return tuple(dict.fromkeys(options))


def _record(history: History, kind: ExceptionKind, resolution: Resolution) -> tuple[int, int]:
    successes, total = history.get((kind, resolution), (0, 0))
    if total < 0 or not 0 <= successes <= total:
        raise ValueError(f"impossible history for {kind}/{resolution}: {successes} of {total}")
    return successes, total


def rank(kind: ExceptionKind, history: History, urgent: bool = False) -> list[RankedResolution]:
    """The menu for `kind`, best first, each with its success rate and sample size."""
    options = menu(kind, urgent)
    records = {r: _record(history, kind, r) for r in options}

    def key(resolution: Resolution) -> tuple[bool, bool, Fraction, int, int]:
        successes, total = records[resolution]
        rate = Fraction(successes, total) if total else Fraction(0)
        fast_first = urgent and resolution in FAST
        return (not fast_first, total == 0, -rate, -total, options.index(resolution))

    return [
        RankedResolution(r, records[r][0] / records[r][1] if records[r][1] else None, records[r][1])
        for r in sorted(options, key=key)
    ]
