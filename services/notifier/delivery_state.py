"""Redis-backed delivery state: delivered markers, send leases, the outcome records.

- ``delivered:<id>``   set once a target accepted the delivery (TTL
  ``delivered_ttl_s``); checked before sending, so redelivered stream entries
  are rarely sent twice.
- ``sending:<id>``     a short lease (SET NX EX) holding a random token, so
  two copies never send the same delivery at once; released only by its
  holder (compare-and-delete), never by a copy whose lease already expired.
- ``deliveries:done``  bounded log of successes; ``deliveries:failed`` the
  deliveries given up, with reason and payload, for inspection and replay.
- ``metrics``          counters: ``delivered``, ``delivery_retried``,
  ``delivery_failed`` and per reason (``delivery_failed:http_410``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.keys import Keys
from shared.schemas import Delivery
from shared.settings import Settings

if TYPE_CHECKING:
    import redis.asyncio as aioredis

DELIVERED_LOG_MAXLEN = 10_000

# Delete the lease only if it still holds our token.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class Lease:
    delivery_id: str
    token: str


class DeliveryState:
    def __init__(self, redis: aioredis.Redis, keys: Keys, settings: Settings) -> None:
        self._redis = redis
        self._keys = keys
        self._settings = settings
        self._release = redis.register_script(_RELEASE)

    async def is_delivered(self, delivery_id: str) -> bool:
        return bool(await self._redis.exists(self._keys.delivered(delivery_id)))

    async def acquire_lease(self, delivery_id: str, ttl_s: int) -> Lease | None:
        """The lease, or None when another copy holds it."""
        token = secrets.token_hex(8)
        taken = await self._redis.set(self._keys.sending(delivery_id), token, nx=True, ex=ttl_s)
        return Lease(delivery_id, token) if taken else None

    async def release_lease(self, lease: Lease) -> None:
        await self._release(keys=[self._keys.sending(lease.delivery_id)], args=[lease.token])

    async def mark_delivered(self, delivery: Delivery, *, reason: str, now: float) -> None:
        """Marker, log entry and counter in one transaction."""
        fields = _summary(delivery) | {"status": reason, "delivered_at": repr(now)}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(
                self._keys.delivered(delivery.id), repr(now), ex=self._settings.delivered_ttl_s
            )
            pipe.xadd(
                self._keys.delivered_log, fields, maxlen=DELIVERED_LOG_MAXLEN, approximate=True
            )
            pipe.hincrby(self._keys.metrics, "delivered", 1)
            await pipe.execute()

    async def record_failure(
        self, delivery: Delivery, *, reason: str, label: str, now: float
    ) -> None:
        """Give up on ``delivery``. ``reason`` is e.g. "exhausted: http_503";
        ``label`` the bare metric label ("http_503")."""
        fields = _summary(delivery) | {
            "reason": reason,
            "attempts": str(delivery.attempt),
            "failed_at": repr(now),
            "payload": delivery.model_dump_json(),
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            # Not trimmed to a small bound: these wait for an operator. The
            # stream_maxlen cap only stops runaway growth.
            pipe.xadd(
                self._keys.failed_deliveries,
                fields,
                maxlen=self._settings.stream_maxlen,
                approximate=True,
            )
            pipe.hincrby(self._keys.metrics, "delivery_failed", 1)
            pipe.hincrby(self._keys.metrics, f"delivery_failed:{label}", 1)
            await pipe.execute()

    async def count_retry(self, label: str) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(self._keys.metrics, "delivery_retried", 1)
            pipe.hincrby(self._keys.metrics, f"delivery_retried:{label}", 1)
            await pipe.execute()


def _summary(delivery: Delivery) -> dict[str, str]:
    return {
        "delivery_id": delivery.id,
        "alert_id": delivery.alert.id,
        "watchlist_id": delivery.alert.watchlist_id,
        "article_id": delivery.alert.article.id,
        "target_index": str(delivery.target_index),
        "attempt": str(delivery.attempt),
    }
