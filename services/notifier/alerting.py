"""Raising alerts: the ``match`` stage, a batch of classified articles at a time.

1. match     each article against the active watchlists; an error on one
             article sends that entry to dead letters (retrying will not help)
2. throttle  one alert per story per watchlist (``StoryThrottle``), when on,
             unless the watchlist asks for every version; held-back alerts
             are recorded for the story's thread (``throttled_alerts``)
3. log       ``alert_throttled`` / ``alert_raised``, one line per alert
4. record    the alert history stream (bounded, one entry per alert id:
             ``alert_history.py``) and the counters
5. fan out   one Delivery per (alert, target), published for the ``deliver``
             stage (``delivery.py``, this module's twin); 4 and 5 and the
             batch's acknowledgement go in one round trip (``acknowledge.py``)

``process_batch`` raises only on infrastructure errors (Redis down): the
batch then stays pending and is reclaimed. A redelivered batch raises the
same alerts again (alert and delivery ids are stable, the throttle repeats
its decisions), so what was already published is deduplicated downstream,
and the history and the "alerts" counter take each alert once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from watchfloor.services.notifier.active_watchlists import ActiveWatchlists
from watchfloor.services.notifier.alert_history import AlertHistory
from watchfloor.services.notifier.delivery import fan_out
from watchfloor.services.notifier.silences import drop_silenced
from watchfloor.services.notifier.story_throttle import Throttled
from watchfloor.shared.keys import Keys
from watchfloor.shared.logging import get_logger
from watchfloor.shared.pipeline import Stage
from watchfloor.shared.replication import NO_REPLICATION, Replication
from watchfloor.shared.schemas import Alert, ClassifiedArticle, Delivery
from watchfloor.shared.streams.acknowledge import recorded_then_acked
from watchfloor.shared.streams.consumer import Incoming, ItemFailure, succeeded
from watchfloor.shared.streams.metrics import INGEST_TO_ALERT, observe_latency
from watchfloor.shared.streams.publish import partitioned, queue_publish

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = get_logger("watchfloor.notifier")

ALERT_HISTORY_MAXLEN = 100_000
# An alert id recorded longer ago than this is an old article come back, not
# a batch processed again (a reclaim retries within minutes): not sent again.
REPEAT_AFTER_S = 3600.0
# alert ids remembered as fanned out: as many as the history holds, and more
FANNED_OUT_KEPT = ALERT_HISTORY_MAXLEN + ALERT_HISTORY_MAXLEN // 10


class Throttle(Protocol):
    """What ``StoryThrottle`` offers: the alerts to send, in order, and those
    held back (recorded by it for the story's thread)."""

    async def filter(self, alerts: list[Alert], *,
                     every_version: Collection[str] = (),
                     by_event: Collection[str] = ()) -> Throttled: ...


@dataclass
class RaisedBatch:
    """What one batch came to."""

    alerts: list[Alert] = field(default_factory=list)  # raised (after the throttle)
    throttled: int = 0
    deliveries: list[Delivery] = field(default_factory=list)
    failures: list[ItemFailure] = field(default_factory=list)  # entries for dead letters


class AlertRaiser:
    """``await raiser.process_batch(batch, now)`` for each batch of the
    classified stream."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        watchlists: ActiveWatchlists,
        throttle: Throttle | None,
        *,
        stage: Stage,
        replication: Replication = NO_REPLICATION,
        cluster: bool = False,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._watchlists = watchlists
        self._throttle = throttle
        self._replication = replication
        self._cluster = cluster
        if stage.output is None:
            raise ValueError(f"stage {stage.name!r} writes no stream")
        self._deliveries = stage.output  # one stream per partition (Keys.partition_of)
        self._history = AlertHistory(redis, keys, stage.records(keys),
                                     maxlen=ALERT_HISTORY_MAXLEN)

    async def process_batch(
        self, batch: Sequence[Incoming[ClassifiedArticle]], now: float,
        *, source: tuple[str, str] | None = None,
    ) -> RaisedBatch:
        """``source``: (stream, group) of the batch's entries, to acknowledge
        those it does not return as failures with its writes."""
        result = RaisedBatch()
        found = self._match(batch, result)
        found = await drop_silenced(self._redis, self._keys, found, now)  # console mutes
        result.alerts = await self._drop_raised_long_ago(
            await self._apply_throttle(found, result), now)
        for alert in result.alerts:
            log.info("alert_raised", watchlist_id=alert.watchlist_id, alert_id=alert.id,
                     article_id=alert.article.id, tags=[t.tag for t in alert.tags])
        result.deliveries = fan_out(result.alerts, self._watchlists.watchlists, now=now)
        done = succeeded(batch, result.failures) if source else []
        # One round trip: history, counters, deliveries and the acknowledgement
        # (confirmed by a replica before the batch is acknowledged, if asked).
        async with recorded_then_acked(
            self._redis, source or ("", ""), done, probe=self._keys.probe(self._keys.metrics),
            replication=self._replication, cluster=self._cluster,
        ) as pipe:
            await self._record(pipe, result, now)
            queue_publish(pipe, partitioned(self._keys, self._deliveries, result.deliveries,
                                            lambda delivery: delivery.alert.article.id))
            if self._writes_together:  # in the deliveries' own transaction
                self._mark_fanned_out(pipe, result.alerts, now)
        if result.alerts and not self._writes_together:
            # only now are the deliveries written (a cluster's writes are no
            # transaction: marked with them, a failed XADD would leave an
            # alert marked and never sent)
            async with self._redis.pipeline(transaction=False) as pipe:
                self._mark_fanned_out(pipe, result.alerts, now)
                await pipe.execute()
        for alert in result.alerts:
            observe_latency(INGEST_TO_ALERT, alert.article.ingested_at, alert.created_at)
        return result

    # Stages ------------------------------------------------------------------

    def _match(self, batch: Sequence[Incoming[ClassifiedArticle]],
               result: RaisedBatch) -> list[Alert]:
        matcher = self._watchlists.matcher
        found: list[Alert] = []
        for item in batch:
            try:
                found += matcher.match(item.message)
            except Exception as exc:  # a bad event or rule: retrying will not help
                log.error("watchlist_matching_failed", article_id=item.message.article.id,
                          error=repr(exc))
                result.failures.append(ItemFailure(item.entry_id, f"matching error: {exc!r}"))
        return found

    async def _apply_throttle(self, alerts: list[Alert], result: RaisedBatch) -> list[Alert]:
        if self._throttle is None:
            return alerts
        watchlists = self._watchlists.watchlists
        outcome = await self._throttle.filter(
            alerts, every_version={w.id for w in watchlists if w.alert_on == "every_version"},
            by_event={w.id for w in watchlists if w.alert_on == "event"})
        for held in outcome.held:
            log.info("alert_throttled", watchlist_id=held.watchlist_id, alert_id=held.alert_id,
                     article_id=held.article_id, story_id=held.story_id,
                     repeat_of=held.repeat_of)
        result.throttled = len(outcome.held)
        return outcome.sent

    @property
    def _writes_together(self) -> bool:
        """The batch's writes go in one transaction (as recorded_then_acked decides)."""
        return self._replication.replicas <= 0 and not self._cluster

    def _mark_fanned_out(self, pipe: Any, alerts: Sequence[Alert], now: float) -> None:
        if alerts:
            pipe.zadd(self._keys.alerts_fanned_out, {alert.id: now for alert in alerts})
            pipe.zremrangebyrank(self._keys.alerts_fanned_out, 0, -FANNED_OUT_KEPT - 1)

    async def _drop_raised_long_ago(self, alerts: list[Alert], now: float) -> list[Alert]:
        """Alerts whose deliveries were written more than ``REPEAT_AFTER_S``
        ago are not sent again: their article came back once ingest's dedupe
        had forgotten it (an old feed item, a file ingested again), and
        the delivered markers expire sooner. A batch processed again after a
        crash or a reclaim comes within minutes: its alerts still fan out, and
        the markers keep each delivery to one send. An alert recorded in the
        history whose deliveries were never written (a cluster node failing
        between the two) is not marked, and its replay still sends it."""
        if not alerts:
            return alerts
        scores = await self._redis.zmscore(self._keys.alerts_fanned_out,
                                           [a.id for a in alerts])
        kept = []
        for alert, recorded_at in zip(alerts, scores, strict=True):
            if recorded_at is not None and now - float(recorded_at) > REPEAT_AFTER_S:
                log.info("alert_already_raised", watchlist_id=alert.watchlist_id,
                         alert_id=alert.id, article_id=alert.article.id,
                         raised_s_ago=round(now - float(recorded_at)))
                continue
            kept.append(alert)
        return kept

    async def _record(self, pipe: Any, result: RaisedBatch, now: float) -> None:
        """Alert history (once per alert id: a redelivered batch adds nothing)
        and counters, queued on ``pipe``; nothing for a batch without alerts."""
        if result.alerts:
            await self._history.record(result.alerts, now, client=pipe)
        if result.throttled:
            pipe.hincrby(self._keys.metrics, "alerts_throttled", result.throttled)
