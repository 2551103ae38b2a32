"""Heartbeats for activities that wait on another system: a worker that dies mid-call is noticed within the
activity's heartbeat timeout, not its whole start-to-close timeout, and the call is retried elsewhere."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio import activity

EVERY = 1.0  # seconds between heartbeats; the workflow's heartbeat timeout is a few of these


@asynccontextmanager
async def heartbeating(every: float = EVERY) -> AsyncIterator[None]:
    """Heartbeats while the body runs (outside an activity, e.g. in a test calling it directly, it does nothing)."""
    if not activity.in_activity():
        yield
        return

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(every)

    beating = asyncio.create_task(beat())
    try:
        yield
    finally:
        beating.cancel()
