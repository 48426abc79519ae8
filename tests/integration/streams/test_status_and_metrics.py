"""`watchfloor status` and /metrics report what is really in Redis."""

from __future__ import annotations

import pytest
from watchfloor.shared.streams.groups import ensure_group
from watchfloor.shared.streams.metrics import render_metrics
from watchfloor.shared.streams.status import format_status, pipeline_status

pytestmark = pytest.mark.integration


async def test_status_counts_length_lag_pending_and_consumers(redis_client, keys):
    await ensure_group(redis_client, keys.articles, "classifier")
    for i in range(5):
        await redis_client.xadd(keys.articles, {"n": i})
    await redis_client.xreadgroup("classifier", "worker-a", {keys.articles: ">"}, count=2)
    await redis_client.xadd(keys.dead_letters, {"error": "bad"})
    await redis_client.hincrby(keys.metrics, "ingested", 5)

    status = await pipeline_status(redis_client, keys)

    articles = status["streams"][keys.articles]
    assert articles["length"] == 5
    (group,) = articles["groups"]
    assert (group["name"], group["lag"], group["pending"]) == ("classifier", 3, 2)
    assert [c["name"] for c in group["consumers"]] == ["worker-a"]
    assert status["dead_letters"] == 1
    assert status["metrics"] == {"ingested": 5}
    table = format_status(status)
    assert "worker-a(pending=2" in table and "dead letters:        1" in table

    exposition = render_metrics(status).decode()
    assert 'watchfloor_group_lag_entries{group="classifier",stream="articles"} 3.0' in exposition
    assert 'watchfloor_group_pending_entries{group="classifier",stream="articles"} 2.0' in exposition
    assert "watchfloor_dead_letter_entries 1.0" in exposition
    assert "watchfloor_articles_ingested_total 5.0" in exposition


async def test_ingest_api_serves_the_metrics(settings, redis_client, keys):
    import httpx
    from watchfloor.services.ingest.api import create_api

    api = create_api(settings, redis_client)
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as http:
        posted = await http.post("/v1/articles", json={"title": "A headline", "text": "Body."})
        assert posted.status_code == 202
        reply = await http.get("/metrics")
        head = await http.head("/metrics")  # probes that use HEAD got 405
    assert head.status_code == 200 and head.content == b""
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    assert 'watchfloor_stream_entries{stream="articles"} 1.0' in reply.text
    assert "watchfloor_articles_ingested_total 1.0" in reply.text


async def test_status_shows_a_running_worker_before_it_reads_anything(settings, redis_client, keys):
    # Redis 7.0 lists a consumer only once it has read an entry: the groups
    # alone said "consumers: none" for a worker waiting on an empty stream.
    from watchfloor.services.classifier.app import classifier_parts
    from watchfloor.shared.streams.worker import create_worker_app

    from tests.integration.helpers import running

    app = create_worker_app(settings.model_copy(update={"consumer_name": "node-3-77"}),
                            [classifier_parts])
    async with running(app):
        status = await pipeline_status(redis_client, keys)
        (worker,) = status["workers"]
        assert (worker["name"], worker["parts"], worker["silent"]) == (
            "node-3-77", ["classifier"], False)
        assert "node-3-77: classifier (pid" in format_status(status)
    assert (await pipeline_status(redis_client, keys))["workers"] == []  # stopped: gone
