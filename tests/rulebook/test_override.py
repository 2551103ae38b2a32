"""An agent's override (rulebook.override): refused up front when its amount is one no ledger could pay, and settled
by the difference from what the case already moved (rulebook.settlement)."""

from datetime import UTC, datetime, timedelta

import pytest

from rulebook import override, settlement
from rulebook.enums import CaseStatus, Outcome, Role
from rulebook.settlement import Moved, Room

CLOSED = datetime(2026, 11, 30, 10, tzinfo=UTC)


def closed_case(**changes: object) -> override.Overridable:
    fields: dict[str, object] = {
        "status": CaseStatus.RESOLVED,
        "decided_by": Role.SYSTEM,
        "closed_at": CLOSED,
        "window": timedelta(hours=72),
        "overridden": False,
    }
    return override.Overridable(**(fields | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "outcome", "amount", "code"),
    [
        (closed_case(), Outcome.COUPON, 2_147_483_647, "invalid_amount"),  # the tester's coupon
        (closed_case(), Outcome.COUPON, 20_001, "invalid_amount"),
        (closed_case(), Outcome.COUPON, 20_000, None),
        (closed_case(coupon_max_cents=800), Outcome.COUPON, 801, "invalid_amount"),  # the case's own cap
        (closed_case(), Outcome.PARTIAL_REFUND, -1, "invalid_amount"),
        (closed_case(), Outcome.COUPON, None, "invalid_request"),
        # with what may still move: a named refund beyond the order's ledger, a coupon beyond the order's coupon cap
        (closed_case(moved=Moved(4000), room=Room(5900, 9900, 4000)), Outcome.PARTIAL_REFUND, 9901, "invalid_amount"),
        (closed_case(moved=Moved(4000), room=Room(5900, 9900, 4000)), Outcome.PARTIAL_REFUND, 9900, None),
        (closed_case(moved=Moved(4000), room=Room(0, 9900, 4000)), Outcome.PARTIAL_REFUND, 4000, None),
        (closed_case(moved=Moved(0, 500), room=Room(0, 300, 0)), Outcome.COUPON, 801, "invalid_amount"),
        (closed_case(moved=Moved(0, 500), room=Room(0, 300, 0)), Outcome.COUPON, 800, None),
        (closed_case(moved=Moved(9900), room=Room(0, 0, 9900)), Outcome.REFUND, None, None),  # capped by the ledger
    ],
)
def test_an_override_s_amount_is_checked_up_front(
    case: override.Overridable, outcome: Outcome, amount: int | None, code: str | None
) -> None:
    now = CLOSED + timedelta(hours=1)
    if code is None:
        override.check(case, outcome, amount, "理由", now)
        return
    with pytest.raises(override.OverrideRefused) as refused:
        override.check(case, outcome, amount, "理由", now)
    assert refused.value.code == code


def test_the_finding_an_immediate_refund_overridden_to_the_same_partial_refund_moves_nothing() -> None:
    """An unshipped order paid 9 900, 4 000 refunded at once; the override says partial_refund 4 000: nothing more."""
    decision = override.ruling(Outcome.PARTIAL_REFUND, 4000, asked_cents=4000, rationale="同额部分退款")
    assert settlement.settle(Moved(4000), decision.outcome, decision.amount_cents) == ()
    down = override.ruling(Outcome.PARTIAL_REFUND, 3000, asked_cents=9900, rationale="改为部分退款")
    assert settlement.settle(Moved(9900), down.outcome, down.amount_cents) == (settlement.Move("reversal", 6900),)
