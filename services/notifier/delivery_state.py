"""Redis-backed delivery state: delivered markers, send leases, the outcome records.

- ``delivered:<id>``   set once a target accepted the delivery (TTL
  ``delivered_ttl_s``); checked before sending, so redelivered stream entries
  are rarely sent twice.
- ``sending:<id>``     a short lease (``shared.leases``: a random token, SET
  NX EX), so two copies never send the same delivery at once; released only
  by its holder (compare-and-delete), never by a copy whose lease expired.
- ``deliveries:done``  bounded log of successes; ``deliveries:failed`` the
  deliveries given up, with reason and payload, for inspection and replay.
- ``metrics``          counters: ``delivered``, ``delivery_retried``,
  ``delivery_failed`` and per reason (``delivery_failed:http_410``).

A batch of deliveries costs two round trips: ``claim`` takes the leases and
reads the markers of the whole batch in one pipeline, and the outcomes are
written with the ``queue_*`` methods into one MULTI/EXEC (``transaction``),
lease releases last. (Hence the leases are taken and freed by hand, not with
redis-py's ``Lock``: that would cost a round trip per delivery.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from watchfloor.shared.keys import Keys
from watchfloor.shared.leases import new_token, queue_release, queue_take
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


class DeliveryState:
    def __init__(self, redis: aioredis.Redis, keys: Keys, settings: Settings) -> None:
        self._redis = redis
        self._keys = keys
        self._settings = settings

    # Batches -------------------------------------------------------------------

    async def claim(self, delivery_ids: Sequence[str], ttl_s: int) -> list[Claim]:
        """For each id: SET NX a lease, then (same round trip) read all delivered
        markers. The markers are read after the leases are taken, so a copy
        that delivered and let go of its lease before our SET NX is seen."""
        if not delivery_ids:
            return []
        tokens = [new_token() for _ in delivery_ids]
        async with self._redis.pipeline(transaction=False) as pipe:
            for delivery_id, token in zip(delivery_ids, tokens, strict=True):
                queue_take(pipe, self._keys.sending(delivery_id), token, ttl_s)
            pipe.mget([self._keys.delivered(d) for d in delivery_ids])
            *taken, markers = await pipe.execute()
        return [
            Claim(marker is not None, Lease(delivery_id, token) if ok else None)
            for delivery_id, token, ok, marker in zip(
                delivery_ids, tokens, taken, markers, strict=True
            )
        ]

    def transaction(self) -> Pipeline:
        """A MULTI/EXEC pipeline to queue outcomes into (``async with``, then execute)."""
        return self._redis.pipeline(transaction=True)

    def queue_delivered(
        self, pipe: Pipeline, delivery: Delivery, *, reason: str, now: float
    ) -> None:
        """Marker and log entry (the ``delivered`` counter: ``queue_counts``)."""
        fields = _summary(delivery) | {"status": reason, "delivered_at": repr(now)}
        pipe.set(self._keys.delivered(delivery.id), repr(now), ex=self._settings.delivered_ttl_s)
        pipe.xadd(self._keys.delivered_log, fields, maxlen=DELIVERED_LOG_MAXLEN, approximate=True)

    def queue_failure(self, pipe: Pipeline, delivery: Delivery, *, reason: str, now: float) -> None:
        """A failed_deliveries entry (counters: ``queue_counts``). ``reason`` is
        e.g. "exhausted: http_503"."""
        fields = _summary(delivery) | {
            "reason": reason,
            "attempts": str(delivery.attempt),
            "failed_at": repr(now),
            "payload": delivery.model_dump_json(),
        }
        # Not trimmed to a small bound: these wait for an operator. The
        # stream_maxlen cap only stops runaway growth.
        pipe.xadd(
            self._keys.failed_deliveries,
            fields,
            maxlen=self._settings.stream_maxlen,
            approximate=True,
        )

    def queue_counts(self, pipe: Pipeline, counts: Mapping[str, int]) -> None:
        for name, amount in counts.items():
            if amount:
                pipe.hincrby(self._keys.metrics, name, amount)

    def queue_release(self, pipe: Pipeline, leases: Iterable[Lease]) -> None:
        held = [(self._keys.sending(lease.delivery_id), lease.token) for lease in leases]
        queue_release(pipe, held)


def failure_counts(label: str) -> dict[str, int]:
    return {"delivery_failed": 1, f"delivery_failed:{label}": 1}


def retry_counts(label: str) -> dict[str, int]:
    return {"delivery_retried": 1, f"delivery_retried:{label}": 1}


def _summary(delivery: Delivery) -> dict[str, str]:
    return {
        "delivery_id": delivery.id,
        "alert_id": delivery.alert.id,
        "watchlist_id": delivery.alert.watchlist_id,
        "article_id": delivery.alert.article.id,
        "target_index": str(delivery.target_index),
        "attempt": str(delivery.attempt),
    }
