"""R-SHIPPED-REFUND-ONLY, R-NOT-RECEIVED (its three branches) and R-STALL."""

from datetime import timedelta

import pytest

from rulebook.decide import on_merchant_timeout, on_open
from rulebook.enums import (
    CaseKind,
    Claim,
    EvidenceKind,
    Outcome,
    Party,
    ReasonCode,
    Resolution,
    ShipmentState,
    ShipmentStep,
    TrackingStatus,
)
from rulebook.facts import CaseFacts, DeliveryRecord, EvidenceOnFile, Statement, Thresholds, TrackingEvent
from rulebook.rules.common import Finding
from rulebook.rules.shipment import stall, stalled_event
from rulebook.timers import Timers
from tests.rulebook.factory import NOW, courier_record, delivered, facts, in_transit, merchant_says

# --- R-SHIPPED-REFUND-ONLY ---------------------------------------------------------------------------------------


def test_r_shipped_refund_only_not_shipped_refunds_at_once_and_cancels() -> None:
    decision = on_open(facts(shipment=ShipmentState.NOT_SHIPPED, delivered_at=None, amount_cents=5900))
    assert decision is not None
    assert (decision.outcome, decision.amount_cents) == (Outcome.REFUND, 5900)
    assert decision.rules == ("R-SHIPPED-REFUND-ONLY",)
    assert decision.shipment_step == ShipmentStep.CANCEL_SHIPMENT


def test_r_shipped_refund_only_not_shipped_never_refunds_what_was_refunded_before() -> None:
    decision = on_open(facts(shipment=ShipmentState.NOT_SHIPPED, amount_cents=5900, refunded_cents=4000))
    assert decision is not None and decision.amount_cents == 1900
    assert on_open(facts(shipment=ShipmentState.NOT_SHIPPED, refunded_cents=5900)) is None  # nothing left


def test_r_shipped_refund_only_in_transit_waits_then_intercepts_and_refunds() -> None:
    case = facts(shipment=ShipmentState.IN_TRANSIT, delivered_at=None)
    assert on_open(case) is None
    decision = on_merchant_timeout(case)
    assert (decision.outcome, decision.shipment_step) == (Outcome.REFUND, ShipmentStep.INTERCEPT_PARCEL)
    assert decision.rules == ("R-TIMEOUT", "R-SHIPPED-REFUND-ONLY")


def test_r_shipped_refund_only_delivered_negotiate_then_agent() -> None:
    case = facts(shipment=ShipmentState.DELIVERED, reason=ReasonCode.OTHER)
    assert on_open(case) is None
    decision = on_merchant_timeout(case)
    assert decision.outcome == Outcome.TO_AGENT
    assert decision.rules == ("R-TIMEOUT", "R-SHIPPED-REFUND-ONLY")
    assert any(f.startswith("R-SHIPPED-REFUND-ONLY: Refund-only after delivery") for f in decision.findings)


def test_r_shipped_refund_only_does_not_touch_returns() -> None:
    assert on_open(facts(kind=CaseKind.RETURN_REFUND, shipment=ShipmentState.NOT_SHIPPED)) is None


# --- R-NOT-RECEIVED ----------------------------------------------------------------------------------------------

BUYER_SLIP = EvidenceOnFile("ev-slip", EvidenceKind.OTHER, Party.BUYER, "代收点无此包裹")


@pytest.mark.parametrize(
    ("tracking", "evidence", "statements", "outcome", "evidence_ids"),
    [
        # not delivered after all: the courier's last word is "returned"
        ((delivered(), TrackingEvent(TrackingStatus.RETURNED, NOW - timedelta(hours=1))), (), (), Outcome.RESHIP, ()),
        # the merchant checked with the courier: not delivered
        ((delivered(proof="courier-photo-1"),), (), merchant_says(Claim.COURIER_NOT_DELIVERED), Outcome.RESHIP, ()),
        # delivered, no courier proof → lean to the buyer
        ((delivered(),), (), (), Outcome.RESHIP, ()),
        # delivered with a courier photo, buyer counter-evidence → lean to the buyer
        ((delivered(proof="courier-photo-1"),), (BUYER_SLIP,), (), Outcome.RESHIP, ("ev-slip", "courier-photo-1")),
        # delivered with a courier photo, no counter-evidence → agent
        ((delivered(proof="courier-photo-1"),), (), (), Outcome.TO_AGENT, ("courier-photo-1",)),
        # a courier record the merchant uploaded is proof too
        ((delivered(),), (courier_record(),), (), Outcome.TO_AGENT, ("ev-courier",)),
    ],
    ids=["returned", "courier-confirms", "no-proof", "proof-contested", "photo-proof", "courier-record"],
)
def test_r_not_received_branches(
    tracking: tuple[TrackingEvent, ...],
    evidence: tuple[EvidenceOnFile, ...],
    statements: tuple[Statement, ...],
    outcome: Outcome,
    evidence_ids: tuple[str, ...],
) -> None:
    case = facts(
        kind=CaseKind.NOT_RECEIVED,
        reason=ReasonCode.NOT_RECEIVED,
        tracking=tracking,
        evidence=evidence,
        statements=statements,
    )
    assert on_open(case) is None  # the merchant checks with the courier first
    decision = on_merchant_timeout(case)
    assert decision.outcome == outcome
    assert "R-NOT-RECEIVED" in decision.rules
    assert decision.amount_cents == 0
    assert decision.evidence_ids == evidence_ids


@pytest.mark.parametrize(
    ("record", "evidence", "outcome", "evidence_ids"),
    [
        # the courier's record has no photo: no proof, lean to the buyer on the record
        (DeliveryRecord("DR-1"), (), Outcome.RESHIP, ("courier_record:DR-1",)),
        # a photo of the delivery, no counter-evidence: an agent looks
        (DeliveryRecord("DR-2", "photo-SF1"), (), Outcome.TO_AGENT, ("courier_record:DR-2",)),
        # a photo of the delivery against the buyer's slip: lean to the buyer
        (DeliveryRecord("DR-3", "photo-SF1"), (BUYER_SLIP,), Outcome.RESHIP, ("ev-slip", "courier_record:DR-3")),
    ],
    ids=["record-without-photo", "record-with-photo", "record-contested"],
)
def test_r_not_received_reads_the_couriers_fetched_delivery_record(
    record: DeliveryRecord, evidence: tuple[EvidenceOnFile, ...], outcome: Outcome, evidence_ids: tuple[str, ...]
) -> None:
    case = facts(kind=CaseKind.NOT_RECEIVED, tracking=(delivered(),), evidence=evidence, delivery_record=record)
    decision = on_merchant_timeout(case)
    assert (decision.outcome, decision.evidence_ids) == (outcome, evidence_ids)
    assert "R-NOT-RECEIVED" in decision.rules


def test_r_not_received_on_a_refund_only_request_refunds() -> None:
    case = facts(reason=ReasonCode.NOT_RECEIVED, tracking=(delivered(),))
    decision = on_merchant_timeout(case)
    assert (decision.outcome, decision.amount_cents) == (Outcome.REFUND, 5900)
    assert decision.rules == ("R-TIMEOUT", "R-NOT-RECEIVED")


def test_r_not_received_agent_gets_the_courier_photo_finding() -> None:
    decision = on_merchant_timeout(facts(kind=CaseKind.NOT_RECEIVED, tracking=(delivered(proof="p-1"),)))
    assert any("R-NOT-RECEIVED: The courier's photo" in f for f in decision.findings)
    assert any(f.startswith("R-TIMEOUT") for f in decision.findings)


# --- R-STALL -----------------------------------------------------------------------------------------------------


def stalled_case(hours_since_last_event: float, thresholds: Thresholds | None = None) -> CaseFacts:
    return facts(
        kind=CaseKind.LOGISTICS_STALLED,
        shipment=ShipmentState.IN_TRANSIT,
        delivered_at=None,
        tracking=(in_transit(NOW - timedelta(hours=hours_since_last_event)),),
        thresholds=thresholds or Thresholds(),
    )


def test_r_stall_urges_the_courier_and_gives_a_5_yuan_coupon() -> None:
    decision = on_merchant_timeout(stalled_case(80))
    assert (decision.outcome, decision.amount_cents) == (Outcome.COUPON, 500)
    assert decision.rules == ("R-TIMEOUT", "R-STALL")
    assert decision.resolutions == (Resolution.URGE_COURIER_COUPON,)
    assert not decision.moves_money  # a coupon is not a refund
    assert "5元无门槛券" in decision.rationale_zh


def test_r_stall_coupon_is_a_setting() -> None:
    decision = on_merchant_timeout(stalled_case(80, thresholds=Thresholds(stall_coupon_cents=800)))
    assert (decision.amount_cents, decision.rules) == (800, ("R-TIMEOUT", "R-STALL"))


def test_r_stall_tracking_moved_again_goes_to_the_agent() -> None:
    verdict = stall(stalled_case(2))
    assert isinstance(verdict, Finding) and verdict.rule == "R-STALL"
    assert on_merchant_timeout(stalled_case(2)).outcome == Outcome.TO_AGENT


@pytest.mark.parametrize(
    ("age", "stalled"),
    [(timedelta(hours=72), True), (timedelta(hours=72) - timedelta(seconds=1), False), (timedelta(days=5), True)],
)
def test_r_stall_starts_at_72_hours(age: timedelta, stalled: bool) -> None:
    tracking = (in_transit(NOW - timedelta(days=9)), in_transit(NOW - age))
    event = stalled_event(tracking, NOW, Timers().stall)
    assert (event is not None) is stalled
    if event is not None:
        assert event == tracking[1]  # the stalled node is the last one


def test_r_stall_never_for_a_delivered_parcel() -> None:
    assert stalled_event((delivered(NOW - timedelta(days=9)),), NOW, Timers().stall) is None
    assert stalled_event((), NOW, Timers().stall) is None
