"""What the evidence sweep is asked and answers (`workflows/evidence_sweep.py`, `activities/evidence_sweep.py`)."""

from dataclasses import dataclass

EVIDENCE_SWEEP_SCHEDULE_ID = "evidence-sweep"


@dataclass(frozen=True)
class EvidenceSweepRequest:
    grace_seconds: float = (
        3600.0  # a file no record names is deleted once it is this old (AFTERSALES_EVIDENCE_SWEEP_GRACE)
    )


@dataclass(frozen=True)
class EvidenceSweepResult:
    looked_at: int = 0
    deleted: int = 0
