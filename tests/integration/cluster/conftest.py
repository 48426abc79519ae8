"""A real local Redis Cluster (3 masters, 3 replicas) for the session.

``cluster`` is started once (``shared/redis_cluster.py``: redis-server
--cluster-enabled yes, redis-cli --cluster create) and torn down at the end.
WATCHFLOOR_TEST_REDIS_CLUSTER_URL names a cluster of your own instead (any
node). Tests that kill a master start a cluster of their own
(``own_cluster``), so the shared one stays whole.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio.cluster import RedisCluster
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_cluster import LocalRedisCluster
from watchfloor.shared.settings import Settings

from tests.redis_backend import ON_CLUSTER, delete_test_keys


def _needs_binaries() -> None:
    if shutil.which("redis-cli") is None or shutil.which("redis-server") is None:
        pytest.skip("redis-server and redis-cli on PATH are needed to build a local cluster")


@pytest.fixture(scope="session")
def cluster_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if ON_CLUSTER:  # the whole suite runs on a cluster: that one
        yield request.getfixturevalue("redis_url")
        return
    configured = os.environ.get("WATCHFLOOR_TEST_REDIS_CLUSTER_URL")
    if configured:
        yield configured
        return
    _needs_binaries()
    with (tempfile.TemporaryDirectory(prefix="watchfloor-test-cluster-") as tmp,
          LocalRedisCluster(Path(tmp)) as cluster):
        yield cluster.url


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[LocalRedisCluster]:
    _needs_binaries()
    with LocalRedisCluster(tmp_path / "cluster") as cluster:
        yield cluster


def cluster_settings(url: str, key_prefix: str, tmp_path: Path, **more: object) -> Settings:
    return Settings(
        _env_file=None,
        redis_url=url,
        redis_cluster=True,
        partitions=3,
        key_prefix=key_prefix,
        data_dir=tmp_path / "data",
        reclaim_idle_ms=1000,
        maintenance_interval_s=0.5,
        retry_schedule_s=[0.2, 0.4, 1, 2, 4],
        poll_interval_ms=50,
        http_port=0,
        log_level="WARNING",
        story_clustering=False,
        target_allowlist="127.0.0.0/8,::1/128",
        **more,
    )


@pytest.fixture
def settings(cluster_url: str, key_prefix: str, tmp_path: Path) -> Settings:
    return cluster_settings(cluster_url, key_prefix, tmp_path)


@pytest.fixture
def keys(settings: Settings) -> Keys:
    return Keys.for_settings(settings)


@pytest.fixture
async def cluster_client(cluster_url: str, key_prefix: str) -> AsyncIterator[RedisCluster]:
    client = RedisCluster.from_url(cluster_url)
    try:
        yield client
    finally:
        await delete_test_keys(client, key_prefix)
        await client.aclose()
