"""Delivering one Delivery: a chain of small stages, in this order.

1. resolve   find the target by (watchlist id, target index) in the loaded
             watchlists; gone → failed "permanent: unknown_target"
2. dedupe    already delivered (marker set)? → skip
3. lease     SET NX a short lease; held by another copy → "in_progress"
4. send      one attempt through the target's type; the policy gives
             delivered / retry / give up with a reason
5. record    delivered → marker + log + counter;
             retry → schedule the next attempt, or, past the schedule,
                     failed "exhausted: <reason>";
             give up → failed "permanent: <reason>"
             then release the lease.

``process_batch`` runs the stages for a whole batch with two Redis round
trips around the sends: one pipeline takes every lease and then reads every
delivered marker (2 and 3; a marker seen under our lease catches a copy that
delivered and let go just before), the sends run concurrently (at most
``delivery_concurrency`` at once), and one MULTI/EXEC records every outcome
and then releases the leases. ``process`` is a batch of one.

``process_batch`` never sleeps and never raises for a delivery outcome, so the
caller acknowledges the stream entries once it returns. It raises only on
infrastructure errors (Redis down) or bugs, after recording the outcomes of
the sends that did complete; the entries then stay pending and are reclaimed.
An "in_progress" delivery gets a re-check scheduled, so acking it is safe
even if the lease holder dies before recording anything.

``fan_out`` turns alerts into deliveries: one per (alert, target).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, cast

import aiohttp
from watchfloor.services.notifier import targets as target_senders
from watchfloor.services.notifier.delivery_state import (
    DeliveryState,
    Lease,
    failure_counts,
    retry_counts,
)
from watchfloor.services.notifier.policy import DeliveryResult, Verdict
from watchfloor.services.notifier.retry import RetrySchedule, next_due
from watchfloor.services.targets import Target, type_of
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.shared.keys import Keys
from watchfloor.shared.logging import get_logger
from watchfloor.shared.schemas import Alert, Delivery
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.metrics import (
    INGEST_TO_DELIVERED,
    WEBHOOK_REQUEST,
    observe_latency,
)

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from redis.asyncio.client import Pipeline

log = get_logger(__name__)

# The lease outlives the sends of its batch (each bounded by the HTTP timeout,
# ``delivery_concurrency`` at a time) with room to record the outcomes, yet
# frees a delivery soon after its holder died.
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


def target_key(target: Target) -> str:
    """Names a target by what it is, not where it stands in the list, so a
    waiting retry still finds it after the watchlist's targets are edited.
    A hash: the identity (a URL, a credential for Slack) never travels in a
    stream."""
    identity = type_of(target).identity(target)
    return hashlib.sha256(f"{target.type}\x1f{identity}".encode()).hexdigest()[:16]


def fan_out(
    alerts: Iterable[Alert], watchlists: Sequence[Watchlist], *, now: float
) -> list[Delivery]:
    """One Delivery per (alert, target of its watchlist). Pure."""
    targets = {w.id: w.targets for w in watchlists}
    created = datetime.fromtimestamp(now, UTC)
    return [
        Delivery(
            id=delivery_id(alert.id, index),
            alert=alert,
            target_index=index,
            target_key=target_key(target),
            attempt=1,
            first_attempt_at=created,
        )
        for alert in alerts
        for index, target in enumerate(targets.get(alert.watchlist_id, ()))
    ]


# --- the pipeline -------------------------------------------------------------


Send = Callable[[Delivery, Target, aiohttp.ClientSession, float], Awaitable[DeliveryResult]]


@dataclass
class _Writes:
    """Outcome writes of one batch, queued into one MULTI/EXEC at the end."""

    ops: list[Callable[[Pipeline], None]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    leases: list[Lease] = field(default_factory=list)


def _log_context(delivery: Delivery) -> dict[str, object]:
    return {
        "delivery_id": delivery.id,
        "watchlist_id": delivery.alert.watchlist_id,
        "article_id": delivery.alert.article.id,
        "attempt": delivery.attempt,
    }


class DeliveryPipeline:
    """``await pipeline.process_batch(deliveries, now)`` for each batch of the
    deliveries stream (``process(delivery, now)`` for one)."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        settings: Settings,
        watchlists: Sequence[Watchlist],
        client: aiohttp.ClientSession,
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
        self._concurrency = settings.delivery_concurrency
        self._limit = asyncio.Semaphore(settings.delivery_concurrency)

    def lease_seconds(self, sends: int) -> int:
        """Lease TTL for a batch with up to ``sends`` sends: they go in waves of
        ``delivery_concurrency``, each wave bounded by the HTTP timeout."""
        waves = max(1, math.ceil(sends / self._concurrency))
        return max(MIN_LEASE_S, math.ceil(self._settings.webhook_timeout_s * (waves + 2)))

    async def process(self, delivery: Delivery, now: float) -> DeliveryOutcome:
        (outcome,) = await self.process_batch([delivery], now)
        return outcome

    async def process_batch(
        self, deliveries: Sequence[Delivery], now: float
    ) -> list[DeliveryOutcome]:
        """One outcome per delivery, in order."""
        outcomes: list[DeliveryOutcome | None] = [None] * len(deliveries)
        writes = _Writes()

        # 1. resolve
        live: list[tuple[int, Delivery, Target]] = []
        for i, delivery in enumerate(deliveries):
            target = self._resolve(delivery)
            if target is None:
                outcomes[i] = self._give_up(writes, delivery, "permanent", "unknown_target", now)
            else:
                live.append((i, delivery, target))

        # 2-3. leases, then delivered markers, in one round trip
        claims = await self._state.claim(
            [delivery.id for _, delivery, _ in live], self.lease_seconds(len(live))
        )
        to_send: list[tuple[int, Delivery, Target]] = []
        for (i, delivery, target), claim in zip(live, claims, strict=True):
            if claim.lease is not None:
                writes.leases.append(claim.lease)
            if claim.delivered:
                log.info("delivery_skipped_already_delivered", **_log_context(delivery))
                outcomes[i] = DeliveryOutcome(OutcomeKind.ALREADY_DELIVERED)
            elif claim.lease is None:
                outcomes[i] = self._defer(writes, delivery, now)
            else:
                to_send.append((i, delivery, target))

        # 4. send; each outcome is queued as soon as its answer is in
        async def send_one(i: int, delivery: Delivery, target: Target) -> None:
            async with self._limit:
                started = asyncio.get_running_loop().time()
                result = await self._send(delivery, target, self._client, now)
                WEBHOOK_REQUEST.labels(target.type, result.verdict.value).observe(
                    max(0.0, asyncio.get_running_loop().time() - started))
            outcomes[i] = self._record(writes, delivery, target, result, now)

        try:
            failures = [
                r
                for r in await asyncio.gather(
                    *(send_one(*item) for item in to_send), return_exceptions=True
                )
                if isinstance(r, BaseException)
            ]
        finally:
            # 5. record: also when cancelled or a sender failed, so that what
            # was sent is marked delivered and every lease is let go.
            await self._write(writes)
        if failures:
            raise failures[0]
        return cast(list[DeliveryOutcome], outcomes)  # all set: no send failed

    # Stages ------------------------------------------------------------------

    def _resolve(self, delivery: Delivery) -> Target | None:
        watchlist = self._watchlists.get(delivery.alert.watchlist_id)
        if watchlist is None:
            return None
        if delivery.target_key is not None:  # the target itself, wherever it now stands
            return next((t for t in watchlist.targets if target_key(t) == delivery.target_key), None)
        if delivery.target_index >= len(watchlist.targets):
            return None
        return watchlist.targets[delivery.target_index]

    def _defer(self, writes: _Writes, delivery: Delivery, now: float) -> DeliveryOutcome:
        """Another copy is sending it. Re-check later (same attempt), unless a
        retry is already waiting: if the holder dies mid-send, this re-check
        is what still gets the delivery out."""
        due_at = now + self._settings.webhook_timeout_s * 2
        writes.ops.append(
            lambda pipe: self._retries.queue(pipe, delivery, due_at, only_if_absent=True)
        )
        log.info("delivery_in_progress_elsewhere", recheck_at=due_at, **_log_context(delivery))
        return DeliveryOutcome(OutcomeKind.IN_PROGRESS, due_at=due_at)

    def _record(
        self,
        writes: _Writes,
        delivery: Delivery,
        target: Target,
        result: DeliveryResult,
        now: float,
    ) -> DeliveryOutcome:
        if result.verdict is Verdict.DELIVERED:
            observe_latency(INGEST_TO_DELIVERED, delivery.alert.article.ingested_at, now)
            writes.ops.append(
                lambda pipe: self._state.queue_delivered(
                    pipe, delivery, reason=result.reason, now=now
                )
            )
            writes.counts["delivered"] += 1
            log.info(
                "delivery_sent",
                target_type=target.type,
                reason=result.reason,
                **_log_context(delivery),
            )
            return DeliveryOutcome(OutcomeKind.DELIVERED, result.reason)
        if result.verdict is Verdict.GIVE_UP:
            return self._give_up(writes, delivery, "permanent", result.reason, now)
        return self._retry(writes, delivery, result, now)

    def _retry(
        self, writes: _Writes, delivery: Delivery, result: DeliveryResult, now: float
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
            return self._give_up(writes, delivery, "exhausted", result.reason, now)
        following = delivery.model_copy(update={"attempt": delivery.attempt + 1})
        writes.ops.append(lambda pipe: self._retries.queue(pipe, following, due_at))
        writes.counts.update(retry_counts(result.reason))
        log.warning(
            "delivery_retry_scheduled",
            reason=result.reason,
            next_attempt=following.attempt,
            due_in_s=round(due_at - now, 3),
            **_log_context(delivery),
        )
        return DeliveryOutcome(OutcomeKind.RETRY_SCHEDULED, result.reason, due_at)

    def _give_up(
        self, writes: _Writes, delivery: Delivery, why: str, label: str, now: float
    ) -> DeliveryOutcome:
        reason = f"{why}: {label}"
        writes.ops.append(
            lambda pipe: self._state.queue_failure(pipe, delivery, reason=reason, now=now)
        )
        writes.counts.update(failure_counts(label))
        log.error("delivery_failed", reason=reason, **_log_context(delivery))
        return DeliveryOutcome(OutcomeKind.FAILED, reason)

    async def _write(self, writes: _Writes) -> None:
        """Every outcome of the batch, then the lease releases, in one MULTI/EXEC:
        a lease is let go only once its delivery's outcome is recorded."""
        if not (writes.ops or writes.leases):
            return
        async with self._state.transaction() as pipe:
            for op in writes.ops:
                op(pipe)
            self._state.queue_counts(pipe, writes.counts)
            self._state.queue_release(pipe, writes.leases)
            await pipe.execute()
