"""Nothing lost: every acknowledged 201 is a case row and a workflow, and no money moved twice for one case.

Counted for the run's own buyer (`bench.service.Service`): case rows in the service's database, workflows through
Temporal's visibility (`count_workflows`), ledger rows holding money per case and kind.
"""

import asyncio
import time
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import bindparam, text

from bench.common import ResultFile, Stack
from models.db import create_engine

VISIBILITY_WAIT_SECONDS = 30.0

ROWS = text("SELECT case_id FROM cases WHERE buyer_id = :buyer")
MOVES = text(
    "SELECT count(*) AS moves, count(DISTINCT l.case_id || ':' || l.kind) AS keys FROM ledger_entries l "
    "JOIN cases c ON c.case_id = l.case_id WHERE c.buyer_id = :buyer AND l.status IN :holding"
).bindparams(bindparam("holding", expanding=True))


@dataclass(frozen=True)
class Tally:
    acknowledged: int
    rows: int
    workflows: int
    missing_rows: int  # acknowledged case ids with no row
    unacknowledged_rows: int  # rows whose opening answered an error (a retry with its key would answer the case)
    money_moves: int
    duplicate_moves: int  # moves beyond one per case and kind

    @property
    def lost(self) -> bool:
        counts_agree = self.acknowledged == self.rows == self.workflows
        return not counts_agree or self.missing_rows > 0 or self.duplicate_moves > 0

    def line(self) -> str:
        verdict = "LOST OR DUPLICATED" if self.lost else "nothing lost"
        missing = f", {self.missing_rows} acknowledged without a row" if self.missing_rows else ""
        if self.unacknowledged_rows:
            missing += f", {self.unacknowledged_rows} rows whose request answered an error"
        return (
            f"{verdict}: {self.acknowledged} acknowledged 201s, {self.rows} case rows, {self.workflows} workflows"
            f"{missing}; {self.money_moves} money moves, {self.duplicate_moves} duplicate"
        )

    def figures(self) -> dict[str, Any]:
        return {**asdict(self), "lost": self.lost}


async def tally(stack: Stack, buyer_id: str, acknowledged: Collection[str]) -> Tally:
    engine = create_engine(stack.database_url)
    try:
        async with engine.connect() as conn:
            rows = {row.case_id for row in await conn.execute(ROWS, {"buyer": buyer_id})}
            moves = (await conn.execute(MOVES, {"buyer": buyer_id, "holding": ["pending", "succeeded"]})).one()
    finally:
        await engine.dispose()
    workflows = await _workflows(stack, buyer_id, len(rows))
    return Tally(
        acknowledged=len(acknowledged),
        rows=len(rows),
        workflows=workflows,
        missing_rows=len(set(acknowledged) - rows),
        unacknowledged_rows=len(rows - set(acknowledged)),
        money_moves=moves.moves,
        duplicate_moves=moves.moves - moves.keys,
    )


async def _workflows(stack: Stack, buyer_id: str, expected: int) -> int:
    """The case workflows of the buyer, waiting a little for visibility to catch up with the last starts."""
    query = f"WorkflowType = 'CaseWorkflow' AND BuyerId = '{buyer_id}'"
    deadline = time.monotonic() + VISIBILITY_WAIT_SECONDS
    while True:
        count = (await stack.temporal.count_workflows(query)).count
        if count == expected or time.monotonic() > deadline:
            return count
        await asyncio.sleep(1)


def report(tally: Tally, result: ResultFile) -> int:
    """The run's last lines, and its exit status: non-zero when anything was lost."""
    print(tally.line())
    print(f"results: {result.shown_path}")
    return 1 if tally.lost else 0
