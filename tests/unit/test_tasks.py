"""Tasks cancelled until they end, even one that swallows a cancellation."""

from __future__ import annotations

import asyncio

from watchfloor.shared.tasks import cancel_until_done


async def test_a_task_that_swallows_the_first_cancellation_still_ends() -> None:
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                if swallowed == 0:  # as redis-py sometimes does inside a command
                    swallowed += 1
                    continue
                raise

    task = asyncio.create_task(stubborn())
    done_already = asyncio.create_task(asyncio.sleep(0))
    await asyncio.sleep(0.01)
    await asyncio.wait_for(cancel_until_done([task, done_already]), 5)
    assert task.cancelled() and swallowed == 1
