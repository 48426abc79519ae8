"""A target that fails every attempt for a day is paused; its alerts wait for the resume.

The real delivery pipeline, a real Redis and the local receiver; the day
passes on the pipeline's clocks, not in real time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
from watchfloor.services.cli.main import main
from watchfloor.services.notifier.delivery import DeliveryPipeline, OutcomeKind, fan_out
from watchfloor.services.notifier.target_pauses import paused_targets, resume_target
from watchfloor.services.notifier.targets import make_http_client
from watchfloor.shared.errors import InvalidInput
from watchfloor.shared.schemas import Delivery
from watchfloor.shared.streams.codec import decode
from watchfloor.shared.streams.metrics import render_metrics
from watchfloor.shared.streams.status import pipeline_status

from tests.integration.notifier.test_delivery import watchlist_for
from tests.unit.notifier.factories import make_alert

pytestmark = pytest.mark.integration

DAY = 24 * 3600.0


class Clocks:
    """Wall and monotonic time for the pipeline, moved by the test."""

    def __init__(self) -> None:
        self.now = time.time()
        self.mono = 1_000.0

    def wall(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.mono += seconds


@pytest.fixture
async def http(settings) -> AsyncIterator:
    async with make_http_client(settings) as client:
        yield client


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


def delivery_n(watchlist, n: int) -> Delivery:
    (delivery,) = fan_out([make_alert(article_id=f"art-{n:03d}")], [watchlist], now=time.time())
    return delivery


async def fail_for_a_day(pipe: DeliveryPipeline, watchlist, receiver, clocks: Clocks) -> None:
    """Failed attempts over a day, as many as a delivery's retry schedule
    makes (three with the tests' two retries): the target is paused, and the
    pipeline has seen it (its periodic re-read)."""
    receiver.plan("/hook", [503, 503, 503])
    await pipe.process(delivery_n(watchlist, 1), clocks.now)
    clocks.advance(DAY)
    await pipe.process(delivery_n(watchlist, 2), clocks.now)
    await pipe.process(delivery_n(watchlist, 90), clocks.now)
    await pipe.refresh_paused()


def pipeline(redis_client, keys, settings, watchlist, http, clocks) -> DeliveryPipeline:
    return DeliveryPipeline(redis_client, keys, settings, [watchlist], http, retry_jitter=0.0,
                            clock=clocks.wall, monotonic=clocks.monotonic)


async def test_a_day_of_failures_pauses_the_target_and_its_alerts_wait_for_the_resume(
        redis_client, keys, settings, receiver, http, clocks):
    watchlist = watchlist_for(receiver)
    receiver.plan("/hook", [503, 503])
    pipe = pipeline(redis_client, keys, settings, watchlist, http, clocks)

    first = await pipe.process(delivery_n(watchlist, 1), clocks.now)
    clocks.advance(DAY - 60)
    almost = await pipe.process(delivery_n(watchlist, 2), clocks.now)
    assert (first.kind, almost.kind) == (OutcomeKind.RETRY_SCHEDULED,) * 2
    assert await paused_targets(redis_client, keys) == []  # 23 h 59 min: not yet

    clocks.advance(120)  # the run of failures is now a day old: this failure pauses
    receiver.plan("/hook", [503])
    await pipe.process(delivery_n(watchlist, 3), clocks.now)
    (paused,) = await paused_targets(redis_client, keys)
    assert (paused.watchlist_id, paused.target, paused.held) == (watchlist.id, "webhook-1", 0)
    assert paused.pause.reason == "http_503"
    assert paused.failing_since.timestamp() == pytest.approx(clocks.now - DAY - 60, abs=1)
    metrics = render_metrics(await pipeline_status(redis_client, keys)).decode()
    assert "\nwatchfloor_targets_paused 1.0\n" in metrics  # operators can alert on it

    await pipe.refresh_paused()  # the notifier's periodic job
    held = [delivery_n(watchlist, n) for n in (4, 5)]
    outcomes = await pipe.process_batch(held + held[:1], clocks.now)  # one twice: held once
    assert [o.kind for o in outcomes] == [OutcomeKind.HELD] * 3
    assert len(receiver.requests) == 3  # nothing sent to the paused target
    (paused,) = await paused_targets(redis_client, keys)
    assert paused.held == 2
    assert (await redis_client.hgetall(keys.metrics))[b"delivery_held"] == b"2"  # held once each

    moved = await resume_target(redis_client, keys, watchlist.id, "webhook-1")
    assert moved == 2
    assert await paused_targets(redis_client, keys) == []
    again = [decode(f, Delivery) for _, f in await redis_client.xrange(keys.deliveries)]
    assert sorted(d.id for d in again) == sorted(d.id for d in held)

    await pipe.refresh_paused()
    outcomes = await pipe.process_batch(again, clocks.now)
    assert [o.kind for o in outcomes] == [OutcomeKind.DELIVERED] * 2
    assert {r.headers["webhook-id"] for r in receiver.delivered("/hook")} == {d.id for d in held}


async def test_a_delivery_held_just_after_a_resume_is_not_stranded(
        redis_client, keys, settings, receiver, http, clocks):
    watchlist = watchlist_for(receiver)
    pipe = pipeline(redis_client, keys, settings, watchlist, http, clocks)
    await fail_for_a_day(pipe, watchlist, receiver, clocks)
    await resume_target(redis_client, keys, watchlist.id, "webhook-1")

    late = delivery_n(watchlist, 3)  # this notifier has not yet seen the resume
    await pipe.process(late, clocks.now)

    assert await redis_client.hlen(keys.held_deliveries(f"{watchlist.id}/webhook-1")) == 0
    # due at once instead, as a retry of the same attempt
    assert await redis_client.zscore(keys.retry_schedule, late.id) == pytest.approx(clocks.now)
    stored = Delivery.model_validate_json(await redis_client.hget(keys.retry_payloads, late.id))
    assert stored.attempt == late.attempt == 1


async def test_two_failures_a_day_apart_do_not_pause_a_target(
        redis_client, keys, settings, receiver, http, clocks):
    # a rarely alerting watchlist: one error long ago, one blip during a
    # receiver's deploy now; it was paused, its next alerts held
    watchlist = watchlist_for(receiver)
    pipe = pipeline(redis_client, keys, settings, watchlist, http, clocks)
    receiver.plan("/hook", [400, 503])
    await pipe.process(delivery_n(watchlist, 1), clocks.now)
    clocks.advance(DAY + 60)
    await pipe.process(delivery_n(watchlist, 2), clocks.now)
    assert await paused_targets(redis_client, keys) == []
    assert (await pipe.process(delivery_n(watchlist, 3), clocks.now)).kind is OutcomeKind.DELIVERED


async def test_a_success_ends_the_run_of_failures(
        redis_client, keys, settings, receiver, http, clocks):
    watchlist = watchlist_for(receiver)
    pipe = pipeline(redis_client, keys, settings, watchlist, http, clocks)
    receiver.plan("/hook", [503])
    await pipe.process(delivery_n(watchlist, 1), clocks.now)
    clocks.advance(DAY / 2)
    assert (await pipe.process(delivery_n(watchlist, 2), clocks.now)).kind is OutcomeKind.DELIVERED
    clocks.advance(DAY / 2 + 60)
    receiver.plan("/hook", [503])
    await pipe.process(delivery_n(watchlist, 3), clocks.now)  # a day after the first failure

    assert await paused_targets(redis_client, keys) == []


async def test_pausing_can_be_switched_off(
        redis_client, keys, settings, receiver, http, clocks):
    settings = settings.model_copy(update={"target_pause_after_s": 0})
    watchlist = watchlist_for(receiver)
    pipe = pipeline(redis_client, keys, settings, watchlist, http, clocks)
    receiver.plan("/hook", [503, 503])
    await pipe.process(delivery_n(watchlist, 1), clocks.now)
    clocks.advance(7 * DAY)
    await pipe.process(delivery_n(watchlist, 2), clocks.now)

    assert await paused_targets(redis_client, keys) == []


async def test_resuming_a_target_that_is_not_paused_says_so(redis_client, keys):
    with pytest.raises(InvalidInput, match="'webhook-1' of watchlist 'wl-test' is not paused"):
        await resume_target(redis_client, keys, "wl-test", "webhook-1")


async def run(settings, *args: str) -> int:
    """The command runs its own event loop: off this test's loop."""
    cli = ["--redis-url", settings.resolved_redis_url, "--prefix", settings.key_prefix]
    return await asyncio.to_thread(main, ["targets", *args, *cli])


async def run_status(settings) -> int:
    cli = ["--redis-url", settings.resolved_redis_url, "--prefix", settings.key_prefix]
    return await asyncio.to_thread(main, ["status", *cli])


async def test_the_cli_lists_paused_targets_in_status_and_resumes_them(
        redis_client, keys, settings, receiver, http, clocks, capsys):
    watchlist = watchlist_for(receiver)
    pipe = pipeline(redis_client, keys, settings, watchlist, http, clocks)
    await fail_for_a_day(pipe, watchlist, receiver, clocks)
    assert (await pipe.process(delivery_n(watchlist, 3), clocks.now)).kind is OutcomeKind.HELD
    capsys.readouterr()

    assert await run(settings, "paused", "--json") == 0
    (listed,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert await run_status(settings) == 0
    status = capsys.readouterr().out
    assert await run(settings, "resume", watchlist.id, "webhook-1") == 0
    resumed = capsys.readouterr().out
    assert await run(settings, "resume", watchlist.id, "webhook-1") == 2
    refused = capsys.readouterr().err
    assert await run(settings, "paused") == 0
    after = capsys.readouterr().out

    assert listed["watchlist_id"] == watchlist.id and listed["target"] == "webhook-1"
    assert listed["held_deliveries"] == 1 and listed["last_reason"] == "http_503"
    assert f"PAUSED target {watchlist.id} webhook-1" in status
    assert "1 deliveries held" in status and "watchfloor targets resume" in status
    assert resumed.strip() == f"resumed {watchlist.id} webhook-1: 1 held deliveries sent again"
    assert "is not paused" in refused and "Traceback" not in refused
    assert after.strip() == "no target is paused"
