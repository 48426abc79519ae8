"""A worker process: a FastStream app plus the upkeep that keeps it reliable.

- consumer groups are created at start-up from id 0 (the backlog counts);
  while Redis refuses writes (out of memory) the worker waits for it;
- at start-up it checks that Redis persists (AOF or RDB) and warns loudly,
  naming what a Redis restart would lose, when it does not (``persistence``);
- if Redis loses a group (restart without persistence, FLUSHALL), the reader
  (or FastStream, for a reclaimer) stops and asks the app to exit; ``WorkerApp``
  turns that into: re-create the group, restart the subscriber, keep going;
- a maintenance loop trims consumed streams below what every group acked
  (work queues to that, kept streams to ``stream_maxlen``) and forgets dead
  consumers that hold nothing;
- SIGTERM: in-flight batches finish (graceful_timeout), the readers' and
  the reclaimers' alike; fetched-but-unstarted entries stay pending and are
  reclaimed elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from faststream import FastStream
from faststream.redis import RedisBroker, RedisClusterBroker
from redis.exceptions import OutOfMemoryError, ReadOnlyError, RedisError
from watchfloor.shared.health import HealthServer, WorkerState
from watchfloor.shared.keys import Keys
from watchfloor.shared.logging import FastStreamLogger, get_logger
from watchfloor.shared.pipeline import kept_streams
from watchfloor.shared.redis_client import connection_class_for, redis_client
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.consumer import StreamConsumer, attach_consumer
from watchfloor.shared.streams.groups import (
    ensure_group,
    forget_dead_consumers,
    group_exists,
    trim_acknowledged,
)
from watchfloor.shared.streams.partition_layout import settle_partitions
from watchfloor.shared.streams.persistence import warn_unless_persistent
from watchfloor.shared.streams.reader import StreamReader
from watchfloor.shared.streams.refusals import refuses_writes
from watchfloor.shared.streams.workers import WorkerPresence
from watchfloor.shared.tasks import cancel_until_done
from watchfloor.shared.urls import redact_url

log = get_logger("watchfloor.worker")

# FastStream's run() wakes every ``sleep_time`` to see whether it should stop.
# Those wake-ups were most of an idle worker's CPU (each costs 0.5-1 ms here,
# the process coming back from idle: 10 ms a second at FastStream's 0.1 s);
# once a second is soon enough to begin a graceful shutdown.
EXIT_CHECK_S = 1.0
# Start-up while Redis refuses writes: how often to try again, and to say so.
WRITES_RETRY_S = 1.0
WAIT_LOG_EVERY_S = 30.0


class RunAgainIn(float):
    """Seconds: what a periodic job returns to be run again after that long
    instead of its interval (it knows when it has work, and each idle
    wake-up costs CPU)."""


@dataclass
class Periodic:
    """A job run every ``interval_s`` inside the worker (never in a handler),
    or as its ``run`` says (``RunAgainIn``); setting ``wake`` runs it again
    at once."""

    name: str
    interval_s: float
    run: Callable[[], Awaitable[Any]]
    wake: asyncio.Event | None = None


@dataclass
class WorkerParts:
    """What one service adds to a worker process."""

    name: str
    consumers: list[StreamConsumer[Any]] = field(default_factory=list)
    on_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    periodic: list[Periodic] = field(default_factory=list)


class Runtime:
    """What a service's handlers share: settings, keys, one Redis client."""

    def __init__(self, settings: Settings, env: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        # The process environment, handed in by the entry point (for ${VAR}
        # expansion in config files); nothing deeper reads os.environ.
        self.env: Mapping[str, str] = env if env is not None else {}
        self.info: dict[str, Any] = {}  # facts other parts may show (e.g. the API's URL)
        self.keys = Keys.for_settings(settings)
        self.consumer_name = settings.resolved_consumer_name
        self._redis: aioredis.Redis | None = None

    @property
    def redis(self) -> aioredis.Redis:
        if self._redis is None:
            self._redis = redis_client(self.settings, long_lived=True)
        return self._redis

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


class WorkerApp(FastStream):
    """FastStream app that recovers a lost consumer group instead of exiting 0."""

    def __init__(self, broker: RedisBroker, runtime: Runtime, parts: list[WorkerParts]) -> None:
        self.runtime = runtime
        self.parts = parts
        self.stopping = False
        self._started = False
        self.health: HealthServer | None = None  # /livez, /readyz (health_port)
        self._recover = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self._subscribers: list[Any] = []  # readers (StreamReader) and reclaimers (FastStream)
        for part in parts:
            for consumer in part.consumers:
                self._subscribers += attach_consumer(
                    broker, lambda: runtime.redis, consumer,
                    settings=runtime.settings, keys=runtime.keys,
                    consumer_name=runtime.consumer_name, on_lost_group=self.exit,
                )
        self._readers = [s for s in self._subscribers if isinstance(s, StreamReader)]
        self._presence = WorkerPresence(runtime.keys, runtime.consumer_name,
                                        [p.name for p in parts],
                                        runtime.settings.maintenance_interval_s)
        super().__init__(
            broker,
            logger=FastStreamLogger(),
            on_startup=[self._on_startup],
            after_startup=[self._after_startup],
            on_shutdown=[self._on_shutdown],
            after_shutdown=[self._after_shutdown],
        )

    @property
    def consumed(self) -> list[tuple[str, str]]:
        return [(c.stream, c.group) for p in self.parts for c in p.consumers]

    async def run(self, log_level: int = logging.INFO,
                  run_extra_options: dict[str, Any] | None = None,
                  sleep_time: float = EXIT_CHECK_S) -> None:
        await super().run(log_level, run_extra_options, sleep_time)

    def exit(self) -> None:
        # Called by a subscriber that hit NOGROUP after stopping itself, and by
        # whoever wants the app to stop. Only a running app can lose a group:
        # before start-up completes every subscriber is stopped, and a stop
        # asked for then must not be taken for a lost group.
        if self._started and not self.stopping and any(not s.running for s in self._subscribers):
            log.error("consumer_group_lost", action="recreating")
            self._recover.set()
            return
        self.stop_now()

    def stop_now(self) -> None:
        """Stop, whatever state the subscribers are in (SIGINT/SIGTERM)."""
        self.stopping = True
        super().exit()

    def _own_signals(self) -> None:
        # FastStream sends signals to exit(), which cannot tell them from a
        # lost group while a subscriber is down (e.g. Redis still restarting):
        # SIGTERM would then be swallowed until the group is back.
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.stop_now)

    async def ensure_groups(self, *, while_refused: bool = True) -> None:
        """Each consumed group, created if missing. Redis refusing writes
        refuses XGROUP CREATE for a group that exists too: ``while_refused``,
        that is no reason to stop (nor to skip the trims that free memory)."""
        redis = self.runtime.redis
        for stream, group in self.consumed:
            try:
                if await ensure_group(redis, stream, group):
                    log.info("consumer_group_created", stream=stream, group=group)
            except RedisError as exc:
                if not (while_refused and refuses_writes(exc)
                        and await group_exists(redis, stream, group)):
                    raise

    async def _groups_once_writable(self) -> None:
        """The groups, created; while Redis refuses writes (out of memory,
        read-only), wait for it instead of exiting: the subscribers could not
        start either (FastStream creates their groups)."""
        waiting_since: float | None = None
        while True:
            try:
                await self.ensure_groups(while_refused=False)
                break
            except RedisError as exc:
                # a replica (read-only) will not change its mind: exit, say so
                if not refuses_writes(exc) or isinstance(exc, ReadOnlyError):
                    raise
                now = time.monotonic()
                if waiting_since is None or now - waiting_since >= WAIT_LOG_EVERY_S:
                    log.warning("worker_waiting_for_redis_writes", error=str(exc),
                                hint=("free memory in Redis (or raise maxmemory)"
                                      if isinstance(exc, OutOfMemoryError) else
                                      "Redis cannot persist (MISCONF): fix its disk or "
                                      "snapshot settings")
                                + "; the worker starts once Redis accepts writes")
                    waiting_since = now
                await asyncio.sleep(WRITES_RETRY_S)
                if self.stopping:  # SIGTERM: FastStream's shutdown cancels this start
                    await asyncio.Event().wait()
        if waiting_since is not None:
            log.info("redis_accepts_writes")

    def state(self) -> WorkerState:
        phase = "stopping" if self.stopping else "running" if self._started else "starting"
        return WorkerState([p.name for p in self.parts], phase, self.consumed,
                           all(s.running for s in self._subscribers))

    async def _start_health(self) -> None:
        settings = self.runtime.settings
        if settings.health_port is not None:
            probe = redis_client(settings, connect_timeout_s=1, timeout_s=1)
            self.health = HealthServer(settings.health_host, settings.health_port, probe, self.state)
            self.runtime.info["health_url"] = await self.health.start()

    async def _on_startup(self) -> None:
        self._own_signals()
        await self._start_health()
        settings = self.runtime.settings
        log.info("worker_starting", parts=[p.name for p in self.parts],
                 redis=redact_url(settings.resolved_redis_url),
                 consumer=self.runtime.consumer_name)
        await self.runtime.redis.ping()
        # streams named for another WATCHFLOOR_PARTITIONS and holding work: refuse
        await settle_partitions(self.runtime.redis, self.runtime.keys)
        # Loud when Redis would lose retries, dedupe keys and pending work on a restart.
        await warn_unless_persistent(self.runtime.redis,
                                     redis_url=redact_url(settings.resolved_redis_url))
        await self._groups_once_writable()
        for part in self.parts:
            for hook in part.on_start:
                await hook()

    async def _after_startup(self) -> None:
        for reader in self._readers:  # the broker has started the reclaimers
            await reader.start()
        self._tasks.append(asyncio.create_task(self._maintain(), name="maintenance"))
        for part in self.parts:
            for job in part.periodic:
                self._tasks.append(asyncio.create_task(self._every(job), name=job.name))
        self._started = True
        try:  # `watchfloor status` shows it at once, not after the first maintenance pass
            await self._presence.beat(self.runtime.redis)
        except RedisError as exc:
            log.warning("worker_record_failed", error=repr(exc))
        log.info("worker_started", parts=[p.name for p in self.parts])

    async def _on_shutdown(self) -> None:
        self.stopping = True
        # Batches being handled finish (graceful_timeout_s) before the parts stop.
        await asyncio.gather(*(reader.stop() for reader in self._readers))
        await cancel_until_done(self._tasks)  # maintenance and periodic jobs
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _after_shutdown(self) -> None:
        # FastStream runs on_shutdown before the broker lets in-flight handlers
        # finish; what they use (HTTP clients, the API) is closed only now.
        for part in self.parts:
            for hook in part.on_stop:
                await hook()
        # Gone from `watchfloor status`; with Redis away, shown as silent there.
        with contextlib.suppress(RedisError, OSError, asyncio.TimeoutError):
            await asyncio.wait_for(self._presence.leave(self.runtime.redis), 1)
        await self.runtime.close()
        if self.health is not None:
            await self.health.stop()
        log.info("worker_stopped")

    async def _every(self, job: Periodic) -> None:
        wake = job.wake or asyncio.Event()  # without one: a plain sleep
        while True:
            wait = job.interval_s
            try:
                after = await job.run()
                if isinstance(after, RunAgainIn):
                    wait = after
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep the job alive; the error is visible in logs
                log.error("periodic_job_failed", job=job.name, error=repr(exc))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wake.wait(), wait)
            wake.clear()

    async def _maintain(self) -> None:
        settings = self.runtime.settings
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._recover.wait(), settings.maintenance_interval_s)
            self._recover.clear()
            try:
                await self.maintain_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis down: try again next round
                log.error("maintenance_failed", error=repr(exc))

    async def maintain_once(self) -> None:
        settings, redis = self.runtime.settings, self.runtime.redis
        try:
            await self._presence.beat(redis)
        except RedisError as exc:
            if not refuses_writes(exc):
                raise
            # Out of memory: the trims below are what frees it. The record
            # goes stale meanwhile, and status shows the worker silent.
        await self.ensure_groups()
        for sub in self._subscribers:
            if not sub.running and not self.stopping:
                await sub.start()
                log.warning("subscriber_restarted", subscriber=str(getattr(sub, "title_", "")))
        idle_ms = max(10 * settings.reclaim_idle_ms, 60_000)
        kept = kept_streams(self.runtime.keys)
        for stream, group in self.consumed:
            # A work queue keeps only what a group still needs (pipeline.KEPT_STREAMS).
            maxlen = settings.stream_maxlen if stream in kept else 0
            trimmed = await trim_acknowledged(redis, stream, maxlen)
            if trimmed:
                log.info("stream_trimmed", stream=stream, removed=trimmed)
            for name in await forget_dead_consumers(
                redis, stream, group, idle_ms=idle_ms, keep=self.runtime.consumer_name
            ):
                log.info("dead_consumer_removed", stream=stream, group=group, consumer=name)


def build_broker(settings: Settings) -> RedisBroker:
    """FastStream's broker; on a cluster its cluster broker, whose stream
    subscribers read each stream (one slot) through redis-py's RedisCluster."""
    if settings.redis_cluster:  # RedisCluster takes no connection_class
        return RedisClusterBroker(
            settings.resolved_redis_url, graceful_timeout=settings.graceful_timeout_s,
            logger=FastStreamLogger(), log_level=logging.DEBUG, apply_types=False,
        )
    return RedisBroker(
        settings.resolved_redis_url,
        graceful_timeout=settings.graceful_timeout_s,
        logger=FastStreamLogger(),
        # per-message "Received"/"Processed" lines at DEBUG: they cost throughput
        log_level=logging.DEBUG,
        # Handlers take the message itself (streams/consumer.py): no
        # dependency injection, so no thread hop per call.
        apply_types=False,
        connection_class=connection_class_for(settings.resolved_redis_url),
    )


def create_worker_app(
    settings: Settings,
    builders: list[Callable[[Runtime], WorkerParts]],
    env: Mapping[str, str] | None = None,
) -> WorkerApp:
    runtime = Runtime(settings, env)
    broker = build_broker(settings)
    return WorkerApp(broker, runtime, [build(runtime) for build in builders])
