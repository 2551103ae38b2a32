"""A run whose steps the timeline refused (`activities/recording.py`): the events at the seqs it numbers were
stored by another run of the same case, as after a `temporal workflow reset`. The run stops numbering on its own,
puts one `timeline_diverged` event at the stored head and hands the case to an agent.
"""

from dataclasses import dataclass
from datetime import datetime

TIMELINE_DIVERGED = "timeline_diverged"  # the ApplicationError type record_step raises, and the event's type


@dataclass(frozen=True)
class DivergenceNote:
    """What the run saw: its step numbered from `first_seq` was refused (the error's details carry the stored
    count and head). `at` is the workflow's time and `deadline` the agent's (now + T-AGENT, the workflow's timers),
    so a retried activity writes the same event; one note per (run_id, first_seq) is stored once."""

    case_id: str
    run_id: str
    first_seq: int
    attempted_types: tuple[str, ...]
    at: datetime
    deadline: datetime


@dataclass(frozen=True)
class DivergenceRecorded:
    """The `timeline_diverged` event: the run numbers its next event `seq + 1` and chains after `hash`. `hashes`
    are the stored events' from the note's `first_seq` to `seq` (another run's, then this one), for the run's
    anchor to cover the chain again: `anchor.extend(hashes)` on an anchor of `first_seq - 1` hashes."""

    seq: int
    hash: str
    hashes: tuple[str, ...] = ()
