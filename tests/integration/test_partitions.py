"""Partitioned streams on a real Redis: articles spread over the partitions,
every partition is consumed, status and replay see all of them, and each
alert is delivered once."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from watchfloor.services.classifier.app import classifier_parts
from watchfloor.services.cli.main import main as cli_main
from watchfloor.services.console.history import (
    classified_retention,
    find_classified,
    story_versions,
)
from watchfloor.services.ingest.app import ingest_parts
from watchfloor.services.notifier.app import notifier_parts
from watchfloor.shared import pipeline
from watchfloor.shared.keys import Keys
from watchfloor.shared.schemas import ClassifiedArticle
from watchfloor.shared.streams.codec import decode
from watchfloor.shared.streams.publish import publish
from watchfloor.shared.streams.status import pipeline_status
from watchfloor.shared.streams.worker import create_worker_app

from tests.integration.helpers import invented_missile_article as missile_article
from tests.integration.helpers import missiles_watchlist, running, verified_missiles, wait_until
from tests.unit.console.factories import T0, article, classified

pytestmark = pytest.mark.integration

@pytest.fixture
def partitioned(settings, receiver, tmp_path: Path):
    watchlists = tmp_path / "watchlists.yaml"
    missiles_watchlist(watchlists, receiver)
    return settings.model_copy(update={"watchlists_file": watchlists, "partitions": 3,
                                       "story_clustering": False})


async def test_every_partition_is_consumed_and_each_alert_arrives_once(
    partitioned, receiver, redis_client
):
    keys = Keys.for_settings(partitioned)
    articles = [missile_article(n) for n in range(12)]
    receiver.plan("/missiles", [503])  # one retry goes through a partition's schedule
    app = create_worker_app(partitioned, [ingest_parts, classifier_parts, notifier_parts],
                            env={"RECEIVER": receiver.url("")})
    async with running(app):
        async with httpx.AsyncClient(base_url=app.runtime.info["ingest_url"]) as http:
            posted = await http.post("/v1/articles", json=articles)
            assert posted.status_code == 202 and posted.json()["new"] == 12, posted.text
        assert await asyncio.to_thread(receiver.wait_for, 12, 30), len(receiver.delivered())

        async def settled() -> bool:
            status = await pipeline_status(redis_client, keys)
            return status["retries_scheduled"] == 0 and all(
                g["pending"] == 0 and g["lag"] == 0
                for info in status["streams"].values() for g in info["groups"])
        await wait_until(settled, timeout=20, what="every partition drained")
        await asyncio.sleep(0.5)  # room for a duplicate to show up
        status = await pipeline_status(redis_client, keys)

    ids = {r["id"] for r in posted.json()["results"]}
    by_partition = {p: [i for i in ids if keys.partition_of(i) == p] for p in range(3)}
    assert all(by_partition.values()), by_partition  # 12 ids reach all 3 partitions
    for p, members in by_partition.items():
        # (the articles streams are work queues, trimmed once read; a batch reclaimed on a slow machine is classified twice: at least once)
        classified = {decode(fields, ClassifiedArticle).article.id
                      for _, fields in await redis_client.xrange(keys.stream("classified", p))}
        assert classified == set(members)
    consumed = {stream for stream, _ in pipeline.consumed(keys)}
    assert consumed <= set(status["streams"]) and len(consumed) == 9
    got = verified_missiles(receiver)
    assert all(r.verified for r in got)
    assert len(got) == 12 and len({r.headers["webhook-id"] for r in got}) == 12
    assert {r.json()["data"]["article"]["id"] for r in got} == ids
    assert status["metrics"]["delivered"] == 12 and status["metrics"]["classified"] == 12


async def test_failed_deliveries_of_every_partition_are_listed_and_replayed(
    partitioned, receiver, redis_client, capsys
):
    keys = Keys.for_settings(partitioned)
    receiver.plan("/missiles", [410] * 6)
    app = create_worker_app(partitioned, [ingest_parts, classifier_parts, notifier_parts],
                            env={"RECEIVER": receiver.url("")})
    url, prefix = partitioned.resolved_redis_url, partitioned.key_prefix
    cli_env = ["--redis-url", url, "--prefix", prefix]
    async with running(app):
        async with httpx.AsyncClient(base_url=app.runtime.info["ingest_url"]) as http:
            posted = await http.post("/v1/articles", json=[missile_article(n) for n in range(6)])
        partitions = {keys.partition_of(r["id"]) for r in posted.json()["results"]}
        assert len(partitions) > 1

        async def failed() -> bool:
            return await redis_client.xlen(keys.failed_deliveries) == 6
        await wait_until(failed, timeout=20, what="six 410s recorded")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("WATCHFLOOR_PARTITIONS", "3")
            capsys.readouterr()
            listed = await asyncio.to_thread(
                cli_main, ["deliveries", "--failed", "--json", *cli_env])
            assert listed == 0
            records = [json.loads(line) for line in capsys.readouterr().out.splitlines()
                       if line.startswith("{")]
            assert {r["article_id"] for r in records} == {r["id"] for r in posted.json()["results"]}
            assert all("http_410" in r["reason"] for r in records)
            replayed = await asyncio.to_thread(cli_main, ["replay", "--deliveries", *cli_env])
        assert replayed == 0
        assert await asyncio.to_thread(receiver.wait_for, 6, 20, "/missiles")
    assert len(verified_missiles(receiver)) == 6
    assert await redis_client.xlen(keys.failed_deliveries) == 0


async def test_the_console_reads_the_classified_history_of_every_partition(
    settings, redis_client
):
    keys = Keys.for_settings(settings.model_copy(update={"partitions": 3}))
    ids = [f"u-{n}" for n in range(12)]
    assert {keys.partition_of(i) for i in ids} == {0, 1, 2}
    first, *versions = ids
    for n, article_id in enumerate(ids):  # one story: the first article and eleven versions
        story = None if article_id == first else first
        event = classified(article(article_id, story_id=story), at=T0 + timedelta(seconds=n))
        await publish(redis_client, keys.stream("classified", keys.partition_of(article_id)),
                      [event])
    found = await story_versions(redis_client, keys, first)
    assert [e.message.article.id for e in found] == ids
    assert (await find_classified(redis_client, keys, versions[-1])).article.id == versions[-1]
    assert (await classified_retention(redis_client, keys)).length == 12
