"""Order exceptions in the rule book: when a shipment is missed, and what a choice from the §7 menu executes."""

from datetime import UTC, datetime, timedelta

import pytest

from rulebook.enums import Outcome, Resolution
from rulebook.exceptions import plan, shipment_missed
from rulebook.facts import Thresholds

SHIP_BY = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_a_paid_order_past_ship_by_with_no_shipment_is_missed() -> None:
    assert shipment_missed(SHIP_BY, shipped=False, now=SHIP_BY + timedelta(seconds=1))


@pytest.mark.parametrize(
    ("shipped", "now", "refunded"),
    [
        (False, SHIP_BY, False),  # at the ship-by time exactly, still in time
        (False, SHIP_BY - timedelta(hours=1), False),
        (True, SHIP_BY + timedelta(days=3), False),  # shipped, however late
        (False, SHIP_BY + timedelta(days=3), True),  # refunded in full: the shipment was cancelled
    ],
)
def test_not_missed(shipped: bool, now: datetime, refunded: bool) -> None:
    assert not shipment_missed(SHIP_BY, shipped=shipped, now=now, fully_refunded=refunded)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        shipment_missed(SHIP_BY.replace(tzinfo=None), shipped=False, now=SHIP_BY)


def test_urge_courier_pays_the_r_stall_coupon_by_default_or_the_merchants_amount() -> None:
    default = plan(Resolution.URGE_COURIER_COUPON, None, Thresholds(stall_coupon_cents=500))
    chosen = plan(Resolution.URGE_COURIER_COUPON, 800, Thresholds())
    assert (default.decision.outcome, default.coupon_cents, default.instruction) == (Outcome.COUPON, 500, None)
    assert "R-STALL" in default.decision.rules and default.decision.resolutions == (Resolution.URGE_COURIER_COUPON,)
    assert chosen.coupon_cents == 800 == chosen.decision.amount_cents


def test_a_reshipment_is_an_instruction_and_a_missing_item_adds_the_apology_coupon() -> None:
    reship = plan(Resolution.RESHIP_PAY_SHIPPING, 900, Thresholds())
    missing = plan(Resolution.RESHIP_MISSING_WITH_COUPON, None, Thresholds(stall_coupon_cents=300))
    assert (reship.decision.outcome, reship.coupon_cents, reship.instruction) == (Outcome.RESHIP, 0, "reship")
    assert (missing.decision.outcome, missing.coupon_cents, missing.instruction) == (Outcome.RESHIP, 300, "reship")


def test_a_refund_of_a_difference_without_an_amount_is_refused() -> None:
    with pytest.raises(ValueError):
        plan(Resolution.RECOMMEND_SIMILAR_REFUND_DIFFERENCE, None, Thresholds())


def test_a_refund_of_a_difference_refunds_the_named_amount() -> None:
    chosen = plan(Resolution.RECOMMEND_SIMILAR_REFUND_DIFFERENCE, None, Thresholds(), refund_cents=1200)
    assert (chosen.decision.outcome, chosen.decision.amount_cents, chosen.refund_cents) == (
        Outcome.PARTIAL_REFUND,
        1200,
        1200,
    )
    assert (chosen.coupon_cents, chosen.instruction, chosen.urge_courier) == (0, None, False)


def test_urging_the_courier_is_part_of_the_plan() -> None:
    assert plan(Resolution.URGE_COURIER_COUPON, None, Thresholds()).urge_courier
