"""Delivering one Delivery: a chain of small stages, in this order.

1. resolve   find the target by (watchlist id, target index) in the loaded
             watchlists; gone → failed "permanent: unknown_target"
2. dedupe    already delivered (marker set)? → skip
3. lease     SET NX a short lease; held by another copy → "in_progress"
4. send      one POST through the target's sender; the policy gives
             delivered / retry / give up with a reason
5. record    delivered → marker + log + counter;
             retry → schedule the next attempt, or, past the schedule,
                     failed "exhausted: <reason>";
             give up → failed "permanent: <reason>"
             then release the lease.

``process`` never sleeps and never raises for a delivery outcome, so the
caller acknowledges the stream entry once it returns. It raises only on
infrastructure errors (Redis down) or bugs; the entry then stays pending and
is reclaimed. An "in_progress" delivery gets a re-check scheduled, so acking
it is safe even if the lease holder dies before recording anything.

``fan_out`` turns alerts into deliveries: one per (alert, target).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import httpx
import structlog

from services.notifier import targets as target_senders
from services.notifier.delivery_state import DeliveryState
from services.notifier.policy import DeliveryResult, Verdict
from services.notifier.retry import RetrySchedule, next_due
from services.notifier.watchlists import Target, Watchlist
from shared.keys import Keys
from shared.logging import get_logger
from shared.schemas import Alert, Delivery
from shared.settings import Settings

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = get_logger(__name__)

# The lease outlives any single send (bounded by the HTTP timeout) with room
# to record the outcome, yet frees a delivery soon after its holder died.
MIN_LEASE_S = 30


class OutcomeKind(StrEnum):
    DELIVERED = "delivered"
    ALREADY_DELIVERED = "already_delivered"
    IN_PROGRESS = "in_progress"
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"


@dataclass(frozen=True)
class DeliveryOutcome:
    kind: OutcomeKind
    reason: str | None = None  # "http_200", "exhausted: http_503", ...
    due_at: float | None = None  # retry / re-check time, unix seconds


# --- fan-out ----------------------------------------------------------------


def delivery_id(alert_id: str, target_index: int) -> str:
    """Stable per (alert, target): it is the webhook-id receivers dedupe on."""
    digest = hashlib.sha256(f"{alert_id}\x1f{target_index}".encode()).hexdigest()
    return f"msg_{digest[:24]}"


def fan_out(
    alerts: Iterable[Alert], watchlists: Sequence[Watchlist], *, now: float
) -> list[Delivery]:
    """One Delivery per (alert, target of its watchlist). Pure."""
    target_counts = {w.id: len(w.targets) for w in watchlists}
    created = datetime.fromtimestamp(now, UTC)
    return [
        Delivery(
            id=delivery_id(alert.id, index),
            alert=alert,
            target_index=index,
            attempt=1,
            first_attempt_at=created,
        )
        for alert in alerts
        for index in range(target_counts.get(alert.watchlist_id, 0))
    ]


# --- the pipeline -------------------------------------------------------------


Send = Callable[[Delivery, Target, httpx.AsyncClient, float], Awaitable[DeliveryResult]]


class DeliveryPipeline:
    """``await pipeline.process(delivery, now)`` for each entry of the deliveries stream."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        settings: Settings,
        watchlists: Sequence[Watchlist],
        client: httpx.AsyncClient,
        *,
        send: Send = target_senders.send,
        retry_jitter: float = 0.1,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._state = DeliveryState(redis, keys, settings)
        self._retries = RetrySchedule(redis, keys, settings)
        self._settings = settings
        self._watchlists = {w.id: w for w in watchlists}
        self._client = client
        self._send = send
        self._jitter = retry_jitter
        self._rng = rng
        self._lease_s = max(MIN_LEASE_S, math.ceil(settings.webhook_timeout_s * 3))

    async def process(self, delivery: Delivery, now: float) -> DeliveryOutcome:
        with structlog.contextvars.bound_contextvars(
            delivery_id=delivery.id,
            watchlist_id=delivery.alert.watchlist_id,
            article_id=delivery.alert.article.id,
            attempt=delivery.attempt,
        ):
            target = self._resolve(delivery)
            if target is None:
                return await self._give_up(delivery, "permanent", "unknown_target", now)
            if await self._state.is_delivered(delivery.id):
                log.info("delivery_skipped_already_delivered")
                return DeliveryOutcome(OutcomeKind.ALREADY_DELIVERED)
            lease = await self._state.acquire_lease(delivery.id, self._lease_s)
            if lease is None:
                return await self._defer(delivery, now)
            try:
                # Again under the lease: a copy may have delivered and let go
                # between the first check and our SET NX.
                if await self._state.is_delivered(delivery.id):
                    log.info("delivery_skipped_already_delivered")
                    return DeliveryOutcome(OutcomeKind.ALREADY_DELIVERED)
                result = await self._send(delivery, target, self._client, now)
                return await self._record(delivery, target, result, now)
            finally:
                await self._state.release_lease(lease)

    # Stages ------------------------------------------------------------------

    def _resolve(self, delivery: Delivery) -> Target | None:
        watchlist = self._watchlists.get(delivery.alert.watchlist_id)
        if watchlist is None or delivery.target_index >= len(watchlist.targets):
            return None
        return watchlist.targets[delivery.target_index]

    async def _defer(self, delivery: Delivery, now: float) -> DeliveryOutcome:
        """Another copy is sending it. Re-check later (same attempt), unless a
        retry is already waiting: if the holder dies mid-send, this re-check
        is what still gets the delivery out."""
        due_at = now + self._settings.webhook_timeout_s * 2
        await self._retries.schedule(delivery, due_at, only_if_absent=True)
        log.info("delivery_in_progress_elsewhere", recheck_at=due_at)
        return DeliveryOutcome(OutcomeKind.IN_PROGRESS, due_at=due_at)

    async def _record(
        self, delivery: Delivery, target: Target, result: DeliveryResult, now: float
    ) -> DeliveryOutcome:
        if result.verdict is Verdict.DELIVERED:
            await self._state.mark_delivered(delivery, reason=result.reason, now=now)
            log.info("delivery_sent", target_type=target.type, reason=result.reason)
            return DeliveryOutcome(OutcomeKind.DELIVERED, result.reason)
        if result.verdict is Verdict.GIVE_UP:
            return await self._give_up(delivery, "permanent", result.reason, now)
        return await self._retry(delivery, result, now)

    async def _retry(
        self, delivery: Delivery, result: DeliveryResult, now: float
    ) -> DeliveryOutcome:
        due_at = next_due(
            delivery.attempt,
            self._settings.retry_schedule_s,
            now,
            result.retry_after,
            jitter=self._jitter,
            rng=self._rng,
        )
        if due_at is None:
            return await self._give_up(delivery, "exhausted", result.reason, now)
        following = delivery.model_copy(update={"attempt": delivery.attempt + 1})
        await self._retries.schedule(following, due_at)
        await self._state.count_retry(result.reason)
        log.warning(
            "delivery_retry_scheduled",
            reason=result.reason,
            next_attempt=following.attempt,
            due_in_s=round(due_at - now, 3),
        )
        return DeliveryOutcome(OutcomeKind.RETRY_SCHEDULED, result.reason, due_at)

    async def _give_up(
        self, delivery: Delivery, why: str, label: str, now: float
    ) -> DeliveryOutcome:
        reason = f"{why}: {label}"
        await self._state.record_failure(delivery, reason=reason, label=label, now=now)
        log.error("delivery_failed", reason=reason)
        return DeliveryOutcome(OutcomeKind.FAILED, reason)
