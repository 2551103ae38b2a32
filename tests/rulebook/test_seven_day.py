"""R-7D: seven days from the day after delivery (Asia/Shanghai), the exclusions, resaleable, who pays shipping."""

from datetime import UTC, datetime, timedelta

import pytest

from rulebook.decide import on_merchant_timeout, recommend
from rulebook.enums import CaseKind, Claim, Outcome, Party, ReasonCode, ShipmentState
from rulebook.facts import CaseFacts, ListingPolicy, Statement
from rulebook.rules.common import Finding
from rulebook.rules.seven_day import eligibility, seven_day_return, window_ends, within_window
from tests.rulebook.factory import facts, merchant_says, shanghai

DELIVERED = shanghai(2024, 5, 1, 10, 0)  # day 1 is 2 May, day 7 is 8 May


def no_reason_return(**changes: object) -> CaseFacts:
    base: dict[str, object] = {
        "kind": CaseKind.RETURN_REFUND,
        "reason": ReasonCode.NO_REASON,
        "delivered_at": DELIVERED,
    }
    return facts(**(base | changes))


@pytest.mark.parametrize(
    ("now", "eligible"),
    [
        (shanghai(2024, 5, 1, 18, 0), True),  # the day of delivery itself
        (shanghai(2024, 5, 8, 23, 59), True),  # day 7 at 23:59 Shanghai
        (shanghai(2024, 5, 8, 23, 59, 59), True),
        (shanghai(2024, 5, 9, 0, 0), False),  # day 8 at 00:00 Shanghai
        (shanghai(2024, 5, 20, 12, 0), False),
    ],
)
def test_r_7d_window_in_shanghai_calendar_days(now: datetime, eligible: bool) -> None:
    decision = on_merchant_timeout(no_reason_return(now=now))
    assert (decision.outcome == Outcome.RETURN_REFUND) is eligible
    assert "R-7D" in decision.rules or any(f.startswith("R-7D") for f in decision.findings)


def test_r_7d_day_8_in_shanghai_is_still_day_7_in_utc() -> None:
    now = shanghai(2024, 5, 9, 0, 0).astimezone(UTC)  # 8 May 16:00 UTC
    assert now.date().isoformat() == "2024-05-08"
    assert not within_window(DELIVERED, now)
    assert within_window(DELIVERED, now - timedelta(microseconds=1))


def test_r_7d_delivery_at_2330_utc_is_already_the_next_day_in_shanghai() -> None:
    delivered = datetime(2024, 5, 1, 23, 30, tzinfo=UTC)  # 2 May 07:30 in Shanghai
    assert window_ends(delivered) == shanghai(2024, 5, 10)  # day 1 = 3 May, day 7 = 9 May
    late_on_day_7 = shanghai(2024, 5, 9, 23, 59)
    decision = on_merchant_timeout(no_reason_return(delivered_at=delivered, now=late_on_day_7))
    assert decision.outcome == Outcome.RETURN_REFUND
    assert (
        on_merchant_timeout(no_reason_return(delivered_at=delivered, now=shanghai(2024, 5, 10))).outcome
        == Outcome.TO_AGENT
    )


def test_window_needs_an_aware_time() -> None:
    with pytest.raises(ValueError):
        window_ends(datetime(2024, 5, 1, 10, 0))


@pytest.mark.parametrize(
    ("policy", "statements", "why"),
    [
        (ListingPolicy(custom_made=True), (), "custom-made"),
        (ListingPolicy(category="custom_made"), (), "custom-made"),
        (ListingPolicy(perishable=True), (), "fresh and perishable"),
        (ListingPolicy(category="food/fresh"), (), "fresh and perishable"),
        (ListingPolicy(category="digital_download"), (), "downloaded digital goods"),
        (ListingPolicy(category="software"), (Statement(Party.BUYER, Claim.UNSEALED),), "unsealed"),
        (ListingPolicy(category="audio_video"), merchant_says(Claim.UNSEALED), "unsealed"),
        (ListingPolicy(category="newspaper"), (), "newspapers and periodicals"),
        (ListingPolicy(category="Books > Periodical"), (), "newspapers and periodicals"),
        (ListingPolicy(seven_day_return=False), (), "not eligible at purchase"),
    ],
)
def test_r_7d_exclusions(policy: ListingPolicy, statements: tuple[Statement, ...], why: str) -> None:
    case = no_reason_return(policy=policy, statements=statements, now=DELIVERED + timedelta(days=1))
    verdict = seven_day_return(case)
    assert isinstance(verdict, Finding) and verdict.rule == "R-7D"
    assert why in verdict.text_en
    assert on_merchant_timeout(case).outcome == Outcome.TO_AGENT


def test_r_7d_sealed_software_may_be_returned() -> None:
    case = no_reason_return(policy=ListingPolicy(category="software"), now=DELIVERED + timedelta(days=1))
    assert eligibility(case).eligible
    assert on_merchant_timeout(case).outcome == Outcome.RETURN_REFUND


def test_r_7d_needs_resaleable_goods() -> None:
    case = no_reason_return(statements=merchant_says(Claim.NOT_RESALEABLE), now=DELIVERED + timedelta(days=1))
    check = eligibility(case)
    assert not check.eligible and "resold" in check.reasons[0][1]
    assert on_merchant_timeout(case).outcome == Outcome.TO_AGENT


@pytest.mark.parametrize(("insured", "buyer_pays"), [(False, True), (True, False)])
def test_r_7d_buyer_pays_return_shipping_unless_insured(insured: bool, buyer_pays: bool) -> None:
    decision = on_merchant_timeout(no_reason_return(shipping_insurance=insured, now=DELIVERED + timedelta(days=3)))
    assert decision.outcome == Outcome.RETURN_REFUND
    assert decision.buyer_pays_return_shipping is buyer_pays
    assert decision.rules == ("R-TIMEOUT", "R-7D")
    assert decision.amount_cents == 5900
    assert "2024-05-08" in decision.rationale_en and "2024-05-08" in decision.rationale_zh


def test_r_7d_exchange_within_the_window() -> None:
    case = no_reason_return(kind=CaseKind.EXCHANGE, now=DELIVERED + timedelta(days=2))
    assert recommend(case).outcome == Outcome.EXCHANGE


def test_r_7d_does_not_apply_before_delivery_or_to_refund_only() -> None:
    assert seven_day_return(no_reason_return(shipment=ShipmentState.IN_TRANSIT, delivered_at=None)) is None
    assert seven_day_return(facts(reason=ReasonCode.NO_REASON, delivered_at=DELIVERED)) is None
    not_delivered = eligibility(no_reason_return(shipment=ShipmentState.IN_TRANSIT))
    assert not not_delivered.eligible and not_delivered.window_ends is None
