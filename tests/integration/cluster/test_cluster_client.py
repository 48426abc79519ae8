"""The cluster client waits for a connection, like the single-Redis one."""

from __future__ import annotations

import asyncio

import pytest
from watchfloor.shared.redis_client import pool_exhausted, redis_client

pytestmark = pytest.mark.integration


async def test_a_burst_on_a_fresh_client_waits_for_connections_and_all_succeed(settings, keys):
    # redis-py's cluster client failed at once past max_connections to a node,
    # and many first commands at once broke its set-up of the nodes
    tight = settings.model_copy(update={"redis_max_connections": 8})
    client = redis_client(tight)
    try:
        replies = await asyncio.gather(*(client.blpop([f"{keys.base}:burst"], timeout=0.05)
                                         for _ in range(60)), return_exceptions=True)
        assert replies == [None] * 60
    finally:
        await client.aclose()


async def test_a_wait_that_runs_out_is_told_apart_from_a_redis_failure(settings, keys):
    tight = settings.model_copy(update={"redis_max_connections": 2, "redis_pool_timeout_s": 0.2})
    client = redis_client(tight)
    try:
        hogs = [asyncio.create_task(client.blpop([f"{keys.base}:hold"], timeout=3))
                for _ in range(2)]
        # a fixed pause lost the race on a slow host: the fresh client was
        # still discovering the nodes when the third command came
        await _until_blocked(settings, 2)
        with pytest.raises(Exception) as caught:
            await client.set(f"{keys.base}:x", 1)
        assert pool_exhausted(caught.value), repr(caught.value)
        await asyncio.gather(*hogs)
        assert await client.set(f"{keys.base}:x", 1)  # a free place again
    finally:
        await client.aclose()


async def _until_blocked(settings, count: int, within_s: float = 10.0) -> None:
    """Wait until ``count`` clients are blocked in a command on the cluster."""
    from redis.asyncio.cluster import RedisCluster

    watcher = redis_client(settings)
    try:
        deadline = asyncio.get_running_loop().time() + within_s
        while True:
            replies = await watcher.info("clients", target_nodes=RedisCluster.ALL_NODES)
            if sum(int(node["blocked_clients"]) for node in replies.values()) >= count:
                return
            assert asyncio.get_running_loop().time() < deadline, replies
            await asyncio.sleep(0.02)
    finally:
        await watcher.aclose()


def test_a_cluster_node_without_redis_cluster_set_is_named_as_such(cluster_url, key_prefix,
                                                                    capsys, monkeypatch):
    """Not a 46-line MovedError traceback, nor an ingest answering 503 for
    ever: one line saying what to set, exit 2."""
    from watchfloor.services.cli.main import main

    monkeypatch.delenv("WATCHFLOOR_REDIS_CLUSTER", raising=False)
    assert main(["status", "--redis-url", cluster_url, "--prefix", key_prefix]) == 2
    err = capsys.readouterr().err
    assert "is a Redis Cluster node: set WATCHFLOOR_REDIS_CLUSTER=true" in err
    assert "Traceback" not in err


def test_a_worker_does_not_wait_for_a_cluster_node_named_as_a_single_redis(
        cluster_url, key_prefix):
    """A setting to fix, not a Redis to wait for: exit 2 at once, even with
    WATCHFLOOR_REDIS_WAIT_S (the Kubernetes manifests set 300 s)."""
    import os
    import subprocess
    import sys
    import time

    env = {k: v for k, v in os.environ.items() if k != "WATCHFLOOR_REDIS_CLUSTER"}
    env.update(WATCHFLOOR_REDIS_URL=cluster_url, WATCHFLOOR_KEY_PREFIX=key_prefix,
               WATCHFLOOR_REDIS_WAIT_S="30")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "watchfloor.services.cli.main", "worker",
                           "classifier"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "is a Redis Cluster node: set WATCHFLOOR_REDIS_CLUSTER=true" in done.stderr
    assert time.monotonic() - started < 25  # not the 30 s wait
