"""The exception scan: run by a Temporal Schedule every T-MISSED (`worker.ensure_scan_schedule`), one round opens the
`logistics_stalled` and `missed_shipment` cases the rule book finds (`activities/scans.py`).

A round walks the stalled parcels page by page, then the missed orders, then restarts cases whose start was lost;
each page is its own activity (retried alone, heartbeating while it starts workflows), and after `pages_per_run` pages
the round continues as new with its cursor, so its history stays small however many rows there are.
"""

from dataclasses import replace
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.messages import PageResult, ScanPage, ScanRequest, ScanResult

with workflow.unsafe.imports_passed_through():
    from activities.scans import ScanActivities

SCAN_SCHEDULE_ID = "exception-scan"
PAGE_TIMEOUT = timedelta(minutes=2)
PAGE_HEARTBEAT = timedelta(seconds=30)
REPORTED = 100  # case ids a round's result names per kind (it counts them all)
PAGE_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=5)

STALLED, MISSED, RESTART = "stalled", "missed", "restart"


@workflow.defn
class ScanWorkflow:
    @workflow.run
    async def run(self, scan: ScanRequest) -> ScanResult:
        pages = 0
        while scan.phase != RESTART:
            if pages == scan.pages_per_run:
                workflow.continue_as_new(scan)
            page = ScanPage(scan.shop_id, scan.page_size, scan.cursor)
            method = ScanActivities.scan_stalled_page if scan.phase == STALLED else ScanActivities.scan_missed_page
            result: PageResult = await workflow.execute_activity_method(
                method,
                page,
                start_to_close_timeout=PAGE_TIMEOUT,
                heartbeat_timeout=PAGE_HEARTBEAT,
                retry_policy=PAGE_RETRY,
                summary=f"扫描{'物流停滞的包裹' if scan.phase == STALLED else '超时未发货的订单'}:第 {pages + 1} 页",
            )
            scan = replace(
                scan,
                phase=scan.phase if result.next else (MISSED if scan.phase == STALLED else RESTART),
                cursor=result.next,
                found=_add(scan.found, scan.phase, result.opened),
            )
            pages += 1
        restarted = await workflow.execute_activity_method(
            ScanActivities.restart_unstarted,
            ScanPage(scan.shop_id, scan.page_size),
            start_to_close_timeout=PAGE_TIMEOUT,
            heartbeat_timeout=PAGE_HEARTBEAT,
            retry_policy=PAGE_RETRY,
            summary="补开已记录但工作流未启动的异常案件",
        )
        return replace(scan.found, restarted=restarted)


def _add(found: ScanResult, phase: str, opened: tuple[str, ...]) -> ScanResult:
    total = found.opened + len(opened)
    if phase == STALLED:
        return replace(found, stalled=(found.stalled + opened)[:REPORTED], opened=total)
    return replace(found, missed=(found.missed + opened)[:REPORTED], opened=total)
