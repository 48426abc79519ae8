"""DeliveryPipeline batches on a real Redis and the real local webhook receiver:
one outcome each, few round trips, per-target limits, entries acknowledged
with their outcomes, and a slow target kept out of the others' way."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio.client import Pipeline, Redis
from redis.asyncio.cluster import ClusterPipeline, RedisCluster
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
from watchfloor.shared.streams.codec import encode

from tests.unit.notifier.factories import make_alert, make_secret, make_watchlist

SECRET = make_secret(5)
GROUP = "delivery"


@pytest.fixture
async def client(settings) -> AsyncIterator:
    async with make_http_client(settings) as http:
        yield http


def batch_watchlist(receiver, paths: list[str], wid: str = "wl-test"):
    targets = []
    for path in paths:
        receiver.secrets[path] = SECRET
        targets.append({"type": "webhook", "url": receiver.url(path), "secret": SECRET})
    return make_watchlist(wid, targets=targets)


def alerts_for(count: int, watchlist_id: str = "wl-test"):
    alerts = [make_alert(article_id=f"art-{i:03d}") for i in range(count)]
    if watchlist_id == "wl-test":
        return alerts
    return [a.model_copy(update={"watchlist_id": watchlist_id, "id": f"{watchlist_id}-{a.id}"})
            for a in alerts]


async def sending_keys(redis_client, keys) -> list[bytes]:
    return [k async for k in redis_client.scan_iter(match=keys.sending("*"))]


def delivered_now(delivery, target, http, now) -> DeliveryResult:
    return DeliveryResult(Verdict.DELIVERED, "http_200", 200)


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
    removed = ok.model_copy(update={"target_name": "no-such-target"})
    await redis_client.set(keys.delivered(done.id), "1")
    await redis_client.set(keys.sending(busy.id), "other-copy", ex=30)
    retry = fan_out([make_alert(article_id="art-retry")], [watchlist], now=time.time())[0]

    outcomes = await pipeline.process_batch([ok, gone, busy, done, removed], time.time())

    assert [o.kind for o in outcomes] == [
        OutcomeKind.DELIVERED,
        OutcomeKind.FAILED,
        OutcomeKind.IN_PROGRESS,
        OutcomeKind.ALREADY_DELIVERED,
        OutcomeKind.FAILED,
    ]
    assert outcomes[1].reason == "permanent: http_410"
    assert outcomes[4].reason == "permanent: target_removed"
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
    assert metrics[b"delivery_failed:target_removed"] == b"1"

    # A retry is scheduled from when its answer came, with its counters.
    receiver.plan("/ok", [503])
    before = time.time()
    (outcome,) = await pipeline.process_batch([retry], before)
    assert outcome.kind is OutcomeKind.RETRY_SCHEDULED and outcome.reason == "http_503"
    assert before + settings.retry_schedule_s[0] <= outcome.due_at <= time.time() + 1
    assert (await redis_client.hgetall(keys.metrics))[b"delivery_retried:http_503"] == b"1"


async def test_a_batch_costs_one_claim_and_its_outcomes_are_written_together(
    redis_client, keys, settings, receiver, monkeypatch
) -> None:
    watchlist = batch_watchlist(receiver, ["/a", "/b"])
    deliveries = fan_out(alerts_for(10), [watchlist], now=time.time())
    release = asyncio.Event()

    async def send(delivery, target, http, now) -> DeliveryResult:
        await release.wait()  # every answer comes in at once
        return delivered_now(delivery, target, http, now)

    pipeline = DeliveryPipeline(redis_client, keys, settings, [watchlist], None, send=send)  # type: ignore[arg-type]
    round_trips: list[str] = []
    on_cluster = isinstance(redis_client, RedisCluster)
    pipeline_class = ClusterPipeline if on_cluster else Pipeline
    client_class = RedisCluster if on_cluster else Redis
    pipeline_execute, command = pipeline_class.execute, client_class.execute_command

    async def counted_execute(self, *args, **kwargs):
        round_trips.append(f"pipeline({len(self)})")
        return await pipeline_execute(self, *args, **kwargs)

    async def counted_command(self, *args, **kwargs):
        round_trips.append(str(args[0]))
        return await command(self, *args, **kwargs)

    monkeypatch.setattr(pipeline_class, "execute", counted_execute)
    monkeypatch.setattr(client_class, "execute_command", counted_command)
    # on a cluster a write is confirmed by a replica: a probe SET and WAIT after it
    confirm = ["pipeline(2)"] if settings.resolved_wait_replicas else []
    futures = await pipeline.submit(deliveries, time.time())
    assert round_trips == ["pipeline(21)", *confirm]  # 20 SET NX + 1 MGET; the sends run on
    release.set()
    outcomes = await asyncio.gather(*futures)

    assert {o.kind for o in outcomes} == {OutcomeKind.DELIVERED}
    # 20 x (SET marker + XADD log) + 1 HINCRBY + 1 release (and the XACKs, given entry ids)
    assert round_trips == ["pipeline(21)", *confirm, "pipeline(42)", *confirm]
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
    # The re-check the copy scheduled finds the marker and sends nothing.
    retries = RetrySchedule(redis_client, keys, settings)
    assert await retries.move_due(second.due_at, limit=10) == 1
    ((_, fields),) = await redis_client.xrange(keys.deliveries)
    recheck = Delivery.model_validate_json(fields[b"__data__"])
    assert (await pipeline.process(recheck, time.time())).kind is OutcomeKind.ALREADY_DELIVERED
    assert len(receiver.requests) == 1


async def test_a_failing_sender_is_retried_and_does_not_lose_the_other_outcomes(
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
    outcomes = await pipeline.process_batch(deliveries, time.time())

    assert [o.kind for o in outcomes] == [OutcomeKind.DELIVERED] * 2 + [
        OutcomeKind.RETRY_SCHEDULED, OutcomeKind.DELIVERED]
    assert outcomes[2].reason == "internal_error"
    assert len(receiver.delivered()) == 3
    assert await sending_keys(redis_client, keys) == []
    assert await redis_client.hexists(keys.retry_payloads, broken)


async def test_sends_are_concurrent_but_limited_per_target_and_in_all(
    redis_client, keys, settings, receiver
) -> None:
    settings = settings.model_copy(
        update={"delivery_concurrency": 3, "delivery_target_concurrency": 2})
    one = batch_watchlist(receiver, ["/a"], "wl-one")
    two = batch_watchlist(receiver, ["/b"], "wl-two")
    deliveries = fan_out(alerts_for(6, "wl-one") + alerts_for(6, "wl-two"), [one, two],
                         now=time.time())
    running: dict[str, int] = {"wl-one": 0, "wl-two": 0}
    peak: dict[str, int] = {"wl-one": 0, "wl-two": 0, "all": 0}

    async def send(delivery, target, http, now) -> DeliveryResult:
        wid = delivery.alert.watchlist_id
        running[wid] += 1
        peak[wid] = max(peak[wid], running[wid])
        peak["all"] = max(peak["all"], sum(running.values()))
        await asyncio.sleep(0.02)
        running[wid] -= 1
        return delivered_now(delivery, target, http, now)

    pipeline = DeliveryPipeline(redis_client, keys, settings, [one, two], None, send=send)  # type: ignore[arg-type]
    outcomes = await pipeline.process_batch(deliveries, time.time())

    assert [o.kind for o in outcomes] == [OutcomeKind.DELIVERED] * 12
    assert peak == {"wl-one": 2, "wl-two": 2, "all": 3}
    # The lease outlives the waves of a full lane, one attempt and recording.
    assert pipeline.lease_seconds() >= MIN_LEASE_S
    assert pipeline.lease_seconds() >= (4 + 1) * settings.webhook_timeout_s


async def test_a_hanging_target_does_not_hold_up_the_batch_nor_the_other_target(
    redis_client, keys, settings, receiver
) -> None:
    settings = settings.model_copy(update={"delivery_target_concurrency": 2})
    slow = batch_watchlist(receiver, ["/slow"], "wl-slow")
    fast = batch_watchlist(receiver, ["/fast"], "wl-fast")
    stuck = asyncio.Event()

    async def send(delivery, target, http, now) -> DeliveryResult:
        if delivery.alert.watchlist_id == "wl-slow":
            await stuck.wait()  # never answers (until the test lets it)
        return delivered_now(delivery, target, http, now)

    pipeline = DeliveryPipeline(redis_client, keys, settings, [slow, fast], None, send=send)  # type: ignore[arg-type]
    slow_ones = fan_out(alerts_for(3, "wl-slow"), [slow], now=time.time())
    pending = await asyncio.wait_for(pipeline.submit(slow_ones, time.time()), 5)
    fast_ones = fan_out(alerts_for(3, "wl-fast"), [fast], now=time.time())

    done = await asyncio.wait_for(pipeline.process_batch(fast_ones, time.time()), 5)

    assert [o.kind for o in done] == [OutcomeKind.DELIVERED] * 3
    assert not any(f.done() for f in pending)  # still in flight, in their own lane
    stuck.set()
    assert [o.kind for o in await asyncio.gather(*pending)] == [OutcomeKind.DELIVERED] * 3


async def test_a_burst_to_a_target_that_answers_waits_for_room_and_parks_nothing(
    redis_client, keys, settings, receiver, client
) -> None:
    settings = settings.model_copy(update={"delivery_target_concurrency": 1})
    watchlist = batch_watchlist(receiver, ["/hook"])
    pipeline = DeliveryPipeline(redis_client, keys, settings, [watchlist], client)
    deliveries = fan_out(alerts_for(3 * pipeline.lanes.capacity), [watchlist], now=time.time())

    outcomes = await pipeline.process_batch(deliveries, time.time())

    assert {o.kind for o in outcomes} == {OutcomeKind.DELIVERED}
    assert len(receiver.delivered("/hook")) == len(deliveries)
    assert await redis_client.hget(keys.metrics, "delivery_parked") is None


async def test_a_full_lane_of_a_slow_target_parks_the_rest_in_the_schedule(
    redis_client, keys, settings, receiver
) -> None:
    # A send in flight for half the HTTP timeout marks the target slow.
    settings = settings.model_copy(
        update={"delivery_target_concurrency": 1, "webhook_timeout_s": 0.4})
    watchlist = batch_watchlist(receiver, ["/slow"])
    stuck = asyncio.Event()

    async def send(delivery, target, http, now) -> DeliveryResult:
        await stuck.wait()
        return delivered_now(delivery, target, http, now)

    pipeline = DeliveryPipeline(redis_client, keys, settings, [watchlist], None, send=send)  # type: ignore[arg-type]
    capacity = pipeline.lanes.capacity  # 4 waves of 1
    deliveries = fan_out(alerts_for(capacity + 2), [watchlist], now=time.time())
    futures = await pipeline.submit(deliveries, time.time())  # waits until the lane is slow
    now = time.time()

    parked = [f.result() for f in futures if f.done()]
    assert [o.kind for o in parked] == [OutcomeKind.PARKED] * 2
    # the more a lane turns away in a row, the later they come back
    timeout = settings.webhook_timeout_s
    assert now + 2 * timeout * 0.8 <= parked[0].due_at <= now + 2 * timeout * 1.1
    assert now + 3 * timeout * 0.8 <= parked[1].due_at <= now + 3 * timeout * 1.1
    waiting = await redis_client.hgetall(keys.retry_payloads)
    assert {Delivery.model_validate_json(p).attempt for p in waiting.values()} == {1}
    assert await redis_client.hget(keys.metrics, "delivery_parked") == b"2"
    stuck.set()
    await asyncio.gather(*futures)


async def test_entries_are_acknowledged_each_with_its_outcome(
    redis_client, keys, settings, receiver
) -> None:
    watchlist = batch_watchlist(receiver, ["/a", "/b"])
    a, b = fan_out([make_alert()], [watchlist], now=time.time())
    for delivery in (a, b):
        await redis_client.xadd(keys.deliveries, encode(delivery))
    await redis_client.xgroup_create(keys.deliveries, GROUP, id="0")
    ((_, entries),) = await redis_client.xreadgroup(GROUP, "me", {keys.deliveries: ">"})
    held = asyncio.Event()

    async def send(delivery, target, http, now) -> DeliveryResult:
        if delivery.id == b.id:
            await held.wait()
        return delivered_now(delivery, target, http, now)

    pipeline = DeliveryPipeline(redis_client, keys, settings, [watchlist], None, send=send,  # type: ignore[arg-type]
                                acks=(keys.deliveries, GROUP))
    first, second = await pipeline.submit([a, b], time.time(), [e.decode() for e, _ in entries])

    assert await first == DeliveryOutcome(OutcomeKind.DELIVERED, "http_200")
    pending = await redis_client.xpending_range(keys.deliveries, GROUP, "-", "+", 10)
    assert [p["message_id"] for p in pending] == [entries[1][0]]  # b: not recorded yet
    held.set()
    await second
    assert (await redis_client.xpending(keys.deliveries, GROUP))["pending"] == 0


async def test_close_lets_sends_finish_and_hands_back_the_rest(
    redis_client, keys, settings, receiver
) -> None:
    settings = settings.model_copy(update={"delivery_target_concurrency": 1})
    watchlist = batch_watchlist(receiver, ["/hook"])
    first, second = fan_out(alerts_for(2), [watchlist], now=time.time())
    started = asyncio.Event()

    async def send(delivery, target, http, now) -> DeliveryResult:
        started.set()
        await asyncio.sleep(0.2)
        return delivered_now(delivery, target, http, now)

    pipeline = DeliveryPipeline(redis_client, keys, settings, [watchlist], None, send=send)  # type: ignore[arg-type]
    futures = await pipeline.submit([first, second], time.time())
    await started.wait()
    await pipeline.close()

    assert [f.result().kind for f in futures] == [OutcomeKind.DELIVERED, OutcomeKind.HANDED_BACK]
    assert await redis_client.exists(keys.delivered(first.id)) == 1
    assert await redis_client.hexists(keys.retry_payloads, second.id)  # due at once
    assert await sending_keys(redis_client, keys) == []
    with pytest.raises(RuntimeError, match="closed"):
        await pipeline.submit([second], time.time())


async def test_an_empty_batch_does_nothing(redis_client, keys, settings, client) -> None:
    pipeline = DeliveryPipeline(redis_client, keys, settings, [], client)
    assert await pipeline.process_batch([], time.time()) == []
