"""Notifier worker: the ``match`` and ``deliver`` stages (see ``shared/pipeline.py``).

Two consumers in one process: ``match`` turns classified articles into
alerts and one delivery entry per target (``alerting.AlertRaiser``);
``deliver`` hands them to the process's one ``delivery.DeliveryPipeline``,
which sends in the background, per-target lanes apart, and acknowledges
each entry with its recorded outcome (the consumer ``acks_itself``).
Retries wait in a Redis schedule and a periodic job moves due ones back onto
the deliveries stream: no handler ever sleeps on a retry. This module only
wires.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from watchfloor.services.notifier.active_watchlists import ActiveWatchlists
from watchfloor.services.notifier.alerting import AlertRaiser
from watchfloor.services.notifier.delivery import RECORD_MARGIN_S, DeliveryPipeline
from watchfloor.services.notifier.retry import RetrySchedule
from watchfloor.services.notifier.story_throttle import StoryThrottle
from watchfloor.services.notifier.target_pauses import REFRESH_S as PAUSES_REFRESH_S
from watchfloor.services.notifier.targets import make_http_client
from watchfloor.services.watchlists.configured import open_watchlists_file, watchlist_tags
from watchfloor.services.watchlists.file import WatchlistsFile
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.services.watchlists.store import WatchlistStore
from watchfloor.shared.pipeline import stage
from watchfloor.shared.replication import Replication
from watchfloor.shared.schemas import ClassifiedArticle, Delivery
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.consumer import Incoming, ItemFailure, StreamConsumer
from watchfloor.shared.streams.worker import (
    Periodic,
    RunAgainIn,
    Runtime,
    WorkerApp,
    WorkerParts,
    create_worker_app,
)

if TYPE_CHECKING:
    import aiohttp

MATCH = stage("match")
DELIVER = stage("deliver")


@dataclass
class _Sending:
    """The delivery side, alive from start to stop: the aiohttp session
    belongs to the running event loop, so both are made at start. One
    pipeline for the whole run (its lanes and sends in flight outlive
    watchlist edits, which it is told of)."""

    client: aiohttp.ClientSession | None = None
    pipeline: DeliveryPipeline | None = None


def notifier_parts(runtime: Runtime, watchlists: list[Watchlist] | None = None) -> WorkerParts:
    settings, keys = runtime.settings, runtime.keys
    file: WatchlistsFile | Sequence[Watchlist] | None = watchlists
    if file is None:
        file = open_watchlists_file(settings, runtime.env) or []
    sending = _Sending()

    def watchlists_changed(current: list[Watchlist]) -> None:
        if sending.pipeline is not None:
            sending.pipeline.set_watchlists(current)

    active = ActiveWatchlists(
        file, WatchlistStore(runtime.redis, keys, known_tags=watchlist_tags(settings)),
        on_change=watchlists_changed,
    )
    throttle = (
        StoryThrottle(runtime.redis, keys, window_s=settings.story_alert_window_s,
                      event_window_s=settings.event_alert_window_s)
        if settings.story_alert_window_s else None
    )
    raiser = AlertRaiser(runtime.redis, keys, active, throttle, stage=MATCH,
                         replication=Replication.from_settings(settings),
                         cluster=settings.redis_cluster)
    retries = RetrySchedule(runtime.redis, keys, settings)

    async def match(batch: list[Incoming[ClassifiedArticle]],
                    source: tuple[str, str]) -> list[ItemFailure]:
        # acknowledged with the batch's writes; the failures by the consumer
        return (await raiser.process_batch(batch, time.time(), source=source)).failures

    async def deliver(batch: list[Incoming[Delivery]], stream: str) -> list[ItemFailure]:
        if sending.pipeline is None:
            raise RuntimeError("the notifier's delivery side is not started")
        # Returns once each delivery is claimed (its send started) or decided;
        # each entry is acknowledged with its recorded outcome. Redis errors
        # propagate: what was not recorded stays pending and is reclaimed.
        await sending.pipeline.submit([item.message for item in batch], time.time(),
                                      [item.entry_id for item in batch], stream=stream)
        return []

    async def start() -> None:
        sending.client = make_http_client(settings)
        sending.pipeline = DeliveryPipeline(
            runtime.redis, keys, settings, active.watchlists, sending.client,
            acks=DELIVER.reads(keys), refresh_watchlists=active.refresh, retries=retries,
        )
        await active.refresh()
        await sending.pipeline.refresh_paused()

    async def refresh_paused() -> None:
        if sending.pipeline is not None:
            await sending.pipeline.refresh_paused()

    async def stop() -> None:
        pipeline, sending.pipeline = sending.pipeline, None
        if pipeline is not None:
            # Sends in flight finish, the rest are handed back; within the
            # graceful timeout (an orchestrator's grace period is sized from
            # it), whatever the webhook timeout: a send cut short is not
            # recorded, so its entry stays pending and is sent again (same
            # webhook-id) by the next notifier.
            await pipeline.close(timeout=min(settings.graceful_timeout_s,
                                             settings.webhook_timeout_s + RECORD_MARGIN_S))
        client, sending.client = sending.client, None
        if client is not None:
            await client.close()

    async def move_due_retries() -> RunAgainIn:
        return RunAgainIn(await retries.move_due_and_wait(
            time.time(), shortest_s=settings.retry_poll_interval_s,
            longest_s=settings.retry_idle_poll_s))

    return WorkerParts(
        name=MATCH.worker,
        consumers=[
            *(StreamConsumer(stream, group, ClassifiedArticle,
                             partial(match, source=(stream, group)), acks_itself=True)
              for stream, group in MATCH.reads_all(keys)),
            *(StreamConsumer(stream, group, Delivery, partial(deliver, stream=stream),
                             acks_itself=True)
              for stream, group in DELIVER.reads_all(keys)),
        ],
        on_start=[start],
        on_stop=[stop],
        periodic=[
            Periodic("retry_mover", settings.retry_poll_interval_s, move_due_retries,
                     wake=retries.queued),
            Periodic("watchlists_reload", settings.watchlists_refresh_s, active.refresh),
            Periodic("paused_targets_reload", PAUSES_REFRESH_S, refresh_paused),
        ],
    )


def create_app(settings: Settings, env: Mapping[str, str] | None = None) -> WorkerApp:
    return create_worker_app(settings, [notifier_parts], env=env)
