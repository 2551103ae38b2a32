"""The one table of messages: every event the case records is told to whoever should hear of it, or is listed as
heard by nobody; every message reads as words (no ISO times, codes or Python reprs), in Chinese and in English."""

import json
import re
from base64 import b64decode
from pathlib import Path

import pytest

from activities.notices import SILENT, TEMPLATES, notices_for
from rulebook.enums import Party
from tests.activities.notice_samples import SAMPLES, with_context
from workflows.messages import MoneyOutcome
from workflows.money import DONE
from workflows.order_lock_messages import RELEASE_EVENTS
from workflows.resolutions import EVENTS as REMEDY_EVENTS

ROOT = Path(__file__).resolve().parents[2]
RECORDED = re.compile(
    r"(?:system|\.event|EventDraft|Recorded|StepRecord|ReshipStep|TransferStep)\(\s*\"([a-z]+(?:_[a-z]+)*)\"|"
    r"\(\s*\"([a-z]+(?:_[a-z]+)*)\" if receipt\.done else \"([a-z]+(?:_[a-z]+)*)\""
)
HEARD = {  # the outcomes issue 21 found nobody heard of, and who must hear them now
    "refund_capped": {Party.BUYER, Party.MERCHANT},
    "refund_refused": {Party.BUYER, Party.MERCHANT},
    "refund_failed": {Party.BUYER, Party.MERCHANT},
    "coupon_failed": {Party.BUYER, Party.MERCHANT},
    "coupon_capped": {Party.BUYER, Party.MERCHANT},
    "coupon_refused": {Party.BUYER, Party.MERCHANT},
    "refund_overdue": {Party.BUYER, Party.MERCHANT, Party.AGENT},
    "refund_reversed": {Party.BUYER, Party.MERCHANT},
    "reversal_refused": {Party.BUYER, Party.MERCHANT},
    "reversal_failed": {Party.BUYER, Party.MERCHANT},
    "decision_overridden": {Party.BUYER, Party.MERCHANT},
    "case_closed": {Party.BUYER, Party.MERCHANT},
    "timeline_diverged": {Party.AGENT},
    "order_unlocked": {Party.BUYER, Party.MERCHANT},
    "order_cancelled": {Party.BUYER, Party.MERCHANT},
    "case_repaired": {Party.BUYER, Party.MERCHANT, Party.AGENT},
}
NOT_WORDS = [
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"), "an ISO time"),
    (re.compile(r"\d{2}:\d{2}:\d{2}"), "seconds"),
    (re.compile(r"\+00:00|UTC"), "a UTC time"),
    (re.compile(r"<[A-Za-z]+\.[A-Z_]+: "), "an enum's repr"),
    (re.compile(r"\b[a-z]+(?:_[a-z]+)+\b"), "a snake_case code"),
    (re.compile(r"\bNone\b|\{|\}"), "a Python value"),
]


def recorded_event_types() -> set[str]:
    """What the workflows and the closing activities put on a timeline: literal types, the money moves' and
    remedies' composed ones, and every type in the recorded histories of running cases."""
    found: set[str] = set()
    for path in [*ROOT.glob("workflows/*.py"), ROOT / "activities/closing.py", ROOT / "activities/recording.py"]:
        for match in RECORDED.finditer(path.read_text()):
            found.update(name for name in match.groups() if name)
    statuses = (MoneyOutcome.CAPPED, MoneyOutcome.REFUSED, MoneyOutcome.FAILED)
    found.update(f"{kind}_{status}" for kind in ("refund", "coupon", "reversal") for status in statuses)
    found.update(DONE.values(), (e for e in RELEASE_EVENTS.values() if e), REMEDY_EVENTS.values())
    found.update(f"{action}_failed" for action in REMEDY_EVENTS)
    found.update(f"{direction}_shipped" for direction in ("return", "replacement"))
    return found | history_event_types()


def history_event_types() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "tests/workflows/histories").rglob("*.json"):
        for encoded in re.findall(r'"data": "([A-Za-z0-9+/=]+)"', path.read_text()):
            try:
                found.update(re.findall(r'"type":\s*"([a-z_]+)"', b64decode(encoded).decode()))
            except (ValueError, UnicodeDecodeError):
                continue
    return found


def test_every_recorded_event_has_its_messages_or_is_listed_as_told_to_nobody() -> None:
    known = recorded_event_types()
    assert {"refund_capped", "case_closed", "decision_overridden", "order_unlocked"} <= known  # the scan works
    unheard = sorted(known - set(TEMPLATES) - set(SILENT))
    assert not unheard, f"event types with no template and not in SILENT: {unheard}"
    assert not set(TEMPLATES) & set(SILENT)


@pytest.mark.parametrize("event_type", sorted(HEARD))
def test_the_outcomes_nobody_heard_of_are_told(event_type: str) -> None:
    told = {n.to for sample in SAMPLES[event_type] for n in notices_for(event_type, with_context(event_type, sample))}
    assert HEARD[event_type] <= told


@pytest.mark.parametrize("event_type", sorted(TEMPLATES))
def test_every_cell_of_the_table_speaks_in_words(event_type: str) -> None:
    assert event_type in SAMPLES, f"no sample of {event_type} in tests/activities/notice_samples.py"
    parties_told: set[Party] = set()
    for sample in SAMPLES[event_type]:
        for notice in notices_for(event_type, with_context(event_type, sample)):
            parties_told.add(notice.to)
            for text in (notice.zh, notice.en):
                assert text.strip(), f"{event_type} → {notice.to}: empty"
                for pattern, what in NOT_WORDS:
                    assert not pattern.search(text), f"{event_type} → {notice.to} shows {what}: {text}"
            assert re.search(r"[\u4e00-\u9fff]", notice.zh), f"{event_type} → {notice.to}: no Chinese"
    assert parties_told == set(TEMPLATES[event_type]), f"{event_type}: a party in the table was never told"


def test_an_exchange_is_an_exchange_to_the_buyer() -> None:
    data = with_context("return_requested", SAMPLES["return_requested"][0])
    (notice,) = notices_for("return_requested", data)
    assert "同意换货" in notice.zh and "退货," not in notice.zh and "approved the exchange" in notice.en


def test_times_read_as_beijing_time_to_the_minute() -> None:
    (to_buyer,) = notices_for("return_ship_warning", {"deadline": "2026-12-11T14:35:16.241236+00:00"})
    assert "2026-12-11 22:35(北京时间)" in to_buyer.zh and "2026-12-11 22:35 (Beijing time)" in to_buyer.en


def test_the_samples_are_json_as_the_timeline_stores_them() -> None:
    json.dumps(SAMPLES)
