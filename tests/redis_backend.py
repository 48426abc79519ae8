"""Which Redis the suite runs on, and clients for checks that follow it.

WATCHFLOOR_TEST_REDIS_CLUSTER=true: a local Redis Cluster started for the
session (or =redis://host:port, a node of a cluster of your own). The
streams stay unpartitioned: tests read partition 0's (the partitions have
tests of their own).
"""

from __future__ import annotations

import os

import redis
import redis.asyncio as aioredis


def cluster_wanted() -> str:
    """"" (a single Redis), "local" (start a cluster) or a node's URL."""
    wanted = os.environ.get("WATCHFLOOR_TEST_REDIS_CLUSTER", "").strip()
    if wanted.lower() in ("", "0", "false", "no"):
        return ""
    return wanted if "://" in wanted else "local"


ON_CLUSTER = bool(cluster_wanted())


def sync_redis(url: str, **options: object) -> redis.Redis:
    """A blocking client for checks: a cluster client when the suite runs on one."""
    if ON_CLUSTER:
        return redis.RedisCluster.from_url(url, **options)  # type: ignore[return-value]
    return redis.Redis.from_url(url, **options)


def async_redis(url: str, **options: object) -> aioredis.Redis:
    """An asyncio client for checks: a cluster client when the suite runs on one."""
    if ON_CLUSTER:
        return aioredis.RedisCluster.from_url(url, **options)  # type: ignore[return-value]
    return aioredis.from_url(url, **options)


async def delete_test_keys(client: aioredis.Redis, key_prefix: str) -> None:
    """Every key of a test: untagged ("<prefix>:...") and tagged ("{<prefix>}:...",
    "{<prefix>:p1}:..."), on every master of a cluster."""
    cluster = isinstance(client, aioredis.RedisCluster)
    for node in client.get_primaries() if cluster else [None]:  # type: ignore[attr-defined]
        scan = {"target_nodes": node} if cluster else {}
        for pattern in (f"{key_prefix}:*", f"{{{key_prefix}*"):
            async for key in client.scan_iter(match=pattern, count=1000, **scan):
                await client.delete(key)
