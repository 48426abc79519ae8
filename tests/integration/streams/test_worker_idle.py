"""An idle worker sleeps: its event loop wakes a few times a second at most.

Each wake-up of an idle process costs CPU (0.5-1 ms on the 2-core VM), and
FastStream's exit check and uvicorn's own loop each woke ten times a second.
"""

from __future__ import annotations

import asyncio

import pytest
from watchfloor.shared.streams.worker import WorkerParts, create_worker_app

from tests.integration.helpers import running

pytestmark = pytest.mark.integration

IDLE_S = 3.0


async def test_an_idle_worker_with_a_health_server_wakes_a_few_times_a_second(settings) -> None:
    quiet = settings.model_copy(update={"health_port": 0, "maintenance_interval_s": 5.0,
                                        "poll_interval_ms": 1000})
    app = create_worker_app(quiet, [lambda runtime: WorkerParts(name="idle")])
    async with running(app):
        assert app.health is not None and app.health.url  # its server is up
        selector = asyncio.get_running_loop()._selector  # type: ignore[attr-defined]
        wakeups = 0
        select = selector.select

        def counting_select(timeout=None):
            nonlocal wakeups
            if timeout is None or timeout > 0:  # a real wait, not a poll between callbacks
                wakeups += 1
            return select(timeout)

        selector.select = counting_select
        try:
            await asyncio.sleep(IDLE_S)
        finally:
            selector.select = select
    # FastStream's 0.1 s exit check and uvicorn's 0.1 s tick made it 60
    assert wakeups <= 4 * IDLE_S, f"{wakeups} wake-ups in {IDLE_S} s"
