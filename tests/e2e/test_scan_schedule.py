"""The exception scan's schedule on a real dev server: created once at worker start, brought up to date after."""

from datetime import timedelta

import pytest
from temporalio.client import Client, ScheduleActionStartWorkflow

from worker import ensure_scan_schedule, evidence_sweep_schedule, reconcile_schedule
from workflows.scans import SCAN_SCHEDULE_ID

pytestmark = pytest.mark.e2e
HOUR_HOUR = (timedelta(hours=1), timedelta(hours=1))


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


async def test_the_schedules_carry_notes_and_a_paused_schedule_stays_paused(dev_client: Client) -> None:
    queue = "scan-schedule-notes"
    await ensure_scan_schedule(dev_client, queue, timedelta(minutes=10))
    handle = dev_client.get_schedule_handle(SCAN_SCHEDULE_ID)
    try:
        state = (await handle.describe()).schedule.state
        assert state.note.startswith("订单异常扫描:每 10 分钟") and not state.paused
        await handle.pause(note="春节期间暂停")
        await ensure_scan_schedule(dev_client, queue, timedelta(minutes=5))  # a worker restarts meanwhile
        described = await handle.describe()
        assert described.schedule.state.paused and described.schedule.state.note == "春节期间暂停"
        assert [i.every for i in described.schedule.spec.intervals] == [timedelta(minutes=5)]
    finally:
        await handle.delete()
    for schedule in (reconcile_schedule(queue, timedelta(minutes=10)), evidence_sweep_schedule(queue, *HOUR_HOUR)):
        assert schedule.state.note and "每" in schedule.state.note
