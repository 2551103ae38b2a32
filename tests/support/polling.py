"""Waiting for what a worker stores asynchronously."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], within: float = 15.0) -> T:
    """Calls `probe` until `accept` holds for its result; fails with the last result after `within` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while True:
        value = await probe()
        if accept(value):
            return value
        if loop.time() > end:
            raise AssertionError(f"condition not met within {within}s; last value: {value!r}")
        await asyncio.sleep(0.05)
