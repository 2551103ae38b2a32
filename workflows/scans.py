"""The exception scan: run by a Temporal Schedule every T-MISSED (`worker.ensure_scan_schedule`), it opens the
`logistics_stalled` and `missed_shipment` cases the rule book finds (`activities/scans.py`)."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.messages import ScanRequest, ScanResult

with workflow.unsafe.imports_passed_through():
    from activities.scans import ScanActivities

SCAN_SCHEDULE_ID = "exception-scan"
SCAN_TIMEOUT = timedelta(minutes=5)


@workflow.defn
class ScanWorkflow:
    @workflow.run
    async def run(self, scan: ScanRequest) -> ScanResult:
        return await workflow.execute_activity_method(
            ScanActivities.open_exception_cases,
            scan,
            start_to_close_timeout=SCAN_TIMEOUT,
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=5),
            summary="扫描物流停滞与超时未发货的订单,开立异常案件",
        )
