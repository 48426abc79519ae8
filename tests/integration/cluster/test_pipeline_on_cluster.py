"""The whole pipeline on a real Redis Cluster with 3 partitions: articles in
through the HTTP API, signed alerts out to a local receiver, each once;
status sees every partition; and a master SIGKILLed mid-run (its replica
promoted by failover) loses nothing and sends nothing twice."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from watchfloor.services.classifier.app import classifier_parts
from watchfloor.services.ingest.app import ingest_parts
from watchfloor.services.notifier.app import notifier_parts
from watchfloor.shared import pipeline
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_client import redis_client
from watchfloor.shared.redis_cluster import LocalRedisCluster
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.status import pipeline_status
from watchfloor.shared.streams.worker import WorkerApp, create_worker_app

from tests.integration.cluster.conftest import cluster_settings
from tests.integration.helpers import (
    invented_missile_article,
    missiles_watchlist,
    running,
    verified_missiles,
    wait_until,
)

pytestmark = pytest.mark.integration



def pipeline_app(settings: Settings, receiver, tmp_path: Path) -> WorkerApp:
    watchlists = tmp_path / "watchlists.yaml"
    missiles_watchlist(watchlists, receiver)
    return create_worker_app(settings.model_copy(update={"watchlists_file": watchlists}),
                             [ingest_parts, classifier_parts, notifier_parts],
                             env={"RECEIVER": receiver.url("")})


async def post_until_accepted(http: httpx.AsyncClient, batch: list[dict[str, str]]) -> list[str]:
    """What a well-behaved client does: try again on 429/5xx or no answer.
    Returns the batch's article ids (new or duplicate: both are in)."""
    while True:
        try:
            response = await http.post("/v1/articles", json=batch)
            if response.status_code == 202:
                return [r["id"] for r in response.json()["results"]]
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.25)


async def drained(redis, keys: Keys) -> bool:
    status = await pipeline_status(redis, keys)
    return status["retries_scheduled"] == 0 and all(
        g["pending"] == 0 and g["lag"] == 0
        for info in status["streams"].values() for g in info["groups"])


async def test_the_pipeline_runs_on_a_cluster_across_partitions(
    settings, keys, receiver, cluster_client, tmp_path
):
    articles = [invented_missile_article(n) for n in range(12)]
    app = pipeline_app(settings, receiver, tmp_path)
    async with running(app):
        async with httpx.AsyncClient(base_url=app.runtime.info["ingest_url"], timeout=30) as http:
            ids = set(await post_until_accepted(http, articles))
        assert await asyncio.to_thread(receiver.wait_for, 12, 60), len(receiver.delivered())
        await wait_until(lambda: drained(cluster_client, keys), timeout=30, what="drained")
        await asyncio.sleep(0.5)  # room for a duplicate to show up
        status = await pipeline_status(cluster_client, keys)

    got = verified_missiles(receiver)
    assert all(r.verified for r in got)
    assert sorted(r.json()["data"]["article"]["id"] for r in got) == sorted(ids)
    assert len({r.headers["webhook-id"] for r in got}) == 12
    assert {stream for stream, _ in pipeline.consumed(keys)} <= set(status["streams"])
    assert status["metrics"]["delivered"] == 12
    # every partition saw articles, and the classified partitions sit in three slot ranges
    partitions = {keys.partition_of(i) for i in ids}
    assert partitions == {0, 1, 2}
    slots = {await cluster_client.cluster_keyslot(s) for s in keys.streams("classified")}
    assert len({s * 3 // 16384 for s in slots}) == 3


async def test_writes_on_a_cluster_are_confirmed_by_a_replica(settings, keys, cluster_client):
    from watchfloor.shared.replication import Replication, ReplicationNotConfirmed, replicated

    client = redis_client(settings)
    try:
        probe = keys.probe(keys.metrics)
        async with replicated(client, probe, Replication(1, 1000)):
            await client.hincrby(keys.metrics, "n", 1)
        with pytest.raises(ReplicationNotConfirmed, match="1 of 2 replica"):
            async with replicated(client, probe, Replication(2, 200)):  # only one replica each
                await client.hincrby(keys.metrics, "n", 1)
    finally:
        await client.aclose()


@pytest.mark.slow
async def test_a_master_killed_mid_run_loses_nothing_and_sends_nothing_twice(
    own_cluster: LocalRedisCluster, key_prefix, receiver, tmp_path
):
    """SIGKILL the master of the global slot (dedupe keys, articles and
    deliveries streams, delivery state) a third of the way in; its replica
    is promoted; the killed node comes back as an orchestrator would restart
    it, and rejoins as the new master's replica. Until then no write can be
    confirmed by a replica, so the pipeline waits instead of acknowledging
    writes a second failure would lose."""
    settings = cluster_settings(own_cluster.url, key_prefix, tmp_path)
    keys = Keys.for_settings(settings)
    articles = [invented_missile_article(n) for n in range(60)]
    batches = [articles[i:i + 3] for i in range(0, len(articles), 3)]
    app = pipeline_app(settings, receiver, tmp_path)
    accepted: set[str] = set()
    victim = own_cluster.master_of(keys.metrics)
    timeline: dict[str, float] = {}

    async def fail_over() -> None:
        timeline["killed"] = time.monotonic()
        own_cluster.kill(victim)
        await asyncio.to_thread(own_cluster.wait_healthy, 60)  # a replica promoted
        timeline["promoted"] = time.monotonic()
        await asyncio.to_thread(own_cluster.restart, victim)  # back, as a replica
        timeline["restarted"] = time.monotonic()

    async with running(app):
        async with httpx.AsyncClient(base_url=app.runtime.info["ingest_url"], timeout=30) as http:
            for number, batch in enumerate(batches):
                if number == len(batches) // 3:
                    failover = asyncio.create_task(fail_over())
                accepted |= set(await post_until_accepted(http, batch))
                await asyncio.sleep(0.1)
        await failover
        assert own_cluster.master_of(keys.metrics).port != victim.port  # a replica took over
        assert await asyncio.to_thread(receiver.wait_for, 60, 120), len(receiver.delivered())
        check = redis_client(settings)
        try:
            await wait_until(lambda: drained(check, keys), timeout=60, what="drained")
        finally:
            await check.aclose()
        await asyncio.sleep(2)  # room for a late duplicate (reclaim runs every second)

    got = verified_missiles(receiver)
    webhook_ids = [r.headers["webhook-id"] for r in got]
    delivered_articles = {r.json()["data"]["article"]["id"] for r in got}
    print("failover: {} delivered; promoted after {:.1f} s, node back after {:.1f} s".format(
        len(got), timeline["promoted"] - timeline["killed"],
        timeline["restarted"] - timeline["killed"]))
    assert len(accepted) == 60
    assert delivered_articles == accepted, "an accepted article was lost"
    assert len(webhook_ids) == len(set(webhook_ids)) == 60, "a webhook-id was delivered twice"
    assert all(r.verified for r in got)
