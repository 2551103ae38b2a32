"""The reconciliation: run by a Temporal Schedule every AFTERSALES_RECONCILE_EVERY (`worker.ensure_schedule`), it
repairs case rows whose workflow ended without closing them (`activities/closing.py`, reliability.md WF-12): a
terminated, cancelled or timed-out run's case closes with the final status its timeline reached, else `cancelled`;
a completed run's open case is never cancelled but left open for an agent, with one `case_repaired` event."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.ending import ReconcileRequest, ReconcileResult

with workflow.unsafe.imports_passed_through():
    from activities.closing import CaseCloser

RECONCILE_TIMEOUT = timedelta(minutes=5)


@workflow.defn
class ReconcileWorkflow:
    @workflow.run
    async def run(self, request: ReconcileRequest) -> ReconcileResult:
        return await workflow.execute_activity_method(
            CaseCloser.repair_orphans,
            request,
            start_to_close_timeout=RECONCILE_TIMEOUT,
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=5),
            summary="关闭工作流已结束但仍未结案的案件",
        )
