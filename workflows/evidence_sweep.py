"""The evidence sweep: run by a Temporal Schedule every AFTERSALES_EVIDENCE_SWEEP_EVERY (`worker.ensure_schedule`),
it deletes stored evidence files that no evidence record names and that are older than the grace period
(`activities/evidence_sweep.py`). An upload the timeline did not take loses only its record; its file goes here,
once no upload of the same bytes can still be on its way to a record."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.evidence_sweep_messages import EvidenceSweepRequest, EvidenceSweepResult

with workflow.unsafe.imports_passed_through():
    from activities.evidence_sweep import EvidenceSweep

SWEEP_TIMEOUT = timedelta(minutes=30)
SWEEP_HEARTBEAT = timedelta(seconds=30)


@workflow.defn
class EvidenceSweepWorkflow:
    @workflow.run
    async def run(self, request: EvidenceSweepRequest) -> EvidenceSweepResult:
        return await workflow.execute_activity_method(
            EvidenceSweep.sweep_evidence,
            request,
            start_to_close_timeout=SWEEP_TIMEOUT,
            heartbeat_timeout=SWEEP_HEARTBEAT,
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=5),
            summary="清理无记录引用的证据文件",
        )
