"""The engine alone: a workflow that starts and waits on a timer, and answers updates. Nothing else.

It stands beside the case workflow in the benchmarks to show what the Temporal server gives on this machine with
the same flags. Times are seconds since the epoch, so the payloads are plain numbers.
"""

from datetime import timedelta

from temporalio import workflow

SHORTEST_TIMER = timedelta(milliseconds=1)


@workflow.defn
class BareWorkflow:
    def __init__(self) -> None:
        self._waiting = False
        self._pokes = 0

    @workflow.run
    async def run(self, until: float) -> float:
        """Sleeps until the instant `until`, then returns the workflow's clock when its timer fired."""
        self._waiting = True
        await workflow.sleep(max(SHORTEST_TIMER, timedelta(seconds=until - workflow.now().timestamp())))
        return workflow.now().timestamp()

    @workflow.update
    async def waiting(self) -> None:
        """Returns once the workflow waits on its timer (as a case's opening returns once it waits on the merchant)."""
        await workflow.wait_condition(lambda: self._waiting)

    @workflow.update
    def poke(self) -> int:
        """The least an update can do: a round trip through the workflow, nothing recorded."""
        self._pokes += 1
        return self._pokes
