"""DeliveryPipeline.process_batch on a real Redis and the real local webhook receiver."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio.client import Pipeline, Redis
from watchfloor.services.notifier import targets
from watchfloor.services.notifier.delivery import (
    MIN_LEASE_S,
    DeliveryOutcome,
    DeliveryPipeline,
    OutcomeKind,
    fan_out,
)
from watchfloor.services.notifier.policy import DeliveryResult, Verdict
from watchfloor.services.notifier.retry import RetrySchedule
from watchfloor.services.notifier.targets import make_http_client
from watchfloor.shared.schemas import Delivery

from tests.unit.notifier.factories import make_alert, make_secret, make_watchlist

SECRET = make_secret(5)


@pytest.fixture
async def client(settings) -> AsyncIterator:
    async with make_http_client(settings) as http:
        yield http


def batch_watchlist(receiver, paths: list[str]):
    targets = []
    for path in paths:
        receiver.secrets[path] = SECRET
        targets.append({"type": "webhook", "url": receiver.url(path), "secret": SECRET})
    return make_watchlist(targets=targets)


def alerts_for(count: int):
    return [make_alert(article_id=f"art-{i:03d}") for i in range(count)]


async def sending_keys(redis_client, keys) -> list[bytes]:
    return [k async for k in redis_client.scan_iter(match=keys.sending("*"))]


async def test_a_mixed_batch_gets_one_outcome_each_in_order(
    redis_client, keys, settings, receiver, client
) -> None:
    watchlist = batch_watchlist(receiver, ["/ok", "/gone", "/busy"])
    receiver.plan("/gone", [410])
    pipeline = DeliveryPipeline(
        redis_client, keys, settings, [watchlist], client, retry_jitter=0.0
    )
    ok, gone, busy = fan_out([make_alert()], [watchlist], now=time.time())
    done = fan_out([make_alert(article_id="art-done")], [watchlist], now=time.time())[0]
    unknown = ok.model_copy(update={"target_index": 9, "target_key": "0" * 16})
    await redis_client.set(keys.delivered(done.id), "1")
    await redis_client.set(keys.sending(busy.id), "other-copy", ex=30)
    retry = fan_out([make_alert(article_id="art-retry")], [watchlist], now=time.time())[0]
    receiver.plan("/ok", [200, 503])  # ok first, then the retry one (sends are concurrent)

    now = time.time()
    outcomes = await pipeline.process_batch([ok, gone, busy, done, unknown], now)

    assert [o.kind for o in outcomes] == [
        OutcomeKind.DELIVERED,
        OutcomeKind.FAILED,
        OutcomeKind.IN_PROGRESS,
        OutcomeKind.ALREADY_DELIVERED,
        OutcomeKind.FAILED,
    ]
    assert outcomes[1].reason == "permanent: http_410"
    assert outcomes[4].reason == "permanent: unknown_target"
    assert sorted(r.path for r in receiver.requests) == ["/gone", "/ok"]
    assert all(r.verified for r in receiver.requests)
    assert await redis_client.exists(keys.delivered(ok.id)) == 1
    assert await redis_client.exists(keys.delivered(gone.id)) == 0
    assert await redis_client.get(keys.sending(busy.id)) == b"other-copy"  # not ours to free
    assert await sending_keys(redis_client, keys) == [keys.sending(busy.id).encode()]
    assert await RetrySchedule(redis_client, keys, settings).pending_count() == 1  # the re-check
    metrics = await redis_client.hgetall(keys.metrics)
    assert metrics[b"delivered"] == b"1"
    assert metrics[b"delivery_failed"] == b"2"
    assert metrics[b"delivery_failed:http_410"] == b"1"
    assert metrics[b"delivery_failed:unknown_target"] == b"1"

    # A retry in a batch of its own is scheduled with its counters.
    (outcome,) = await pipeline.process_batch([retry], now)
    assert outcome == DeliveryOutcome(
        OutcomeKind.RETRY_SCHEDULED, "http_503", now + settings.retry_schedule_s[0]
    )
    assert (await redis_client.hgetall(keys.metrics))[b"delivery_retried:http_503"] == b"1"


async def test_a_batch_costs_two_redis_round_trips(
    redis_client, keys, settings, receiver, client, monkeypatch
) -> None:
    watchlist = batch_watchlist(receiver, ["/a", "/b"])
    deliveries = fan_out(alerts_for(10), [watchlist], now=time.time())
    pipeline = DeliveryPipeline(redis_client, keys, settings, [watchlist], client)
    round_trips: list[str] = []
    pipeline_execute, command = Pipeline.execute, Redis.execute_command

    async def counted_execute(self, *args, **kwargs):
        round_trips.append(f"pipeline({len(self.command_stack)})")
        return await pipeline_execute(self, *args, **kwargs)

    async def counted_command(self, *args, **kwargs):
        round_trips.append(str(args[0]))
        return await command(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "execute", counted_execute)
    monkeypatch.setattr(Redis, "execute_command", counted_command)
    outcomes = await pipeline.process_batch(deliveries, time.time())

    assert {o.kind for o in outcomes} == {OutcomeKind.DELIVERED}
    # 20 SET NX + 1 MGET; then 20 x (SET marker + XADD log) + 1 HINCRBY + 1 release
    assert round_trips == ["pipeline(21)", "pipeline(42)"]
    assert len(receiver.delivered()) == 20
    assert await sending_keys(redis_client, keys) == []
    assert (await redis_client.hget(keys.metrics, "delivered")) == b"20"
    assert await redis_client.xlen(keys.delivered_log) == 20


async def test_the_same_delivery_twice_in_a_batch_is_sent_once(
    redis_client, keys, settings, receiver, client
) -> None:
    watchlist = batch_watchlist(receiver, ["/hook"])
    pipeline = DeliveryPipeline(redis_client, keys, settings, [watchlist], client)
    delivery = fan_out([make_alert()], [watchlist], now=time.time())[0]

    first, second = await pipeline.process_batch([delivery, delivery], time.time())

    assert (first.kind, second.kind) == (OutcomeKind.DELIVERED, OutcomeKind.IN_PROGRESS)
    assert len(receiver.requests) == 1
    retries = RetrySchedule(redis_client, keys, settings)
    await retries.move_due(second.due_at, limit=10)
    # The re-check finds the marker and sends nothing.
    (recheck,) = [
        Delivery.model_validate_json(f[b"__data__"])
        for _, f in await redis_client.xrange(keys.deliveries)
    ]
    assert (await pipeline.process(recheck, time.time())).kind is OutcomeKind.ALREADY_DELIVERED
    assert len(receiver.requests) == 1


async def test_a_failing_sender_does_not_lose_the_other_outcomes(
    redis_client, keys, settings, receiver, client
) -> None:
    watchlist = batch_watchlist(receiver, ["/hook"])
    deliveries = fan_out(alerts_for(4), [watchlist], now=time.time())
    broken = deliveries[2].id

    async def send(delivery, target, http, now) -> DeliveryResult:
        if delivery.id == broken:
            raise RuntimeError("a bug in a sender")
        return await targets.send(delivery, target, http, now)

    pipeline = DeliveryPipeline(redis_client, keys, settings, [watchlist], client, send=send)
    with pytest.raises(RuntimeError, match="a bug in a sender"):
        await pipeline.process_batch(deliveries, time.time())

    # What was sent is marked delivered (a redelivered batch skips it); no lease is left.
    assert len(receiver.delivered()) == 3
    for delivery in deliveries:
        assert await redis_client.exists(keys.delivered(delivery.id)) == (delivery.id != broken)
    assert await sending_keys(redis_client, keys) == []
    outcomes = await pipeline.process_batch(deliveries[:2], time.time())
    assert {o.kind for o in outcomes} == {OutcomeKind.ALREADY_DELIVERED}


async def test_cancelled_batch_still_records_what_was_sent(
    redis_client, keys, settings, receiver, client
) -> None:
    watchlist = batch_watchlist(receiver, ["/hook"])
    fast, slow = fan_out(alerts_for(2), [watchlist], now=time.time())

    fast_answered = asyncio.Event()

    async def send(delivery, target, http, now) -> DeliveryResult:
        if delivery.id == slow.id:
            await asyncio.sleep(30)
        result = await targets.send(delivery, target, http, now)
        fast_answered.set()  # its outcome is queued before this task yields again
        return result

    pipeline = DeliveryPipeline(redis_client, keys, settings, [watchlist], client, send=send)
    task = asyncio.create_task(pipeline.process_batch([fast, slow], time.time()))
    await asyncio.wait_for(fast_answered.wait(), 20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await redis_client.exists(keys.delivered(fast.id)) == 1
    assert await redis_client.exists(keys.delivered(slow.id)) == 0
    assert await sending_keys(redis_client, keys) == []


async def test_sends_are_concurrent_but_limited(
    redis_client, keys, settings, receiver
) -> None:
    settings = settings.model_copy(update={"delivery_concurrency": 3})
    watchlist = batch_watchlist(receiver, ["/hook"])
    deliveries = fan_out(alerts_for(10), [watchlist], now=time.time())
    running, peak = 0, 0

    async def send(delivery, target, http, now) -> DeliveryResult:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.02)
        running -= 1
        return DeliveryResult(Verdict.DELIVERED, "http_200", 200)

    pipeline = DeliveryPipeline(redis_client, keys, settings, [watchlist], None, send=send)  # type: ignore[arg-type]
    outcomes = await pipeline.process_batch(deliveries, time.time())

    assert len(outcomes) == 10 and peak == 3
    # The lease outlives every wave of sends (4 waves of 3 here).
    assert pipeline.lease_seconds(1) == MIN_LEASE_S
    timeout = settings.webhook_timeout_s
    assert pipeline.lease_seconds(10) >= max(MIN_LEASE_S, 4 * timeout + 2 * timeout)


async def test_an_empty_batch_does_nothing(redis_client, keys, settings, client) -> None:
    pipeline = DeliveryPipeline(redis_client, keys, settings, [], client)
    assert await pipeline.process_batch([], time.time()) == []
