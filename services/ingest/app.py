"""Ingest worker: serves POST /v1/articles and publishes to the articles stream.

With ``WATCHFLOOR_FEEDS_FILE`` set it also polls those RSS/Atom feeds
(``services.ingest.feed_poller``), as a periodic job next to the API.

It refuses to start on a non-loopback ``WATCHFLOOR_HTTP_HOST`` without
``WATCHFLOOR_API_TOKEN`` (``services.ingest.exposure``).
"""

from __future__ import annotations

import asyncio

import uvicorn
from watchfloor.services.ingest.api import create_api
from watchfloor.services.ingest.exposure import check_api_exposure
from watchfloor.services.ingest.feed_poller import FeedPoller, load_configured_feeds
from watchfloor.services.ingest.publisher import ArticlePublisher
from watchfloor.services.watchlists.configured import open_watchlists_file, watchlist_tags
from watchfloor.services.watchlists.store import WatchlistStore
from watchfloor.shared.http_server import WorkerHttpServer
from watchfloor.shared.logging import get_logger
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.worker import (
    Periodic,
    Runtime,
    WorkerApp,
    WorkerParts,
    create_worker_app,
)

log = get_logger("watchfloor.ingest")


def ingest_parts(runtime: Runtime) -> WorkerParts:
    settings = runtime.settings
    check_api_exposure(settings)  # before anything starts: exit 2 with the reason
    state: dict[str, object] = {}
    # Read now, so a broken watchlists file stops the worker before it starts.
    watchlists_file = open_watchlists_file(settings, runtime.env)

    async def start() -> None:
        api = create_api(
            settings, runtime.redis,
            watchlist_store=WatchlistStore(runtime.redis, runtime.keys,
                                           known_tags=watchlist_tags(settings)),
            file_watchlists=(lambda: watchlists_file.current) if watchlists_file else (),
        )
        config = uvicorn.Config(
            api, host=settings.http_host, port=settings.http_port,
            log_config=None, access_log=False, lifespan="off",
            proxy_headers=True, forwarded_allow_ips=settings.trusted_proxies,
            # requests still open then are cancelled (a slow client sending its
            # body): SIGTERM ends the worker within the graceful timeout
            timeout_graceful_shutdown=settings.graceful_timeout_s,
        )
        server = WorkerHttpServer(config)
        # a bind error surfaces here, with its message
        runtime.info["ingest_url"] = await server.start("ingest-api")
        log.info("ingest_api_listening", url=runtime.info["ingest_url"])
        state["server"] = server

    async def stop() -> None:
        server = state.get("server")
        if isinstance(server, WorkerHttpServer):
            await server.config.app.state.console.close()  # open live feeds end, or would hold the stop
            await server.stop()

    parts = WorkerParts(name="ingest", on_start=[start], on_stop=[stop])
    if watchlists_file is not None:
        # the API lists the file's watchlists: keep its view current
        parts.periodic.append(Periodic(
            "watchlists_file_reload", settings.watchlists_refresh_s,
            lambda: asyncio.to_thread(watchlists_file.reload_if_changed),
        ))
    if settings.feeds_file is not None:
        _add_feed_poller(parts, runtime)
    return parts


def _add_feed_poller(parts: WorkerParts, runtime: Runtime) -> None:
    """Poll the feeds file's feeds every few seconds (each at its own interval)."""
    settings = runtime.settings
    # Read now, so a bad feeds file stops the worker before it starts.
    feeds = load_configured_feeds(settings, runtime.env)
    pollers: list[FeedPoller] = []

    async def start_poller() -> None:
        publisher = ArticlePublisher(runtime.redis, runtime.keys, settings)
        pollers.append(FeedPoller(runtime.redis, runtime.keys, settings, publisher, feeds=feeds))
        log.info("feed_poller_started", feeds=len(feeds), file=str(settings.feeds_file))

    async def poll() -> None:
        for poller in pollers:
            await poller.poll_due()

    async def stop_poller() -> None:
        while pollers:
            await pollers.pop().aclose()

    parts.on_start.append(start_poller)
    parts.on_stop.append(stop_poller)
    parts.periodic.append(Periodic("feed_poller", 5.0, poll))


def create_app(settings: Settings) -> WorkerApp:
    return create_worker_app(settings, [ingest_parts])
