"""A worker stops even when a periodic job swallows its cancellation, as a
redis-py command sometimes does when the cancellation lands inside it."""

from __future__ import annotations

import asyncio
import time

import pytest
from watchfloor.shared.streams.worker import Periodic, WorkerParts, create_worker_app

from tests.integration.helpers import wait_until

pytestmark = pytest.mark.integration


async def test_a_job_that_swallows_one_cancellation_does_not_hold_the_shutdown(settings) -> None:
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            if swallowed == 0:  # the first one is lost, as inside redis-py
                swallowed += 1
                return
            raise

    parts = WorkerParts(name="stubborn", periodic=[Periodic("stubborn", 0.01, stubborn)])
    app = create_worker_app(settings, [lambda runtime: parts])
    task = asyncio.create_task(app.run())
    await wait_until(lambda: _started(app), what="worker start")
    started = time.monotonic()

    app.exit()
    await asyncio.wait_for(task, 20)

    assert swallowed == 1
    assert time.monotonic() - started < 5


async def _started(app) -> bool:
    return bool(app._tasks)
