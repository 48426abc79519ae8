"""Helpers for integration tests: run a worker app in the test's event loop."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from watchfloor.services.bench.worker_proc import WorkerProcess
from watchfloor.services.receiver import WebhookReceiver
from watchfloor.services.receiver.server import ReceivedRequest
from watchfloor.shared.streams.worker import WorkerApp


@contextlib.asynccontextmanager
async def running(app: WorkerApp) -> AsyncIterator[WorkerApp]:
    task = asyncio.create_task(app.run())
    try:
        await wait_until(lambda: _started(app), timeout=10, what="worker start")
        yield app
    finally:
        # stop_now, not exit: exit() while a subscriber is down (a group just
        # lost) means "recover", and the app would run on.
        app.stop_now()
        await asyncio.wait_for(task, 20)


async def _started(app: WorkerApp) -> bool:
    return bool(app._tasks)


async def wait_until(
    check: Callable[[], Awaitable[bool]], *, timeout: float = 10.0, what: str = "condition",
    interval: float = 0.05,
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


MISSILES_WATCHLIST = """
watchlists:
  - id: missiles
    name: Every missile test
    match: {tags_any: [missile_test], min_confidence: 0.5}
    targets:
      - {type: webhook, url: "${RECEIVER}/missiles", secret: "%s"}
"""


def missiles_watchlist(path: Path, receiver: WebhookReceiver) -> None:
    """Write the one-watchlist file with a secret of this test's own: on a
    machine where other suites run, a port reused by our receiver may still
    get their webhooks, which then fail verification and are left out
    (``verified_missiles``)."""
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    path.write_text(MISSILES_WATCHLIST % secret)
    receiver.secrets = {"/missiles": secret}


def verified_missiles(receiver: WebhookReceiver) -> list[ReceivedRequest]:
    """The webhooks on /missiles signed with this test's secret."""
    return [r for r in receiver.delivered("/missiles") if r.verified]
PLACES = ["Kalvia", "Orlen", "Tessaly", "Marvik", "Dunhold", "Pellor", "Sarnath", "Quorra",
          "Vintmoor", "Zell", "Abrin", "Hestle"]


def invented_missile_article(n: int) -> dict[str, str]:
    """Invented articles, one distinct story each."""
    place = PLACES[n % len(PLACES)]
    return {
        "title": f"{place} test-fires ballistic missile, report {n}",
        "text": f"{place} test-fired a short-range ballistic missile on day {n}, "
                f"its defence ministry said in statement number {n * 7 + 3}.",
        "url": f"https://news.example.org/partitions/{n}",
    }


async def sigterm_timed(process: WorkerProcess, wait_s: float) -> tuple[int | None, float]:
    """SIGTERM a worker process: (its exit code, seconds it took to exit)."""
    started = time.monotonic()
    code = await asyncio.to_thread(process.stop, wait_s)
    return code, time.monotonic() - started
