"""RetrySchedule on a real Redis: scheduling, moving due entries, atomicity."""

from __future__ import annotations

import asyncio

from watchfloor.services.notifier.delivery import fan_out
from watchfloor.services.notifier.retry import RetrySchedule
from watchfloor.shared.schemas import Delivery
from watchfloor.shared.streams.codec import decode

from tests.unit.notifier.factories import make_alert, make_watchlist

NOW = 1_900_000_000.0


def deliveries(count: int) -> list[Delivery]:
    alerts = [make_alert(article_id=f"art-{i}") for i in range(count)]
    return fan_out(alerts, [make_watchlist()], now=NOW)


async def stream_deliveries(redis_client, keys) -> list[Delivery]:
    entries = await redis_client.xrange(keys.deliveries)
    return [decode(fields, Delivery) for _, fields in entries]


async def test_only_due_entries_move(redis_client, keys, settings) -> None:
    schedule = RetrySchedule(redis_client, keys, settings)
    early, late = deliveries(2)
    await schedule.schedule(early.model_copy(update={"attempt": 2}), NOW + 1)
    await schedule.schedule(late, NOW + 10)
    assert await schedule.pending_count() == 2
    assert await schedule.next_due_at() == NOW + 1

    assert await schedule.move_due(NOW, limit=10) == 0
    assert await schedule.move_due(NOW + 1, limit=10) == 1
    (moved,) = await stream_deliveries(redis_client, keys)
    assert moved.id == early.id and moved.attempt == 2
    assert await schedule.pending_count() == 1
    assert await redis_client.hexists(keys.retry_payloads, early.id) == 0


async def test_limit_bounds_one_move(redis_client, keys, settings) -> None:
    schedule = RetrySchedule(redis_client, keys, settings)
    for d in deliveries(5):
        await schedule.schedule(d, NOW)
    assert await schedule.move_due(NOW, limit=3) == 3
    assert await schedule.move_due(NOW, limit=3) == 2
    assert await schedule.pending_count() == 0


async def test_same_delivery_scheduled_twice_is_kept_once(redis_client, keys, settings) -> None:
    schedule = RetrySchedule(redis_client, keys, settings)
    (d,) = deliveries(1)
    await schedule.schedule(d, NOW + 5)
    await schedule.schedule(d.model_copy(update={"attempt": 3}), NOW + 2)
    assert await schedule.pending_count() == 1
    assert await schedule.move_due(NOW + 2, limit=10) == 1
    (moved,) = await stream_deliveries(redis_client, keys)
    assert moved.attempt == 3


async def test_only_if_absent_keeps_the_waiting_retry(redis_client, keys, settings) -> None:
    schedule = RetrySchedule(redis_client, keys, settings)
    (d,) = deliveries(1)
    await schedule.schedule(d.model_copy(update={"attempt": 2}), NOW + 5)
    assert await schedule.schedule(d, NOW + 1, only_if_absent=True) is False
    assert await schedule.next_due_at() == NOW + 5
    await schedule.move_due(NOW + 5, limit=10)
    (moved,) = await stream_deliveries(redis_client, keys)
    assert moved.attempt == 2


async def test_concurrent_movers_never_double_or_lose(redis_client, keys, settings) -> None:
    # Ten pollers race over 60 due retries: each must reach the stream exactly once.
    schedule = RetrySchedule(redis_client, keys, settings)
    batch = deliveries(60)
    for d in batch:
        await schedule.schedule(d, NOW)
    moved = await asyncio.gather(*(schedule.move_due(NOW, limit=7) for _ in range(10)))
    assert sum(moved) == 60
    in_stream = [d.id for d in await stream_deliveries(redis_client, keys)]
    assert sorted(in_stream) == sorted(d.id for d in batch)
    assert await schedule.pending_count() == 0
    assert await redis_client.hlen(keys.retry_payloads) == 0


async def test_orphan_id_without_payload_is_dropped(redis_client, keys, settings) -> None:
    schedule = RetrySchedule(redis_client, keys, settings)
    await redis_client.zadd(keys.retry_schedule, {"msg_orphan": NOW})
    assert await schedule.move_due(NOW, limit=10) == 0
    assert await schedule.pending_count() == 0
    assert await redis_client.xlen(keys.deliveries) == 0


async def test_the_mover_sleeps_until_the_next_retry_is_due_within_its_bounds(
    redis_client, keys, settings
) -> None:
    schedule = RetrySchedule(redis_client, keys, settings)
    bounds = {"shortest_s": 0.2, "longest_s": 1.0}
    assert await schedule.move_due_and_wait(NOW, **bounds) == 1.0  # nothing waits
    assert not schedule.queued.is_set()

    soon, later, due = deliveries(3)
    await schedule.schedule(later, NOW + 30)
    assert schedule.queued.is_set()  # the mover is told to look
    assert await schedule.move_due_and_wait(NOW, **bounds) == 1.0
    await schedule.schedule(soon, NOW + 0.5)
    assert await schedule.move_due_and_wait(NOW, **bounds) == 0.5
    await schedule.schedule(due, NOW - 1)
    assert await schedule.move_due_and_wait(NOW + 0.45, **bounds) == 0.2  # due ones moved first
    assert [d.id for d in await stream_deliveries(redis_client, keys)] == [due.id]
