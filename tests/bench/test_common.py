"""The benchmarks' shared figures: percentiles by nearest rank, the JSON of a run, and the nothing-lost verdict."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bench import common
from bench.lost import Tally


def test_percentiles_are_nearest_rank_in_milliseconds() -> None:
    figures = common.percentiles([n / 1000 for n in range(100, 0, -1)])  # 100 ms … 1 ms, in seconds
    shown = (figures["count"], figures["p50_ms"], figures["p95_ms"], figures["p99_ms"], figures["max_ms"])
    assert shown == pytest.approx((100, 50, 95, 99, 100))
    assert figures["mean_ms"] == pytest.approx(50.5)
    assert common.percentiles([0.2])["p99_ms"] == pytest.approx(200)
    assert common.percentiles([]) == {"count": 0}


def test_a_run_is_saved_whole_with_the_machine_it_ran_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "RESULTS", tmp_path / "results")
    result = common.ResultFile("storm", {"cases": 3})
    result.save(checkpoints=[1])
    path = result.save(checkpoints=[1, 2])

    saved = json.loads(path.read_text())
    assert path.parent == tmp_path / "results" and path.name.startswith("storm-") and path.suffix == ".json"
    assert saved["parameters"] == {"cases": 3} and saved["checkpoints"] == [1, 2]
    assert {"cores", "cpu", "ram_gib", "python", "temporalio", "date", "commit"} <= saved["machine"].keys()
    assert "cores" in common.machine_line(saved["machine"])


ALL_THERE = Tally(
    acknowledged=5, rows=5, workflows=5, missing_rows=0, unacknowledged_rows=0, money_moves=5, duplicate_moves=0
)


@pytest.mark.parametrize(
    ("tally", "lost"),
    [
        (ALL_THERE, False),
        (replace(ALL_THERE, rows=4, missing_rows=1), True),
        (replace(ALL_THERE, rows=6, workflows=6, unacknowledged_rows=1), True),
        (replace(ALL_THERE, workflows=4), True),
        (replace(ALL_THERE, money_moves=6, duplicate_moves=1), True),
    ],
)
def test_anything_missing_or_moved_twice_is_lost(tally: Tally, lost: bool) -> None:
    assert tally.lost is lost
    assert tally.line().startswith("LOST" if lost else "nothing lost")
