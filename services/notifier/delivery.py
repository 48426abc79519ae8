"""Delivering: fan-out, then for each delivery a chain of small stages.

1. resolve  its target by (watchlist id, target name) in the loaded watchlists
            (``directory``); gone → failed "permanent: target_removed"
   hold     its target paused (failed every attempt for a day) → held
            for the resume, unattempted (``target_pauses``)
2. claim    for the whole batch in one round trip: delivered marker set →
            skip; lease held by another copy → a re-check is scheduled
            ("in_progress"); else the lease is ours
3. admit    a place in the target's lane (``lanes``): a full lane waits
            for room while its target answers (backpressure), but a full
            lane of a slow target → *parked*: back in the retry schedule,
            same attempt, lease let go, so it waits in Redis, not in front
            of the others
4. send     in the background, in one of the lane's send slots, to the
            target as configured at that moment (its current URL and
            secret); the policy gives delivered / retry / give up
5. record   delivered → marker + log + counter; retry → the next attempt in
            the schedule, or, past it, failed "exhausted: <reason>"; give up
            → failed "permanent: <reason>"; together with the outcome, the
            stream entry is acknowledged, the lease released and the
            target's run of failures extended (maybe pausing it) or ended

``submit`` runs 1-3 for a batch of the deliveries stream and returns, so the
next batch is read at once and a slow target delays only its own lane. An
entry is acknowledged only in the MULTI/EXEC that records its outcome (a
success, a scheduled retry, a parked or handed-back delivery, a failure:
the consumer is ``acks_itself``), so a crash loses nothing: what was not
recorded stays pending and is reclaimed, and the lease and the delivered
marker keep a second send rare. ``submit`` raises only on infrastructure
errors (Redis down): what it recorded stays recorded, the rest stays pending.

A send starts only while its lease has room for a whole attempt; otherwise
(the lane was slower than its lease allowed) the delivery is *handed back*
to the retry schedule, due at once, as on ``close``, which lets the sends in
flight finish and hands back the ones not started.

``process_batch`` is ``submit`` plus waiting for every outcome (tests,
tools); ``process`` is a batch of one. ``fan_out`` turns alerts into
deliveries: one per (alert, target).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import aiohttp
from watchfloor.services.notifier import targets as target_senders
from watchfloor.services.notifier.delivery_state import (
    DeliveryState,
    Lease,
    OutcomeWriter,
    Writes,
    failure_counts,
    retry_counts,
)
from watchfloor.services.notifier.directory import TARGET_REMOVED, Missing, TargetDirectory
from watchfloor.services.notifier.lanes import Admission, Lanes
from watchfloor.services.notifier.policy import DeliveryResult, Verdict
from watchfloor.services.notifier.rate_limits import RateLimits
from watchfloor.services.notifier.retry import RetrySchedule, next_due
from watchfloor.services.notifier.target_pauses import PausedTargets
from watchfloor.services.targets import Target, rate_of, target_names
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.shared.keys import Keys
from watchfloor.shared.logging import get_logger
from watchfloor.shared.redis_client import REDIS_FAILURES
from watchfloor.shared.schemas import Alert, Delivery
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.metrics import (
    INGEST_TO_DELIVERED,
    WEBHOOK_REQUEST,
    observe_latency,
)
from watchfloor.shared.tasks import cancel_until_done

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = get_logger(__name__)

#: A lane holds up to this many waves of its target's in-flight sends.
LANE_WAVES = 4
#: A send slower than this (or half the HTTP timeout, if less) marks its target slow.
SLOW_SEND_S = 1.0
#: A send starts only if its lease outlives the attempt by this much.
RECORD_MARGIN_S = 2.0
#: The lease covers the waves of a lane, one attempt and recording, and at least this.
MIN_LEASE_S = 30
#: The longest a delivery is parked at a time.
MAX_PARK_S = 60.0
#: A delivery whose target is unknown makes the watchlists be re-read, at most this often.
REFRESH_ON_MISS_S = 1.0
#: How often lanes of targets long unused are forgotten.
PRUNE_EVERY_S = 60.0


class OutcomeKind(StrEnum):
    DELIVERED = "delivered"
    ALREADY_DELIVERED = "already_delivered"
    IN_PROGRESS = "in_progress"
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"
    PARKED = "parked"  # its target's lane was full and slow: waits in the schedule
    HANDED_BACK = "handed_back"  # not sent (closing, or its lease ran short): due at once
    RATE_LIMITED = "rate_limited"  # over its target's rate_per_s: waits in the schedule
    HELD = "held"  # its target is paused: waits, unattempted, until it is resumed


@dataclass(frozen=True)
class DeliveryOutcome:
    kind: OutcomeKind
    reason: str | None = None  # "http_200", "exhausted: http_503", ...
    due_at: float | None = None  # retry / re-check time, unix seconds


# --- fan-out ----------------------------------------------------------------


def delivery_id(alert_id: str, target_name: str) -> str:
    """Stable per (alert, target): it is the webhook-id receivers dedupe on."""
    digest = hashlib.sha256(f"{alert_id}\x1f{target_name}".encode()).hexdigest()
    return f"msg_{digest[:24]}"


def fan_out(
    alerts: Iterable[Alert], watchlists: Sequence[Watchlist], *, now: float
) -> list[Delivery]:
    """One Delivery per (alert, target of its watchlist), naming the target. Pure."""
    names = {w.id: target_names(w.targets) for w in watchlists}
    created = datetime.fromtimestamp(now, UTC)
    return [
        Delivery(
            id=delivery_id(alert.id, name),
            alert=alert,
            target_name=name,
            attempt=1,
            first_attempt_at=created,
        )
        for alert in alerts
        for name in names.get(alert.watchlist_id, ())
    ]


# --- the pipeline -------------------------------------------------------------


Send = Callable[[Delivery, Target, aiohttp.ClientSession, float], Awaitable[DeliveryResult]]


@dataclass
class _Job:
    """One delivery from ``submit`` until its outcome is recorded."""

    delivery: Delivery
    entry_id: str | None  # its deliveries-stream entry: acknowledged with the outcome
    outcome: asyncio.Future[DeliveryOutcome]
    stream: str | None = None  # that entry's stream (partition); None: the pipeline's ``acks``
    admitted: bool = False  # holds a place in its lane
    started: bool = False  # its send runs in a background task
    lease: Lease | None = None
    lease_until: float = 0.0  # monotonic

    @property
    def lane(self) -> tuple[str, str]:
        return (self.delivery.alert.watchlist_id, self.delivery.target_name or "")


def _log_context(delivery: Delivery) -> dict[str, object]:
    return {
        "delivery_id": delivery.id,
        "watchlist_id": delivery.alert.watchlist_id,
        "article_id": delivery.alert.article.id,
        "target": delivery.target_name,
        "attempt": delivery.attempt,
    }


class DeliveryPipeline:
    """``await pipeline.submit(deliveries, now, entry_ids)`` for each batch of
    the deliveries stream; ``await pipeline.close()`` at the end."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        settings: Settings,
        watchlists: Sequence[Watchlist],
        client: aiohttp.ClientSession,
        *,
        send: Send = target_senders.send,
        acks: tuple[str, str] | None = None,
        refresh_watchlists: Callable[[], Awaitable[Any]] | None = None,
        retries: RetrySchedule | None = None,
        retry_jitter: float = 0.1,
        rng: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``acks``: the (stream, group) the entry ids given to ``submit``
        belong to. ``refresh_watchlists``: re-reads the watchlists (calling
        ``set_watchlists`` when they changed) before a target is declared gone.
        ``retries``: the schedule the process's retry mover watches."""
        self._state = DeliveryState(redis, keys, settings, acks=acks)
        self._writer = OutcomeWriter(self._state)
        self._retries = retries or RetrySchedule(redis, keys, settings)
        self._pauses = PausedTargets(redis, keys, pause_after_s=settings.target_pause_after_s,
                                     min_attempts=len(settings.retry_schedule_s) + 1)
        self._settings = settings
        self._directory = TargetDirectory(watchlists)
        self._client = client
        self._send = send
        self._refresh = refresh_watchlists
        self._last_refresh = -math.inf
        self._jitter = retry_jitter
        self._rng = rng
        self._clock = clock
        self._monotonic = monotonic
        self._timeout = settings.webhook_timeout_s
        self._slow_after = min(SLOW_SEND_S, self._timeout / 2)
        self._rates = RateLimits()
        self._lanes = Lanes(
            per_target=settings.delivery_target_concurrency,
            total=settings.delivery_concurrency,
            waves=LANE_WAVES,
            slow_after_s=self._slow_after,
            clock=monotonic,
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self._last_prune = monotonic()

    @property
    def lanes(self) -> Lanes:
        return self._lanes

    def set_watchlists(self, watchlists: Sequence[Watchlist]) -> None:
        """From now on, sends go to these watchlists' targets (waiting and
        in-flight deliveries included: each resolves its target when it is sent)."""
        self._directory = TargetDirectory(watchlists)

    async def refresh_paused(self) -> None:
        """Re-read which targets are paused (``target_pauses``): a periodic job."""
        await self._pauses.refresh()

    def lease_seconds(self) -> int:
        """A lease covers the waves of a full lane, one attempt and recording."""
        return max(MIN_LEASE_S, math.ceil(self._timeout * (LANE_WAVES + 1) + RECORD_MARGIN_S))

    # Entry points ----------------------------------------------------------

    async def process(self, delivery: Delivery, now: float) -> DeliveryOutcome:
        (outcome,) = await self.process_batch([delivery], now)
        return outcome

    async def process_batch(
        self, deliveries: Sequence[Delivery], now: float
    ) -> list[DeliveryOutcome]:
        """One outcome per delivery, in order, once all are recorded."""
        return list(await asyncio.gather(*await self.submit(deliveries, now)))

    async def submit(
        self, deliveries: Sequence[Delivery], now: float, entry_ids: Sequence[str] | None = None,
        *, stream: str | None = None,
    ) -> list[asyncio.Future[DeliveryOutcome]]:
        """Resolve, claim and admit ``deliveries``, start their sends, and
        return once every decision taken here is recorded. One future per
        delivery gives its outcome once that is recorded. ``stream``: the
        deliveries stream (partition) the entry ids are on, when not ``acks``'."""
        if self._closing:
            raise RuntimeError("the delivery pipeline is closed")
        loop = asyncio.get_running_loop()
        ids: Sequence[str | None] = entry_ids if entry_ids is not None else [None] * len(deliveries)
        jobs = [_Job(d, e, loop.create_future(), stream=stream)
                for d, e in zip(deliveries, ids, strict=True)]
        writes = Writes()
        settled: list[tuple[_Job, DeliveryOutcome]] = []
        try:
            resolved = await self._resolve_all(jobs, writes, settled, now)
            live = self._within_rates(
                self._hold_paused(resolved, writes, settled, now), writes, settled, now
            )
            waiting: deque[_Job] = deque()
            for job in await self._claim(live, writes, settled, now):
                if not self._admit(job, writes, settled, now):
                    waiting.append(job)
            await self._admit_waiting(waiting, writes, settled)
            await self._writer.commit(writes)
        except BaseException as exc:
            for job in jobs:  # a started one is its task's to finish
                if not job.started:
                    self._leave(job)
                    _fail(job.outcome, exc)
            raise
        for job, outcome in settled:
            job.outcome.set_result(outcome)
        if self._monotonic() - self._last_prune > PRUNE_EVERY_S:
            self._last_prune = self._monotonic()
            self._lanes.prune()
            self._rates.prune(now)
        return [job.outcome for job in jobs]

    async def close(self, timeout: float | None = None) -> None:
        """Stop taking deliveries; let the sends in flight finish (within
        ``timeout``, default one HTTP timeout and the recording margin) and
        hand the ones not started back to the retry schedule."""
        self._closing = True
        if self._tasks:
            wait = self._timeout + RECORD_MARGIN_S if timeout is None else timeout
            _, late = await asyncio.wait(set(self._tasks), timeout=wait)
            await cancel_until_done(late)  # their entries stay pending and are reclaimed
        await self._writer.idle()

    # Stages, in submit ----------------------------------------------------

    async def _resolve_all(
        self, jobs: list[_Job], writes: Writes, settled: list[tuple[_Job, DeliveryOutcome]],
        now: float,
    ) -> list[_Job]:
        found = [self._directory.resolve(job.delivery) for job in jobs]
        # Another notifier copy may have raised it from a newer set of
        # watchlists: look again before declaring a target gone.
        if (
            self._refresh is not None
            and any(isinstance(f, Missing) for f in found)
            and self._monotonic() - self._last_refresh >= REFRESH_ON_MISS_S
        ):
            self._last_refresh = self._monotonic()
            await self._refresh()
            found = [self._directory.resolve(job.delivery) for job in jobs]
        live = []
        for job, resolved in zip(jobs, found, strict=True):
            if isinstance(resolved, Missing):
                settled.append(
                    (job, self._give_up(writes, job, "permanent", resolved.label, now, sent=False))
                )
            else:
                job.delivery = resolved
                live.append(job)
        return live

    async def _claim(
        self, jobs: list[_Job], writes: Writes, settled: list[tuple[_Job, DeliveryOutcome]],
        now: float,
    ) -> list[_Job]:
        """Take the leases and read the delivered markers of ``jobs`` in one
        round trip; those whose lease is ours and that are not delivered."""
        if not jobs:
            return []
        ttl = self.lease_seconds()
        until = self._monotonic() + ttl
        claims = await self._state.claim([job.delivery.id for job in jobs], ttl)
        claimed = []
        for job, claim in zip(jobs, claims, strict=True):
            if claim.delivered:
                if claim.lease is not None:
                    writes.leases.append(claim.lease)
                self._ack(writes, job)
                log.info("delivery_skipped_already_delivered", **_log_context(job.delivery))
                settled.append((job, DeliveryOutcome(OutcomeKind.ALREADY_DELIVERED)))
            elif claim.lease is None:
                settled.append((job, self._defer(writes, job, now)))
            else:
                job.lease, job.lease_until = claim.lease, until
                claimed.append(job)
        return claimed

    def _admit(
        self, job: _Job, writes: Writes, settled: list[tuple[_Job, DeliveryOutcome]], now: float
    ) -> bool:
        """Into its lane and sending (True), parked with its lease let go
        (True), or False: its lane is full and its target answers, so wait."""
        admission = self._lanes.admit(job.lane)
        if admission is Admission.WAIT:
            return False
        if admission is Admission.PARK:
            if job.lease is not None:
                writes.leases.append(job.lease)
            settled.append((job, self._park(writes, job, now)))
            return True
        job.admitted = job.started = True
        task = asyncio.create_task(self._run(job), name=f"deliver:{job.delivery.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _admit_waiting(
        self, waiting: deque[_Job], writes: Writes, settled: list[tuple[_Job, DeliveryOutcome]]
    ) -> None:
        """Deliveries for full lanes whose target answers (or has not yet
        had the time to): in order, each as soon as its lane has room
        (milliseconds, for a target that answers), or parked if the lane
        turns slow meanwhile (within ``slow_after``). Their leases cover it."""
        while waiting:
            job = waiting[0]
            if self._admit(job, writes, settled, self._clock()):
                waiting.popleft()
            else:
                await self._lanes.wait_for_room(job.lane)

    # Stages, in the background ---------------------------------------------

    async def _run(self, job: _Job) -> None:
        try:
            writes = Writes(leases=[job.lease] if job.lease else [])
            outcome = await self._attempt(job, writes)
            await self._commit_until_lease_ends(job, writes)
        except asyncio.CancelledError:
            job.outcome.cancel()
            raise
        except Exception as exc:  # Redis down past the lease: the entry stays pending
            log.error("delivery_outcome_not_recorded", error=repr(exc),
                      **_log_context(job.delivery))
            _fail(job.outcome, exc)
        else:
            job.outcome.set_result(outcome)
        finally:
            self._leave(job)

    async def _attempt(self, job: _Job, writes: Writes) -> DeliveryOutcome:
        async with self._lanes.slot(job.lane) as sent:
            now = self._clock()
            if self._closing or self._monotonic() + self._timeout + RECORD_MARGIN_S > job.lease_until:
                return self._hand_back(writes, job, now)
            target = self._directory.get(*job.lane)  # as configured now
            if target is None:
                return self._give_up(writes, job, "permanent", TARGET_REMOVED, now, sent=False)
            started = self._monotonic()
            try:
                result = await self._send(job.delivery, target, self._client, now)
            except Exception as exc:  # a bug in a sender: retried, visible in logs
                log.error("delivery_send_error", error=repr(exc), **_log_context(job.delivery))
                result = DeliveryResult(Verdict.RETRY, "internal_error")
            sent()
            # its mark on the target's run of failures (maybe pausing it)
            writes.ops.append(lambda pipe: self._pauses.queue_attempt(
                pipe, *job.lane, ok=result.verdict is Verdict.DELIVERED, now=now,
                reason=result.reason))
            WEBHOOK_REQUEST.labels(target.type, result.verdict.value).observe(
                max(0.0, self._monotonic() - started))
        return self._record(writes, job, target, result, self._clock())

    async def _commit_until_lease_ends(self, job: _Job, writes: Writes) -> None:
        """Record, trying again while Redis is unreachable, as long as the
        lease keeps other copies from sending the delivery meanwhile."""
        delay = 0.1
        while True:
            try:
                await self._writer.commit(writes)
                return
            except REDIS_FAILURES as exc:
                if self._monotonic() + delay >= job.lease_until:
                    raise
                log.warning("delivery_outcome_write_failed", error=repr(exc), retry_in_s=delay,
                            **_log_context(job.delivery))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    # Outcomes -------------------------------------------------------------

    def _record(
        self, writes: Writes, job: _Job, target: Target, result: DeliveryResult, now: float
    ) -> DeliveryOutcome:
        delivery = job.delivery
        if result.verdict is Verdict.DELIVERED:
            observe_latency(INGEST_TO_DELIVERED, delivery.alert.article.ingested_at, now)
            self._ack(writes, job)
            writes.ops.append(
                lambda pipe: self._state.queue_delivered(
                    pipe, delivery, reason=result.reason, now=now
                )
            )
            writes.counts["delivered"] += 1
            log.info("delivery_sent", target_type=target.type, reason=result.reason,
                     **_log_context(delivery))
            return DeliveryOutcome(OutcomeKind.DELIVERED, result.reason)
        if result.verdict is Verdict.GIVE_UP:
            return self._give_up(writes, job, "permanent", result.reason, now)
        return self._retry(writes, job, result, now)

    def _retry(
        self, writes: Writes, job: _Job, result: DeliveryResult, now: float
    ) -> DeliveryOutcome:
        delivery = job.delivery
        due_at = next_due(
            delivery.attempt,
            self._settings.retry_schedule_s,
            now,
            result.retry_after,
            jitter=self._jitter,
            rng=self._rng,
        )
        if due_at is None:
            return self._give_up(writes, job, "exhausted", result.reason, now)
        self._ack(writes, job)
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
        self, writes: Writes, job: _Job, why: str, label: str, now: float, *, sent: bool = True
    ) -> DeliveryOutcome:
        """``sent``: whether this attempt was made (a delivery given up before
        its send, its target gone, made one attempt fewer than its number)."""
        delivery = job.delivery
        reason = f"{why}: {label}"
        attempts = delivery.attempt if sent else delivery.attempt - 1
        self._ack(writes, job)
        writes.ops.append(lambda pipe: self._state.queue_failure(
            pipe, delivery, reason=reason, now=now, attempts=attempts))
        writes.counts.update(failure_counts(label))
        log.error("delivery_failed", reason=reason, **_log_context(delivery))
        return DeliveryOutcome(OutcomeKind.FAILED, reason)

    def _defer(self, writes: Writes, job: _Job, now: float) -> DeliveryOutcome:
        """Another copy is sending it. Re-check later (same attempt), unless a
        retry is already waiting: if the holder dies mid-send, this re-check
        is what still gets the delivery out."""
        due_at = now + self._timeout * 2
        self._wait_in_schedule(writes, job, due_at)
        log.info("delivery_in_progress_elsewhere", recheck_at=due_at,
                 **_log_context(job.delivery))
        return DeliveryOutcome(OutcomeKind.IN_PROGRESS, due_at=due_at)

    def _hold_paused(
        self, jobs: list[_Job], writes: Writes, settled: list[tuple[_Job, DeliveryOutcome]],
        now: float,
    ) -> list[_Job]:
        """Those whose target is not paused; the others are held for its
        resume: not attempted, not dropped (``target_pauses``; one resumed
        since we last looked gets its delivery back as a retry due now)."""
        kept = []
        for job in jobs:
            if not self._pauses.is_paused(*job.lane):
                kept.append(job)
                continue
            delivery = job.delivery
            self._ack(writes, job)
            # counted by the hold itself: only a delivery it did hold, once
            writes.ops.append(lambda pipe, d=delivery: self._pauses.queue_hold(pipe, d, now=now))
            log.debug("delivery_held_target_paused", **_log_context(delivery))
            settled.append((job, DeliveryOutcome(OutcomeKind.HELD)))
        return kept

    def _within_rates(
        self, jobs: list[_Job], writes: Writes, settled: list[tuple[_Job, DeliveryOutcome]],
        now: float,
    ) -> list[_Job]:
        """Those within their target's rate (``rate_limits``); the others wait in
        the schedule, same attempt, until their turn: not a failure, not an attempt."""
        kept = []
        for job in jobs:
            target = self._directory.get(*job.lane)
            due_at = self._rates.check(job.lane, rate_of(target) if target else None, now,
                                     job.delivery.id)
            if due_at is None:
                kept.append(job)
                continue
            self._wait_in_schedule(writes, job, due_at)
            writes.counts["delivery_rate_limited"] += 1
            log.debug("delivery_rate_limited", due_in_s=round(due_at - now, 3),
                      **_log_context(job.delivery))
            settled.append((job, DeliveryOutcome(OutcomeKind.RATE_LIMITED, due_at=due_at)))
        return kept

    def _park(self, writes: Writes, job: _Job, now: float) -> DeliveryOutcome:
        """Its target's lane is full and slow: wait in the schedule, same
        attempt. The more a lane turns away in a row, the later they come
        back, about as fast as its slots free up (a send's time each, at most
        the HTTP timeout)."""
        turned_away = self._lanes.parked_in_a_row(job.lane)
        took = self._lanes.send_time_s(job.lane)
        unit = self._timeout if took is None else min(self._timeout, max(took, self._slow_after))
        delay = min(unit * (1 + turned_away / self._lanes.per_target), MAX_PARK_S)
        due_at = now + delay * (1 + self._jitter * (2 * self._rng() - 1))
        self._wait_in_schedule(writes, job, due_at)
        writes.counts["delivery_parked"] += 1
        log.debug("delivery_parked", due_in_s=round(due_at - now, 3),
                  **_log_context(job.delivery))
        return DeliveryOutcome(OutcomeKind.PARKED, due_at=due_at)

    def _hand_back(self, writes: Writes, job: _Job, now: float) -> DeliveryOutcome:
        """Not sent (closing, or its lease is too short for an attempt now):
        due again at once, for this copy or another."""
        self._wait_in_schedule(writes, job, now)
        writes.counts["delivery_handed_back"] += 1
        log.info("delivery_handed_back", closing=self._closing, **_log_context(job.delivery))
        return DeliveryOutcome(OutcomeKind.HANDED_BACK, due_at=now)

    def _wait_in_schedule(self, writes: Writes, job: _Job, due_at: float) -> None:
        # Same attempt; a delivery already waiting there keeps its place.
        delivery = job.delivery
        self._ack(writes, job)
        writes.ops.append(
            lambda pipe: self._retries.queue(pipe, delivery, due_at, only_if_absent=True)
        )

    # Bookkeeping ---------------------------------------------------------------

    @staticmethod
    def _ack(writes: Writes, job: _Job) -> None:
        if job.entry_id is not None:
            writes.acks.append((job.stream, job.entry_id))

    def _leave(self, job: _Job) -> None:
        if job.admitted:
            job.admitted = False
            self._lanes.leave(job.lane)


def _fail(future: asyncio.Future[DeliveryOutcome], exc: BaseException) -> None:
    """End an outcome future with ``exc`` (already raised or logged: marked
    retrieved, so asyncio does not report it again)."""
    if future.done():
        return
    if isinstance(exc, asyncio.CancelledError):
        future.cancel()
        return
    future.set_exception(exc)
    future.exception()
