"""A periodic job that says when it next has work sleeps that long, not its
interval, and is run again at once when woken."""

from __future__ import annotations

import asyncio
import time

import pytest
from watchfloor.shared.streams.worker import Periodic, RunAgainIn, WorkerParts, create_worker_app

from tests.integration.helpers import wait_until

pytestmark = pytest.mark.integration


async def test_a_job_runs_when_it_says_and_when_woken(settings) -> None:
    runs: list[float] = []
    wake = asyncio.Event()

    async def job() -> RunAgainIn:
        runs.append(time.monotonic())
        return RunAgainIn(60)  # nothing to do for a minute

    parts = WorkerParts(name="sleepy", periodic=[Periodic("sleepy", 0.01, job, wake=wake)])
    app = create_worker_app(settings, [lambda runtime: parts])
    task = asyncio.create_task(app.run())
    try:
        await wait_until(lambda: _ran(runs, 1), what="the first run")
        await asyncio.sleep(0.5)
        assert len(runs) == 1  # its interval (0.01 s) did not apply: it asked for 60

        wake.set()
        await wait_until(lambda: _ran(runs, 2), what="the run after the wake-up", timeout=5)
        await asyncio.sleep(0.3)
        assert len(runs) == 2  # one run per wake-up, then back to sleep
    finally:
        app.exit()
        await asyncio.wait_for(task, 20)


async def _ran(runs: list[float], times: int) -> bool:
    return len(runs) >= times
