"""Notifier worker: classified stream -> watchlist alerts -> deliveries -> webhooks.

Two consumers in one process: ``notifier`` turns classified articles into
alerts and one delivery entry per target; ``delivery`` sends them. Retries
wait in a Redis schedule and a periodic job moves due ones back onto the
deliveries stream: no handler ever sleeps on a retry.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from structlog.contextvars import bound_contextvars
from watchfloor.services.notifier.active_watchlists import ActiveWatchlists
from watchfloor.services.notifier.delivery import DeliveryPipeline, fan_out
from watchfloor.services.notifier.retry import RetrySchedule
from watchfloor.services.notifier.story_throttle import StoryThrottle
from watchfloor.services.notifier.targets import make_http_client
from watchfloor.services.watchlists.configured import open_watchlists_file, watchlist_tags
from watchfloor.services.watchlists.file import WatchlistsFile
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.services.watchlists.store import WatchlistStore
from watchfloor.shared.keys import DELIVERY_GROUP, NOTIFIER_GROUP
from watchfloor.shared.logging import get_logger
from watchfloor.shared.schemas import ClassifiedArticle, Delivery
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.consumer import Incoming, ItemFailure, StreamConsumer
from watchfloor.shared.streams.publish import publish
from watchfloor.shared.streams.worker import (
    Periodic,
    Runtime,
    WorkerApp,
    WorkerParts,
    create_worker_app,
)

log = get_logger("watchfloor.notifier")
ALERT_HISTORY_MAXLEN = 100_000


def notifier_parts(runtime: Runtime, watchlists: list[Watchlist] | None = None) -> WorkerParts:
    settings, keys = runtime.settings, runtime.keys
    file: WatchlistsFile | Sequence[Watchlist] | None = watchlists
    if file is None:
        file = open_watchlists_file(settings, runtime.env) or []
    state: dict[str, Any] = {}

    def rebuild_pipeline(current: list[Watchlist]) -> None:
        if "client" in state:
            state["pipeline"] = DeliveryPipeline(runtime.redis, keys, settings, current,
                                                 state["client"])

    active = ActiveWatchlists(
        file, WatchlistStore(runtime.redis, keys, known_tags=watchlist_tags(settings)),
        on_change=rebuild_pipeline,
    )
    throttle = (
        StoryThrottle(runtime.redis, keys, window_s=settings.story_alert_window_s)
        if settings.story_alert_window_s else None
    )

    async def match(batch: list[Incoming[ClassifiedArticle]]) -> list[ItemFailure]:
        now = time.time()
        alerts = []
        failures: list[ItemFailure] = []
        for item in batch:
            with bound_contextvars(article_id=item.message.article.id):
                try:
                    found = active.matcher.match(item.message)
                except Exception as exc:  # a bad event or rule: retrying will not help
                    log.error("watchlist_matching_failed", error=repr(exc))
                    failures.append(ItemFailure(item.entry_id, f"matching error: {exc!r}"))
                    continue
                alerts += found
        if throttle is not None:
            sent = await throttle.filter(alerts)
            kept = {a.id for a in sent}
            for alert in alerts:
                if alert.id not in kept:
                    log.info("alert_throttled", watchlist_id=alert.watchlist_id, alert_id=alert.id,
                             article_id=alert.article.id, story_id=alert.article.story_id)
            throttled = len(alerts) - len(sent)
            alerts = sent
        else:
            throttled = 0
        for alert in alerts:
            log.info("alert_raised", watchlist_id=alert.watchlist_id, alert_id=alert.id,
                     article_id=alert.article.id, tags=[t.tag for t in alert.tags])
        deliveries = fan_out(alerts, active.watchlists, now=now)
        redis = runtime.redis
        async with redis.pipeline(transaction=False) as pipe:
            for alert in alerts:
                pipe.xadd(keys.alerts, {"__data__": alert.model_dump_json()},
                          maxlen=ALERT_HISTORY_MAXLEN, approximate=True)
            pipe.hincrby(keys.metrics, "alerts", len(alerts))
            if throttled:
                pipe.hincrby(keys.metrics, "alerts_throttled", throttled)
            await pipe.execute()
        await publish(redis, keys.deliveries, deliveries)
        return failures

    async def deliver(batch: list[Incoming[Delivery]]) -> list[ItemFailure]:
        pipeline: DeliveryPipeline = state["pipeline"]
        # Two Redis round trips for the batch, sends concurrent (at most
        # delivery_concurrency). Redis errors propagate: the batch stays
        # pending and is reclaimed.
        await pipeline.process_batch([item.message for item in batch], time.time())
        return []

    async def start() -> None:
        # The aiohttp session belongs to the running event loop: made here.
        state["client"] = make_http_client(settings)
        rebuild_pipeline(active.watchlists)
        state["retries"] = RetrySchedule(runtime.redis, keys, settings)
        await active.refresh()

    async def stop() -> None:
        client = state.pop("client", None)
        if client is not None:
            await client.close()

    async def move_due_retries() -> None:
        retries: RetrySchedule = state["retries"]
        while await retries.move_due(time.time(), limit=500) == 500:
            pass

    return WorkerParts(
        name="notifier",
        consumers=[
            StreamConsumer(keys.classified, NOTIFIER_GROUP, ClassifiedArticle, match),
            StreamConsumer(keys.deliveries, DELIVERY_GROUP, Delivery, deliver),
        ],
        on_start=[start],
        on_stop=[stop],
        periodic=[
            Periodic("retry_mover", settings.retry_poll_interval_s, move_due_retries),
            Periodic("watchlists_reload", settings.watchlists_refresh_s, active.refresh),
        ],
    )


def create_app(settings: Settings, env: Mapping[str, str] | None = None) -> WorkerApp:
    return create_worker_app(settings, [notifier_parts], env=env)
