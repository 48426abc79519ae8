"""Redis refusing writes (out of memory) for a while, on a redis-server of
the test's own: the entries in flight are not dead-lettered for it, the
maintenance goes on trimming, and a worker started meanwhile waits."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis
import redis.asyncio as aioredis
from pydantic import SecretStr
from watchfloor.services.classifier.app import classifier_parts
from watchfloor.shared.keys import Keys
from watchfloor.shared.pipeline import stage
from watchfloor.shared.redis_server import LocalRedisServer
from watchfloor.shared.schemas import Article, Classification
from watchfloor.shared.streams.codec import encode
from watchfloor.shared.streams.worker import create_worker_app

from tests.integration.helpers import running, wait_until
from tests.integration.streams.test_worker_runtime import classified_ids

pytestmark = pytest.mark.integration
GROUP = stage("classify").group


@pytest.fixture
def own_redis(tmp_path) -> Iterator[LocalRedisServer]:
    with LocalRedisServer(tmp_path / "redis", persist=False) as server:
        yield server


def refuse_writes(server: LocalRedisServer, refuse: bool) -> None:
    """maxmemory 1 byte: every write that could use memory is refused (OOM)."""
    with redis.Redis(port=server.port) as client:
        client.config_set("maxmemory", 1 if refuse else 0)


class MemoryRunsOut:
    """Classifies everything as nothing; with ``at_first``, Redis runs out of
    memory as the first article is classified, so its writes are refused."""

    def __init__(self, server: LocalRedisServer, *, at_first: bool = True) -> None:
        self.server = server
        self.at_first = at_first
        self.attempts = 0

    def classify_article(self, article: Article) -> Classification:
        self.attempts += 1
        if self.at_first and self.attempts == 1:
            refuse_writes(self.server, True)
        return Classification(classifier_version="fake-1")


@pytest.fixture
def settings_on_own(settings, own_redis):
    return settings.model_copy(update={
        "redis_url": SecretStr(own_redis.url), "redis_cluster": False,
        "reclaim_idle_ms": 100, "max_deliveries": 2,
    })


async def _times_delivered(client: aioredis.Redis, stream: str) -> list[int]:
    pending = await client.xpending_range(stream, GROUP, "-", "+", 10)
    return [entry["times_delivered"] for entry in pending]


async def test_attempts_redis_refused_do_not_send_the_entry_to_dead_letters(
        settings_on_own, own_redis, key_prefix):
    keys = Keys(key_prefix)
    classifier = MemoryRunsOut(own_redis)
    app = create_worker_app(settings_on_own, [lambda rt: classifier_parts(rt, classifier)])
    client = aioredis.Redis(port=own_redis.port)
    try:
        async with running(app):
            await client.xadd(keys.articles, encode(Article(id="a1", title="calm")))

            async def refused_again_and_again() -> bool:
                # the read's attempt, then reclaims: well past max_deliveries
                return classifier.attempts >= 5
            await wait_until(refused_again_and_again, timeout=20, what="five refused attempts")
            # each refused attempt gave its delivery back
            assert max(await _times_delivered(client, keys.articles)) <= 1
            assert await classified_ids(client, keys) == []

            refuse_writes(own_redis, False)

            async def classified() -> bool:
                return await classified_ids(client, keys) == ["a1"]
            await wait_until(classified, timeout=15, what="the article classified once memory is free")
        assert await client.xlen(keys.dead_letters) == 0
        assert await _times_delivered(client, keys.articles) == []
    finally:
        refuse_writes(own_redis, False)
        await client.aclose()


async def test_a_worker_started_while_redis_refuses_writes_waits_then_works(
        settings_on_own, own_redis, key_prefix, caplog):
    keys = Keys(key_prefix)
    classifier = MemoryRunsOut(own_redis, at_first=False)
    refuse_writes(own_redis, True)
    app = create_worker_app(settings_on_own, [lambda rt: classifier_parts(rt, classifier)])
    client = aioredis.Redis(port=own_redis.port)
    task = asyncio.create_task(app.run())
    try:
        await asyncio.sleep(2.5)
        assert not task.done(), "the worker exited instead of waiting for Redis"
        assert app.state().phase == "starting"

        refuse_writes(own_redis, False)
        await wait_until(lambda: _true(app._started), timeout=15, what="worker start")
        await client.xadd(keys.articles, encode(Article(id="a1", title="calm")))

        async def classified() -> bool:
            return await classified_ids(client, keys) == ["a1"]
        await wait_until(classified, timeout=15, what="the article classified")
    finally:
        refuse_writes(own_redis, False)
        app.stop_now()
        await asyncio.wait_for(task, 20)
        await client.aclose()


async def test_sigterm_ends_a_worker_waiting_for_redis_to_accept_writes(settings_on_own, own_redis):
    refuse_writes(own_redis, True)
    app = create_worker_app(settings_on_own, [lambda rt: classifier_parts(rt, MemoryRunsOut(own_redis, at_first=False))])
    task = asyncio.create_task(app.run())
    try:
        await asyncio.sleep(1.5)
        assert not task.done()
        app.stop_now()
        await asyncio.wait_for(task, 20)
    finally:
        refuse_writes(own_redis, False)


async def test_maintenance_trims_while_redis_refuses_writes(settings_on_own, own_redis, key_prefix):
    """Trimming what every group has done frees memory: a group that exists
    is no reason to stop, though XGROUP CREATE is refused."""
    keys = Keys(key_prefix)
    app = create_worker_app(settings_on_own, [lambda rt: classifier_parts(rt, MemoryRunsOut(own_redis, at_first=False))])
    client = aioredis.Redis(port=own_redis.port)
    try:
        async with running(app):
            await client.xgroup_create(keys.articles, "done-group", id="0")
            ids = [await client.xadd(keys.articles, encode(Article(id=f"a{i}", title="calm")))
                   for i in range(3)]

            async def read_by_classifier() -> bool:
                return (await client.xpending(keys.articles, GROUP))["pending"] == 0 and len(
                    await classified_ids(client, keys)) >= 1
            await wait_until(read_by_classifier, timeout=15, what="classified")
            refuse_writes(own_redis, True)
            await client.xreadgroup("done-group", "c", {keys.articles: ">"})
            await client.xack(keys.articles, "done-group", *ids)
            await app.maintain_once()  # raised on XGROUP CREATE before
            assert await client.xlen(keys.articles) == 0
    finally:
        refuse_writes(own_redis, False)
        await client.aclose()


async def _true(value: object) -> bool:
    return bool(value)
