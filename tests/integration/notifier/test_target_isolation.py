"""One hanging receiver must not slow another target's deliveries.

A running notifier worker delivers a steady stream of alerts to two
watchlists, each with its own real local receiver. The same run is made
twice: with both receivers healthy, then with one that never answers (the
notifier's HTTP timeout ends each attempt). The healthy target's delivery
latency (receipt time minus the delivery's creation) is measured in both
runs; its p99 with a hanging neighbour must stay within 2x its no-fault p99
(or under an absolute floor well below one HTTP timeout, so a fast machine's
millisecond figures do not make the ratio flaky). Then the hanging receiver
recovers, and every delivery of both targets arrives exactly once by
``webhook-id``: nothing lost, nothing twice.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from watchfloor.services.notifier.app import notifier_parts
from watchfloor.services.notifier.delivery import fan_out
from watchfloor.services.receiver import WebhookReceiver
from watchfloor.shared.keys import Keys
from watchfloor.shared.schemas import Alert
from watchfloor.shared.streams.publish import publish
from watchfloor.shared.streams.worker import create_worker_app

from tests.integration.helpers import running
from tests.unit.notifier.factories import make_alert, make_secret, make_watchlist

pytestmark = [pytest.mark.integration]

ALERTS = 200  # for the healthy watchlist, per run; half as many for its neighbour
RATE = 100  # the healthy watchlist's alerts per second
TIMEOUT_S = 1.0  # the notifier's HTTP timeout: a hanging attempt ends after it
# Half a timeout: a healthy delivery that waited behind a hanging attempt
# (as every batch did before lanes) takes longer than a whole timeout.
P99_FLOOR_S = 0.5
SECRET = make_secret(21)


@dataclass
class HangingReceiver:
    """A loopback HTTP server that reads each request and never answers it
    (the connection is dropped well after the client gave up) until
    ``recover()``; from then on it answers 200 and records the webhook-id."""

    hanging: bool = True
    answered: list[str] = field(default_factory=list)
    hung: int = 0
    _released: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> HangingReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                self.rfile.read(int(self.headers.get("content-length") or 0))
                if receiver.hanging:
                    with receiver._lock:
                        receiver.hung += 1
                    receiver._released.wait(10 * TIMEOUT_S)
                    self.close_connection = True  # no answer, ever, to this request
                    return
                with receiver._lock:
                    receiver.answered.append(self.headers["webhook-id"])
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def url(self, path: str) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def recover(self) -> None:
        self.hanging = False
        self._released.set()

    def answered_ids(self) -> list[str]:
        with self._lock:
            return list(self.answered)

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def alert(watchlist_id: str, run: str, i: int) -> Alert:
    return make_alert(article_id=f"{run}-{i:04d}").model_copy(
        update={"watchlist_id": watchlist_id, "id": f"al_{watchlist_id}_{run}_{i:04d}"})


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


@dataclass
class Run:
    latencies: list[float]  # the healthy target's, seconds
    other_ids: set[str]  # the other target's delivery ids


async def paced_run(settings, healthy: WebhookReceiver, other_url: str, run: str) -> Run:
    """Start a notifier, publish the alerts' deliveries at RATE, and return the
    healthy target's latencies once all of its deliveries arrived."""
    keys = Keys.for_settings(settings)
    watched = make_watchlist("healthy", targets=[
        {"type": "webhook", "url": healthy.url(f"/{run}"), "secret": SECRET}])
    neighbour = make_watchlist("neighbour", targets=[
        {"type": "webhook", "url": other_url, "secret": SECRET}])
    healthy.secrets[f"/{run}"] = SECRET
    app = create_worker_app(settings, [lambda rt: notifier_parts(rt, [watched, neighbour])])
    created: dict[str, float] = {}
    other_ids: set[str] = set()
    async with running(app):
        redis = app.runtime.redis
        for i in range(ALERTS):
            now = time.time()
            (mine,) = fan_out([alert("healthy", run, i)], [watched], now=now)
            created[mine.id] = now
            theirs = fan_out([alert("neighbour", run, i)], [neighbour], now=now) if i % 2 else []
            other_ids.update(d.id for d in theirs)
            await publish(redis, keys.deliveries, [mine, *theirs])
            await asyncio.sleep(1 / RATE)
        arrived = await asyncio.to_thread(healthy.wait_for, ALERTS, 30.0, f"/{run}")
        assert arrived, f"{len(healthy.delivered(f'/{run}'))}/{ALERTS} delivered in run {run}"
    got = healthy.delivered(f"/{run}")
    ids = [r.headers["webhook-id"] for r in got]
    assert sorted(ids) == sorted(created), "each healthy delivery arrives exactly once"
    assert all(r.verified for r in got)
    return Run([r.received_at - created[r.headers["webhook-id"]] for r in got], other_ids)


async def test_a_hanging_target_does_not_slow_a_healthy_one_and_nothing_is_lost(
    settings, receiver
) -> None:
    base = settings.model_copy(update={
        "webhook_timeout_s": TIMEOUT_S,
        "retry_schedule_s": [1.0] * 40,  # nothing is given up during the test
    })
    calm = HangingReceiver(hanging=False).start()
    hang = HangingReceiver(hanging=True).start()
    try:
        no_fault = await paced_run(
            base.model_copy(update={"key_prefix": f"{settings.key_prefix}:calm"}),
            receiver, calm.url("/calm"), "calm")
        fault_settings = base.model_copy(update={"key_prefix": f"{settings.key_prefix}:hang"})
        fault = await paced_run(fault_settings, receiver, hang.url("/hang"), "hang")
        assert hang.hung > 0, "the neighbour never hung: the test proves nothing"

        calm_p99, hang_p99 = p99(no_fault.latencies), p99(fault.latencies)
        print(f"\nhealthy target latency, {ALERTS} deliveries at {RATE}/s, HTTP timeout {TIMEOUT_S}s "
              f"(p50/p99, s): no fault {statistics.median(no_fault.latencies):.4f}/"
              f"{calm_p99:.4f}; neighbour hanging {statistics.median(fault.latencies):.4f}/"
              f"{hang_p99:.4f}; neighbour requests left hanging: {hang.hung}")
        assert hang_p99 <= max(2 * calm_p99, P99_FLOOR_S), (calm_p99, hang_p99)

        # The neighbour recovers: its deliveries (retried or parked meanwhile)
        # all arrive, each once.
        hang.recover()
        app = create_worker_app(fault_settings, [lambda rt: notifier_parts(rt, [
            make_watchlist("neighbour", targets=[
                {"type": "webhook", "url": hang.url("/hang"), "secret": SECRET}])])])
        async with running(app):
            deadline = time.monotonic() + 60
            while len(set(hang.answered_ids())) < len(fault.other_ids) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)  # room for a duplicate to show up
            redis, keys = app.runtime.redis, Keys.for_settings(fault_settings)
            assert await redis.xlen(keys.failed_deliveries) == 0
            assert await redis.xlen(keys.dead_letters) == 0
        answered = hang.answered_ids()
        assert set(answered) == fault.other_ids, f"{len(set(answered))} recovered"
        assert len(answered) == len(set(answered)), "a webhook-id was answered twice"
        assert sorted(set(calm.answered_ids())) == sorted(no_fault.other_ids)
    finally:
        calm.stop()
        hang.stop()
