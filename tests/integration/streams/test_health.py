"""/livez and /readyz of a worker process, on a real Redis and a real port."""

from __future__ import annotations

import socket

import httpx
import pytest
import redis.asyncio as aioredis
from watchfloor.services.classifier.app import classifier_parts
from watchfloor.shared.health import HealthServer, WorkerState, check_readiness
from watchfloor.shared.listen import PortUnavailable
from watchfloor.shared.pipeline import stage
from watchfloor.shared.redis_server import free_port
from watchfloor.shared.schemas import Article, Classification
from watchfloor.shared.streams.worker import create_worker_app

from tests.integration.helpers import running, wait_until
from tests.redis_backend import async_redis

pytestmark = pytest.mark.integration
GROUP = stage("classify").group


class NothingClassifier:
    def classify_article(self, article: Article) -> Classification:
        return Classification(classifier_version="fake-1")


def classifier_app(settings):
    return create_worker_app(settings, [lambda rt: classifier_parts(rt, NothingClassifier())])


async def probe(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as http:
        return await http.get(url)


async def test_a_running_worker_is_alive_and_ready(settings, keys):
    app = classifier_app(settings.model_copy(update={"health_port": 0}))
    async with running(app):
        base = app.runtime.info["health_url"]
        live, ready = await probe(f"{base}/livez"), await probe(f"{base}/readyz")
    assert live.status_code == 200 and live.json()["status"] == "alive"
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "ready" and body["parts"] == ["classifier"]
    assert body["groups"] == [{"stream": keys.articles, "group": GROUP, "exists": True}]
    assert "redis://" not in ready.text


async def test_unready_while_a_group_is_missing_or_not_consumed(redis_url, keys, redis_client):
    state = {"phase": "running", "consuming": True}
    server = HealthServer("127.0.0.1", 0, async_redis(redis_url), lambda: WorkerState(
        ["classifier"], state["phase"], [(keys.articles, GROUP)], state["consuming"]))
    await server.start()
    ready_url = f"{server.url}/readyz"
    try:
        missing = await probe(ready_url)
        await redis_client.xgroup_create(keys.articles, GROUP, id="0", mkstream=True)
        ready = await probe(ready_url)
        state["consuming"] = False
        stopped_subscriber = await probe(ready_url)
        state.update(consuming=True, phase="stopping")
        stopping = await probe(ready_url)
        alive = await probe(f"{server.url}/livez")
    finally:
        await server.stop()
    assert missing.status_code == 503
    assert missing.json()["problems"] == [f"consumer group '{GROUP}' missing on {keys.articles}"]
    assert ready.status_code == 200, ready.text
    assert stopped_subscriber.status_code == 503
    assert "a subscriber is stopped" in stopped_subscriber.json()["problems"][0]
    assert stopping.status_code == 503 and stopping.json()["problems"] == ["worker stopping"]
    assert alive.status_code == 200 and alive.json() == {"status": "alive", "phase": "stopping"}


async def test_ready_again_after_a_lost_group_is_recreated(settings, keys, redis_client):
    app = classifier_app(settings.model_copy(update={"health_port": 0}))
    async with running(app):
        ready_url = f"{app.runtime.info['health_url']}/readyz"
        await redis_client.delete(keys.articles)  # a FLUSHALL, as far as this worker sees

        async def ready_again() -> bool:
            reply = await probe(ready_url)
            return reply.status_code == 200 and reply.json()["groups"][0]["exists"] is True
        await wait_until(ready_again, what="ready after the group is re-created")
        assert GROUP in {g["name"].decode() for g in await redis_client.xinfo_groups(keys.articles)}


async def test_redis_down_is_unready_with_the_reason(keys):
    dead = aioredis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    state = WorkerState(["classifier"], "running", [(keys.articles, GROUP)], consuming=True)
    try:
        readiness = await check_readiness(dead, state)
    finally:
        await dead.aclose()
    assert not readiness.ready
    assert readiness.problems == ["Redis not answering (ConnectionError)"]
    assert readiness.groups == [{"stream": keys.articles, "group": GROUP, "exists": None}]


async def test_a_busy_health_port_stops_the_worker_with_the_setting_named(settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = classifier_app(settings.model_copy(update={"health_port": port}))
        with pytest.raises(PortUnavailable, match=f"127.0.0.1:{port} .WATCHFLOOR_HEALTH_PORT."):
            await app.run()
