"""Redis clients for the configured Redis (``settings.resolved_redis_url``).

Every part builds its clients here, so where Redis is and how a connection
behaves is decided in one place. Replies are bytes (no
``decode_responses``): stream payloads are bytes; ``redis_replies`` reads
names and ids as text.

The asyncio clients use a bounded pool that waits: at most
``redis_max_connections`` connections, and a command that finds them all
busy waits up to ``redis_pool_timeout_s`` for one (redis-py's default pool
fails at once past 100, which turned a burst of requests into errors while
Redis was fine). A wait that runs out raises a ConnectionError that
``pool_exhausted`` recognises: the process is overloaded, Redis may be well.
"""

from __future__ import annotations

import asyncio
from typing import Any

import hiredis
import redis
import redis.asyncio as aioredis
from redis.asyncio.connection import parse_url
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import DataError, RedisClusterException, RedisError
from watchfloor.shared.cluster_client import BoundedRedisCluster
from watchfloor.shared.settings import Settings

#: What a Redis call raises when Redis fails or refuses. A cluster client that
#: reaches no node raises RedisClusterException, which is not a RedisError.
REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, RedisClusterException)
#: The same, and the socket errors of a Redis that cannot be reached.
REDIS_FAILURES: tuple[type[BaseException], ...] = (*REDIS_ERRORS, OSError)


class _HiredisPacking:
    """Commands packed by hiredis, in C. redis-py's asyncio connections pack
    each argument in Python (about 100 us for a 37-argument EVALSHA here,
    12 us with hiredis); its blocking client already packs with hiredis."""

    def pack_command(self, *args: Any) -> list[bytes]:
        # "SCRIPT EXISTS": the words of a command name go as separate arguments
        if isinstance(args[0], str):
            args = tuple(args[0].encode().split()) + args[1:]
        elif b" " in args[0]:
            args = tuple(args[0].split()) + args[1:]
        try:
            return [hiredis.pack_command(args)]
        except TypeError:
            pass
        # rare: buffers hiredis does not take as they are
        args = tuple(bytes(a) if isinstance(a, bytearray | memoryview) else a for a in args)
        try:
            return [hiredis.pack_command(args)]
        except TypeError as exc:  # what redis-py raises for a value it cannot send
            raise DataError(str(exc)) from exc


_PACKED: dict[type, type] = {}


def hiredis_packed(connection_class: type[aioredis.Connection]) -> type[aioredis.Connection]:
    """``connection_class`` (plain, TLS or unix socket) packing with hiredis."""
    if connection_class not in _PACKED:
        _PACKED[connection_class] = type(
            f"HiredisPacked{connection_class.__name__}", (_HiredisPacking, connection_class), {})
    return _PACKED[connection_class]


def connection_class_for(url: str) -> type[aioredis.Connection]:
    """The connection class redis-py picks for ``url``, packing with hiredis."""
    return hiredis_packed(parse_url(url).get("connection_class", aioredis.Connection))


def _options(
    connect_timeout_s: float | None, timeout_s: float | None, long_lived: bool
) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if connect_timeout_s is not None:
        options["socket_connect_timeout"] = connect_timeout_s
    if timeout_s is not None:
        options["socket_timeout"] = timeout_s
    if long_lived:
        # A worker keeps its connections for days: a connection that a NAT
        # or proxy dropped while idle is found by a PING before it is used,
        # and a command that timed out is tried once more.
        options.update(health_check_interval=30, socket_keepalive=True, retry_on_timeout=True)
    return options


def redis_client(
    settings: Settings,
    *,
    connect_timeout_s: float | None = None,
    timeout_s: float | None = None,
    long_lived: bool = False,
) -> aioredis.Redis:
    """An asyncio client. ``connect_timeout_s``/``timeout_s``: how long a
    command-line tool waits before saying Redis is unreachable (None: redis-py's
    default, no limit); ``long_lived`` for a worker's client."""
    options = _options(connect_timeout_s, timeout_s, long_lived)
    if settings.redis_cluster:
        options.pop("retry_on_timeout", None)  # RedisCluster retries on its own (and refuses it)
        cluster = BoundedRedisCluster.from_url(
            settings.resolved_redis_url, max_connections=settings.redis_max_connections,
            wait_timeout_s=settings.redis_pool_timeout_s, **options
        )
        return cluster  # type: ignore[return-value]  # same commands as Redis for our use
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.resolved_redis_url,
        max_connections=settings.redis_max_connections,
        timeout=settings.redis_pool_timeout_s,
        **options,
    )
    pool.connection_class = hiredis_packed(pool.connection_class)
    return aioredis.Redis.from_pool(pool)


def pool_exhausted(exc: BaseException) -> bool:
    """True when a command found no free connection in time (or the pool at
    its limit): too much work in this process, not a Redis failure."""
    max_connections_error = getattr(redis.exceptions, "MaxConnectionsError", None)
    if max_connections_error is not None and isinstance(exc, max_connections_error):
        return True
    return isinstance(exc, RedisConnectionError) and isinstance(
        exc.__cause__, (asyncio.TimeoutError, TimeoutError)
    )


def blocking_redis_client(
    settings: Settings, *, connect_timeout_s: float | None = None, timeout_s: float | None = None
) -> redis.Redis:
    """A blocking client, for a quick check before anything async starts."""
    if settings.redis_cluster:
        return redis.RedisCluster.from_url(  # type: ignore[return-value]
            settings.resolved_redis_url, **_options(connect_timeout_s, timeout_s, False)
        )
    return redis.Redis.from_url(
        settings.resolved_redis_url, **_options(connect_timeout_s, timeout_s, False)
    )


def queue_script(pipe: Any, script: AsyncScript, *, keys: list[Any], args: list[Any]) -> None:
    """Queue ``script`` on ``pipe`` as its text (EVAL; Redis caches the compiled
    script by its digest). A pipeline holding EVALSHA first asks SCRIPT EXISTS
    in a round trip of its own on every execute, and a cluster pipeline
    refuses EVALSHA."""
    pipe.eval(script.script, len(keys), *keys, *args)


def queue_mget(pipe: Any, keys: list[str]) -> None:
    """MGET on ``pipe`` (at least one key; all in one slot on a cluster)."""
    pipe.execute_command("MGET", *keys)
