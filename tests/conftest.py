"""Fixtures shared by all tests.

- ``redis_url``: WATCHFLOOR_TEST_REDIS_URL, or a private redis-server on a free
  port started for the session (stopped at the end).
- On a Redis Cluster: WATCHFLOOR_TEST_REDIS_CLUSTER=true runs the same tests
  on a local cluster of three masters and three replicas started for the
  session (or =redis://host:port, any node of a cluster of your own).
  ``settings``, ``keys`` and the clients follow (``make test-cluster``).
- ``redis_client``/``keys``/``settings``: a real connection and a unique key
  prefix per test, deleted afterwards.
- ``receiver``: a real local HTTP webhook receiver.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from watchfloor.services.receiver import WebhookReceiver
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_cluster import LocalRedisCluster
from watchfloor.shared.redis_server import LocalRedisServer
from watchfloor.shared.settings import Settings

from tests.redis_backend import ON_CLUSTER, async_redis, cluster_wanted, delete_test_keys


def pytest_configure(config: pytest.Config) -> None:
    if ON_CLUSTER:
        # commands the tests run (in-process or as subprocesses) read their
        # settings from the environment, as an operator's would
        os.environ["WATCHFLOOR_REDIS_CLUSTER"] = "true"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    wanted = cluster_wanted()
    if wanted == "local":
        with (tempfile.TemporaryDirectory(prefix="watchfloor-test-cluster-") as tmp,
              LocalRedisCluster(Path(tmp)) as cluster):
            yield cluster.url
        return
    if wanted:
        yield wanted
        return
    configured = os.environ.get("WATCHFLOOR_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    with tempfile.TemporaryDirectory(prefix="watchfloor-test-redis-") as tmp:
        server = LocalRedisServer(Path(tmp), persist=False, prefer_path=True).start()
        try:
            yield server.url
        finally:
            server.stop()


@pytest.fixture
def key_prefix() -> str:
    return f"wftest:{uuid.uuid4().hex[:12]}"


@pytest.fixture
def keys(key_prefix: str) -> Keys:
    return Keys(key_prefix, cluster=ON_CLUSTER)


@pytest.fixture
def settings(redis_url: str, key_prefix: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        redis_url=redis_url,
        redis_cluster=ON_CLUSTER,
        key_prefix=key_prefix,
        data_dir=tmp_path / "data",
        reclaim_idle_ms=1000,
        maintenance_interval_s=0.5,
        retry_schedule_s=[0.2, 0.4],
        poll_interval_ms=50,
        http_port=0,
        log_level="WARNING",
        # the local receivers and test servers are on loopback
        target_allowlist="127.0.0.0/8,::1/128",
    )


@pytest.fixture
async def redis_client(redis_url: str, key_prefix: str) -> AsyncIterator[aioredis.Redis]:
    client = async_redis(redis_url)
    try:
        yield client
    finally:
        await delete_test_keys(client, key_prefix)
        await client.aclose()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as rcv:
        yield rcv


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    """CLI commands configure structlog to write to the (captured) stderr of the
    test that ran them; later tests must not log to that closed stream."""
    yield
    import structlog

    structlog.reset_defaults()
