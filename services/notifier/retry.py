"""Retries on a schedule, never by sleeping in a handler.

``next_due`` (pure) says when the next attempt is due, or that the schedule is
exhausted. ``RetrySchedule`` keeps waiting deliveries in Redis:

- ``retry_payloads`` (hash)  delivery id -> delivery JSON (attempt already
  incremented by the caller)
- ``retry_schedule`` (zset)  delivery id -> due time, unix seconds; one per
  partition, whose due deliveries go back onto that partition's stream

Both are keyed by delivery id, so scheduling one delivery twice keeps one
entry. ``move_due`` is one Lua script: popping due ids and XADDing their
payloads to the deliveries stream happen together or not at all, so a crash
never loses a scheduled retry nor sends it twice.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from watchfloor.shared.keys import Keys
from watchfloor.shared.schemas import Delivery
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.codec import DATA_FIELD
from watchfloor.shared.streams.status import scheduled_retries

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from redis.asyncio.client import Pipeline


def next_due(
    attempt: int,
    schedule: Sequence[float],
    now: float,
    retry_after: float | None = None,
    *,
    jitter: float = 0.0,
    rng: Callable[[], float] = random.random,
) -> float | None:
    """When attempt ``attempt + 1`` is due, after attempt ``attempt`` (1-based) failed.

    ``schedule[attempt - 1]`` is the wait; None when the schedule is used up.
    ``jitter`` spreads the wait by up to that fraction either way, so targets
    that failed together are not retried in lockstep. A receiver's
    ``retry_after`` is a floor: we never come back sooner than asked.
    """
    if attempt < 1 or attempt > len(schedule):
        return None
    delay = float(schedule[attempt - 1])
    if jitter:
        delay *= 1.0 + jitter * (2.0 * rng() - 1.0)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return now + max(delay, 0.0)


# KEYS: schedule zset, payload hash, deliveries stream. ARGV: now, limit.
_MOVE_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local moved = 0
for _, id in ipairs(ids) do
  local payload = redis.call('HGET', KEYS[2], id)
  if payload then
    redis.call('XADD', KEYS[3], '*', ARGV[3], payload)
    moved = moved + 1
  end
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
return moved
"""


class RetrySchedule:
    """Redis-backed store of deliveries waiting for their next attempt."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, settings: Settings) -> None:
        self._redis = redis
        self._keys = keys
        self._settings = settings
        self._move_due = redis.register_script(_MOVE_DUE)
        # set when this process queues a retry: the mover then looks at once
        self.queued = asyncio.Event()

    async def schedule(
        self, delivery: Delivery, due_at: float, *, only_if_absent: bool = False
    ) -> bool:
        """Store ``delivery`` to be re-published at ``due_at``. False if ``only_if_absent``
        and this delivery is already waiting (then the waiting one is kept)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            self.queue(pipe, delivery, due_at, only_if_absent=only_if_absent)
            stored, _ = await pipe.execute()
        return bool(stored) or not only_if_absent

    def queue(
        self, pipe: Pipeline, delivery: Delivery, due_at: float, *, only_if_absent: bool = False
    ) -> None:
        """``schedule`` as two commands queued on ``pipe`` (a MULTI/EXEC one, so
        payload and due time are stored together)."""
        self.queued.set()
        payload = delivery.model_dump_json()
        schedule = self._keys.retry_schedule_of(self._keys.partition_of(delivery.alert.article.id))
        if only_if_absent:
            pipe.hsetnx(self._keys.retry_payloads, delivery.id, payload)
            pipe.zadd(schedule, {delivery.id: due_at}, nx=True)
        else:
            pipe.hset(self._keys.retry_payloads, delivery.id, payload)
            pipe.zadd(schedule, {delivery.id: due_at})

    async def move_due(self, now: float, limit: int = 100) -> int:
        """Publish up to ``limit`` due deliveries per partition to that
        partition's deliveries stream; how many moved in all."""
        moved = 0
        for partition in range(self._keys.partitions):
            moved += int(await self._move_due(
                keys=[self._keys.retry_schedule_of(partition), self._keys.retry_payloads,
                      self._keys.stream("deliveries", partition)],
                args=[repr(float(now)), int(limit), DATA_FIELD],
            ))
        return moved

    async def pending_count(self) -> int:
        return await scheduled_retries(self._redis, self._keys)

    async def move_due_and_wait(self, now: float, *, shortest_s: float, longest_s: float) -> float:
        """Move what is due (all of it, 500 at a time); return how long the
        mover may sleep: until the next retry is due, within the bounds."""
        while await self.move_due(now, limit=500) >= 500:
            pass
        due = await self.next_due_at()
        wait = longest_s if due is None else due - now
        return min(max(wait, shortest_s), longest_s)

    async def next_due_at(self) -> float | None:
        """Due time of the earliest waiting delivery (lets a poller sleep exactly)."""
        firsts = [await self._redis.zrange(schedule, 0, 0, withscores=True)
                  for schedule in self._keys.retry_schedules()]
        due = [float(first[0][1]) for first in firsts if first]
        return min(due) if due else None
