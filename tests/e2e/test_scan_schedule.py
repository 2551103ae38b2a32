"""The exception scan's schedule on a real dev server: created once at worker start, brought up to date after."""

from datetime import timedelta

import pytest
from temporalio.client import Client, ScheduleActionStartWorkflow

from worker import ensure_scan_schedule
from workflows.scans import SCAN_SCHEDULE_ID

pytestmark = pytest.mark.e2e


async def test_every_worker_start_ensures_one_schedule_at_the_current_t_missed(dev_client: Client) -> None:
    queue = "scan-schedule-test"
    await ensure_scan_schedule(dev_client, queue, timedelta(minutes=10))
    try:
        await ensure_scan_schedule(dev_client, queue, timedelta(minutes=5))  # a second worker, T-MISSED changed

        described = await dev_client.get_schedule_handle(SCAN_SCHEDULE_ID).describe()
        assert [i.every for i in described.schedule.spec.intervals] == [timedelta(minutes=5)]
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert (action.workflow, action.task_queue) == ("ScanWorkflow", queue)
        found = [s.id async for s in await dev_client.list_schedules()]
        assert found.count(SCAN_SCHEDULE_ID) <= 1
    finally:
        await dev_client.get_schedule_handle(SCAN_SCHEDULE_ID).delete()
