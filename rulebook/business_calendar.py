"""The business calendar (product.md §4): days the platform declares paused, and deadlines that do not count them.

Paused days are calendar days in Asia/Shanghai (e.g. the 春节 logistics stop), written as the setting
`AFTERSALES_PAUSED_DAYS`: dates and inclusive date ranges separated by commas, `2027-02-05..2027-02-11,2027-04-05`.
Each becomes a pause from 00:00 of its first day to 00:00 after its last, Shanghai time, held as UTC instants.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")  # as R-7D counts its days (rulebook/rules/seven_day.py)
RANGE_SEPARATOR = ".."


@dataclass(frozen=True)
class Pause:
    """A paused stretch of time, [start, end), in timezone-aware UTC."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class PausedDeadline:
    """When a wait runs out once paused time is left out, and how much paused time that added."""

    deadline: datetime
    paused: timedelta
    pauses: tuple[Pause, ...] = ()  # the pauses that moved it


def shanghai_midnight(day: date) -> datetime:
    """00:00 of `day` in Asia/Shanghai, as a UTC instant."""
    return datetime.combine(day, time(), SHANGHAI).astimezone(UTC)


def day_pause(first: date, last: date) -> Pause:
    """The pause of the Shanghai calendar days `first` to `last`, both included."""
    if last < first:
        raise ValueError(f"a paused range ends before it starts: {first}..{last}")
    return Pause(shanghai_midnight(first), shanghai_midnight(last + timedelta(days=1)))


def parse_paused_days(text: str) -> tuple[Pause, ...]:
    """`2027-02-05..2027-02-11, 2027-04-05` → the pauses, sorted and merged; empty text → none.
    Anything else is a ValueError naming the part it could not read."""
    pauses = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        first, is_range, last = part.partition(RANGE_SEPARATOR)
        try:
            start_day = date.fromisoformat(first.strip())
            end_day = date.fromisoformat(last.strip()) if is_range else start_day
        except ValueError:
            raise ValueError(
                f"not a date or a date range: {part!r} (e.g. 2027-02-05 or 2027-02-05..2027-02-11)"
            ) from None
        pauses.append(day_pause(start_day, end_day))
    return merged(pauses)


def merged(pauses: list[Pause] | tuple[Pause, ...]) -> tuple[Pause, ...]:
    """Sorted, with overlapping or touching pauses joined into one."""
    joined: list[Pause] = []
    for pause in sorted(pauses, key=lambda p: p.start):
        if joined and pause.start <= joined[-1].end:
            joined[-1] = Pause(joined[-1].start, max(joined[-1].end, pause.end))
        else:
            joined.append(pause)
    return tuple(joined)


def deadline_skipping(started_at: datetime, wait: timedelta, pauses: tuple[Pause, ...]) -> PausedDeadline:
    """When a wait of `wait` that started at `started_at` runs out if paused time does not count.

    Time counts only outside the pauses: a wait that starts inside a pause starts counting when it ends, and a
    deadline that would fall in or after a pause moves out by the paused time (a deadline exactly at a pause's
    start falls in it, so it moves to the pause's end)."""
    if started_at.tzinfo is None:
        raise ValueError("deadlines are computed on timezone-aware times")
    at, left, paused, moved_by = started_at, wait, timedelta(0), []
    for pause in merged(pauses):
        if pause.end <= at:
            continue
        if pause.start > at:
            running = pause.start - at
            if left < running:
                break
            left -= running
            at = pause.start
        paused += pause.end - at
        moved_by.append(pause)
        at = pause.end
    return PausedDeadline(at + left, paused, tuple(moved_by))
