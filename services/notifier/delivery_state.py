"""Redis-backed delivery state: delivered markers, send leases, the outcome records.

- ``delivered:<id>``   set once a target accepted the delivery (TTL
  ``delivered_ttl_s``); checked before sending, so redelivered stream entries
  are rarely sent twice.
- ``sending:<id>``     a lease (``shared.leases``: a random token, SET NX EX),
  so two copies never send the same delivery at once; released only by its
  holder (compare-and-delete), never by a copy whose lease expired.
- ``deliveries:done``  bounded log of successes; ``deliveries:failed`` the
  deliveries given up, with reason and payload, for inspection and replay.
- ``metrics``          counters: ``delivered``, ``delivery_retried``,
  ``delivery_failed`` and per reason (``delivery_failed:http_410``),
  ``delivery_parked``.

``claim`` takes the leases and reads the markers of many deliveries in one
round trip. Outcomes are queued into ``Writes`` and written in one MULTI/EXEC
with the acknowledgement of their stream entries (XACK) and, last, the
release of their leases: an entry is acknowledged, and a lease let go, only
together with the outcome it waited for. ``OutcomeWriter`` commits in groups:
the outcomes that come in while one write is on its way go together in the
next, so sends that finish one by one still cost few round trips. (Hence the
leases are taken and freed by hand, not with redis-py's ``Lock``: that would
cost a round trip per delivery.)
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from watchfloor.shared.keys import Keys
from watchfloor.shared.leases import new_token, queue_release, queue_take
from watchfloor.shared.redis_client import queue_mget
from watchfloor.shared.replication import Replication, replicated
from watchfloor.shared.schemas import Delivery
from watchfloor.shared.settings import Settings

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from redis.asyncio.client import Pipeline

DELIVERED_LOG_MAXLEN = 10_000


@dataclass(frozen=True)
class Lease:
    delivery_id: str
    token: str


@dataclass(frozen=True)
class Claim:
    """What ``claim`` found for one delivery id. ``lease`` is ours when not
    None (also when ``delivered``: it must be released all the same)."""

    delivered: bool
    lease: Lease | None


@dataclass
class Writes:
    """Outcome writes queued for one MULTI/EXEC: the outcomes (``ops``), the
    counters, the stream entries to acknowledge, then the leases to free."""

    ops: list[Callable[[Pipeline], None]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    acks: list[tuple[str | None, str]] = field(default_factory=list)  # (stream or default, entry id)
    leases: list[Lease] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.ops or self.counts or self.acks or self.leases)


class DeliveryState:
    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        settings: Settings,
        *,
        acks: tuple[str, str] | None = None,
    ) -> None:
        """``acks``: the consumer group, and the stream by default, whose entries ``Writes.acks``
        names; None when deliveries do not come from a stream (tests, tools)."""
        self._redis = redis
        self._keys = keys
        self._settings = settings
        self._acks = acks
        self._replication = Replication.from_settings(settings)
        self._probe = keys.probe(keys.metrics)  # the delivery state's slot

    async def claim(self, delivery_ids: Sequence[str], ttl_s: int) -> list[Claim]:
        """For each id: SET NX a lease, then (same round trip) read all delivered
        markers. The markers are read after the leases are taken, so a copy
        that delivered and let go of its lease before our SET NX is seen."""
        if not delivery_ids:
            return []
        tokens = [new_token() for _ in delivery_ids]
        # Leases confirmed by a replica before anything is sent: after a
        # failover the new master still keeps other copies off these deliveries.
        async with (replicated(self._redis, self._probe, self._replication),
                    self._redis.pipeline(transaction=False) as pipe):
            for delivery_id, token in zip(delivery_ids, tokens, strict=True):
                queue_take(pipe, self._keys.sending(delivery_id), token, ttl_s)
            queue_mget(pipe, [self._keys.delivered(d) for d in delivery_ids])
            *taken, markers = await pipe.execute()
        return [
            Claim(marker is not None, Lease(delivery_id, token) if ok else None)
            for delivery_id, token, ok, marker in zip(
                delivery_ids, tokens, taken, markers, strict=True
            )
        ]

    async def write(self, batches: Sequence[Writes]) -> None:
        """Every outcome, then the counters, the acknowledgements and the
        lease releases, in one MULTI/EXEC."""
        counts: Counter[str] = Counter()
        acks: dict[str, list[str]] = {}
        leases: list[Lease] = []
        # Confirmed by a replica: a delivered marker lost in a failover would
        # send the delivery again (the caller writes again until confirmed).
        async with (replicated(self._redis, self._probe, self._replication),
                    self._redis.pipeline(transaction=True) as pipe):
            for writes in batches:
                for op in writes.ops:
                    op(pipe)
                counts.update(writes.counts)
                if self._acks is not None:
                    for stream, entry_id in writes.acks:
                        acks.setdefault(stream or self._acks[0], []).append(entry_id)
                leases += writes.leases
            for name, amount in counts.items():
                if amount:
                    pipe.hincrby(self._keys.metrics, name, amount)
            for stream, entry_ids in acks.items():  # only filled when self._acks is set
                pipe.xack(stream, self._acks[1] if self._acks else "", *entry_ids)
            queue_release(pipe, [(self._keys.sending(x.delivery_id), x.token) for x in leases])
            if len(pipe):
                await pipe.execute()

    # What the outcomes queue ------------------------------------------------

    def queue_delivered(
        self, pipe: Pipeline, delivery: Delivery, *, reason: str, now: float
    ) -> None:
        """Marker and log entry (the ``delivered`` counter: ``Writes.counts``)."""
        # the headline, so `watchfloor deliveries` shows what was sent (a
        # failure keeps the whole delivery as its payload)
        fields = _summary(delivery) | {"status": reason, "delivered_at": repr(now),
                                       "title": delivery.alert.article.title[:200]}
        pipe.set(self._keys.delivered(delivery.id), repr(now), ex=self._settings.delivered_ttl_s)
        pipe.xadd(self._keys.delivered_log, fields, maxlen=DELIVERED_LOG_MAXLEN, approximate=True)
        # A re-check another copy may have scheduled meanwhile is left: it
        # finds the marker and sends nothing (cheaper than two more commands
        # per delivery on the busiest path).

    def queue_failure(self, pipe: Pipeline, delivery: Delivery, *, reason: str, now: float,
                      attempts: int | None = None) -> None:
        """A failed_deliveries entry (counters: ``Writes.counts``). ``reason`` is
        e.g. "exhausted: http_503"; ``attempts`` made (default: its attempt number)."""
        fields = _summary(delivery) | {
            "reason": reason,
            "attempts": str(delivery.attempt if attempts is None else attempts),
            "failed_at": repr(now),
            "payload": delivery.model_dump_json(),
        }
        # Not trimmed to a small bound: these wait for an operator. Their
        # own cap only stops runaway growth (a target gone for good).
        pipe.xadd(
            self._keys.failed_deliveries,
            fields,
            maxlen=self._settings.failed_deliveries_maxlen,
            approximate=True,
        )
        self.queue_unschedule(pipe, delivery.id)

    def queue_unschedule(self, pipe: Pipeline, delivery_id: str) -> None:
        """A delivery given up must not be sent again by a re-check that may
        still wait for it (one another copy scheduled while we held the lease)."""
        for schedule in self._keys.retry_schedules():  # its partition's; the id says not which
            pipe.zrem(schedule, delivery_id)
        pipe.hdel(self._keys.retry_payloads, delivery_id)


class OutcomeWriter:
    """Group commit of ``Writes``: ``await writer.commit(writes)`` returns once
    they are in Redis (or raises the Redis error). Writes that arrive while a
    commit is on its way go together in the next one."""

    def __init__(self, state: DeliveryState) -> None:
        self._state = state
        self._queue: list[tuple[Writes, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def commit(self, writes: Writes) -> None:
        if not writes:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Retrieved even when the caller stopped waiting (cancelled): no
        # "exception was never retrieved" noise.
        done.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._queue.append((writes, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="delivery_outcomes")
        await asyncio.shield(done)

    async def idle(self) -> None:
        """Until everything handed to ``commit`` so far is written (or failed)."""
        while self._flusher is not None and not self._flusher.done():
            await asyncio.wait([self._flusher])

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let the outcomes that are ready join this write
        while self._queue:
            group, self._queue = self._queue, []
            try:
                await self._state.write([writes for writes, _ in group])
            except Exception as exc:  # Redis down: each waiter decides what to do
                for _, done in group:
                    done.set_exception(exc)
            else:
                for _, done in group:
                    done.set_result(None)


def failure_counts(label: str) -> dict[str, int]:
    return {"delivery_failed": 1, f"delivery_failed:{label}": 1}


def retry_counts(label: str) -> dict[str, int]:
    return {"delivery_retried": 1, f"delivery_retried:{label}": 1}


def _summary(delivery: Delivery) -> dict[str, str]:
    target = delivery.target_name
    if target is None:  # schema 1, never matched to a target
        target = f"#{delivery.target_index}"
    return {
        "delivery_id": delivery.id,
        "alert_id": delivery.alert.id,
        "watchlist_id": delivery.alert.watchlist_id,
        "article_id": delivery.alert.article.id,
        "target": target,
        "attempt": str(delivery.attempt),
    }
