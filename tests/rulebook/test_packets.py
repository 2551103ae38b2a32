"""Decision packets (rulebook/packets.py) and their recheck (rulebook/recheck.py): any facts round-trip through JSON
and re-derive; a changed fact, outcome or version is caught; a packet whose hash is not the one claimed is refused."""

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rulebook import decide, packets, recheck
from rulebook.business_calendar import Pause
from rulebook.deadlines import DeadlinePolicy
from rulebook.decisions import Decision
from rulebook.enums import Outcome, Role
from rulebook.facts import CaseFacts, DeliveryRecord, Thresholds
from rulebook.oversell import TransferOption
from rulebook.timers import Timers
from tests.rulebook.factory import facts, photo
from tests.rulebook.test_properties import case_facts

AT = datetime(2024, 5, 3, 2, 0, tzinfo=UTC)
POLICY = DeadlinePolicy((Pause(AT, AT + timedelta(days=1)),), timedelta(hours=12))


def platform_packet(case: CaseFacts, entry_point: str = packets.ON_MERCHANT_TIMEOUT) -> dict[str, Any]:
    decision = packets.ENTRY_POINTS[entry_point](case)
    assert decision is not None
    built = packets.build(
        case_id="c-1", facts=case, decision=decision, role=Role.SYSTEM, actor_id="platform", at=AT,
        entry_point=entry_point, deadlines=POLICY,
    )  # fmt: skip
    through_json: dict[str, Any] = json.loads(json.dumps(built, ensure_ascii=False))
    return through_json


@settings(max_examples=200, deadline=None)
@given(case_facts())
def test_any_facts_round_trip_through_json_and_re_derive_as_the_same(case: CaseFacts) -> None:
    packet = platform_packet(case)
    assert packets.facts_of(packet) == case
    assert packets.canonical(json.loads(packets.canonical(packet))) == packets.canonical(packet)
    verdict = recheck.recheck(packet, packets.sha256(packet))
    assert (verdict.code, verdict.lines) == (recheck.SAME, ["same"])


@settings(max_examples=100, deadline=None)
@given(case_facts(), st.sampled_from(["amount_cents", "paid_cents", "refunded_cents", "shipment", "reason"]))
def test_a_changed_fact_is_refused_under_its_old_sha_and_re_derived_under_a_new_one(case: CaseFacts, name: str) -> None:
    packet = platform_packet(case)
    claimed = packets.sha256(packet)
    edited = copy.deepcopy(packet)
    was = packet["facts"][name]
    other = {"shipment": ("in_transit", "not_shipped"), "reason": ("other", "quality_defect")}
    if name.endswith("cents"):
        edited["facts"][name] = was + 1
    else:
        first, second = other[name]
        edited["facts"][name] = first if was != first else second
    assert recheck.recheck(edited, claimed).code == recheck.REFUSED
    rehashed = recheck.recheck(edited, packets.sha256(edited))  # the hash forged too: the rules judge the facts
    expected = decide.on_merchant_timeout(packets.facts_of(edited))
    same_decision = packets.to_json(expected) == packet["decision"]
    assert rehashed.code == (recheck.SAME if same_decision else recheck.DIFFERS)


def test_a_changed_outcome_differs_and_says_what() -> None:
    packet = platform_packet(facts(reason="quality_defect", evidence=(photo(),)))
    assert packet["decision"]["outcome"] == "refund"
    packet["decision"]["outcome"] = "reject"
    verdict = recheck.recheck(packet, packets.sha256(packet))
    assert verdict.code == recheck.DIFFERS
    assert verdict.lines == [
        "differs: decide.on_merchant_timeout on these facts now says otherwise",
        "  outcome: recorded 'reject', now 'refund'",
    ]


def test_every_kind_of_fact_round_trips() -> None:
    """Nested dataclasses, enums, datetimes, timedeltas, tuples, optionals and mappings."""
    case = facts(
        timers=Timers(merchant=timedelta(minutes=90), refund=timedelta(seconds=1.5)),
        thresholds=Thresholds(small_claim_threshold_cents=3000),
        evidence=(photo(),),
        asked_at=AT,
        transfer_from=TransferOption("w-sh", 3, "上海", "上海", "distance", 12.5),
        listing_snapshot=({"sku": "tee-1", "title": "纯棉T恤", "listing": {"washable": True}},),
        delivery_record=DeliveryRecord("DR-1", None),
    )
    packet = platform_packet(case, packets.RECOMMEND)
    assert packets.facts_of(packet) == case
    assert packet["settings"]["timers"]["refund"] == 1.5
    assert packets.settings_of(packet["settings"]) == (case.timers, case.thresholds, POLICY)
    assert packet["rulebook"] == dict(packets.RULEBOOK)


def test_a_packet_of_another_rule_book_says_so() -> None:
    packet = platform_packet(facts(reason="quality_defect", evidence=(photo(),)))
    packet["rulebook"] = {"version": "0.0.9", "source_sha256": "0" * 64}
    verdict = recheck.recheck(packet, packets.sha256(packet))
    assert verdict.code == recheck.SAME
    assert verdict.lines[0].startswith("note: made by rule book 0.0.9 (" + "0" * 64 + "); rechecked with")


def test_a_persons_decision_is_shown_beside_the_rules_recommendation() -> None:
    case = facts()
    ruling = Decision(Outcome.REFUND, 5900, ("AGENT-DECISION",), "开线属质量问题", "A quality fault")
    packet = packets.build(
        case_id="c-1", facts=case, decision=ruling, role=Role.AGENT, actor_id="agent-1", at=AT, entry_point=None
    )
    verdict = recheck.recheck(packet, packets.sha256(packet))
    assert verdict.code == recheck.SAME
    assert verdict.lines[0] == "decided by a person (agent agent-1): refund 5900 fen [AGENT-DECISION]"
    assert verdict.lines[1].startswith("the rules recommended (decide.recommend): to_agent 0 fen")
    assert verdict.lines[-1] == "same"  # the recommendation re-derives; the person departed from it


def test_refused_without_a_claim_or_unreadable() -> None:
    packet = platform_packet(facts(reason="quality_defect", evidence=(photo(),)))
    assert recheck.recheck(packet, None).code == recheck.REFUSED
    packet["facts"]["surprise"] = 1
    verdict = recheck.recheck(packet, packets.sha256(packet))
    assert verdict.code == recheck.REFUSED and "CaseFacts has no field surprise" in verdict.lines[0]


def test_the_source_hash_is_of_the_files_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b.py").write_text("b = 2\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.py").write_text("a = 1\n")
    first = packets.source_sha256(tmp_path)
    assert first == packets.source_sha256(tmp_path)
    (tmp_path / "sub" / "a.py").write_text("a = 2\n")
    assert packets.source_sha256(tmp_path) != first
    assert packets.source_sha256() == packets.RULEBOOK["source_sha256"]


@pytest.mark.parametrize("claim", ["file", "flag", "mismatch"])
def test_the_command_takes_a_packet_alone(tmp_path: Path, claim: str, capsys: pytest.CaptureFixture[str]) -> None:
    packet = platform_packet(facts(reason="quality_defect", evidence=(photo(),)))
    sha = packets.sha256(packet)
    path = tmp_path / (f"{sha}.json" if claim == "file" else "packet.json")
    path.write_text(json.dumps(packet), encoding="utf-8")
    args = [str(path)] + (["--sha", sha if claim == "flag" else "f" * 64] if claim != "file" else [])
    code = recheck.main(args)
    out = capsys.readouterr().out
    assert (code, out.splitlines()[-1]) == ((0, "same") if claim != "mismatch" else (2, out.splitlines()[-1]))
    assert claim != "mismatch" or out.startswith("refused:")
