"""The stream plumbing on a real Redis: poison entries, reclaim, delivery cap,
a lost consumer group. The classifier logic is replaced by a tiny fake so
these tests are about the plumbing only."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest
from watchfloor.services.classifier.app import classifier_parts
from watchfloor.shared.pipeline import stage
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.schemas import Article, Classification, ClassifiedArticle
from watchfloor.shared.streams.codec import decode, encode
from watchfloor.shared.streams.consumer import StreamConsumer
from watchfloor.shared.streams.groups import id_order
from watchfloor.shared.streams.worker import WorkerParts, create_worker_app

from tests.integration.helpers import running, wait_until

pytestmark = pytest.mark.integration
CLASSIFIER_GROUP = stage("classify").group


class ExplodingClassifier:
    """Classifies everything as nothing, except titles containing 'boom'."""

    def classify_article(self, article: Article) -> Classification:
        if "boom" in article.title:
            raise ValueError("rule table corrupted for this input")
        return Classification(classifier_version="fake-1")


def make_app(settings):
    return create_worker_app(settings, [lambda rt: classifier_parts(rt, ExplodingClassifier())])


async def classified_ids(redis_client, keys) -> list[str]:
    """Every article the classifier wrote, tagged or not, in the order written."""
    entries = [entry for stream in (keys.classified, keys.untagged)
               for entry in await redis_client.xrange(stream)]
    entries.sort(key=lambda entry: id_order(as_str(entry[0])))
    return [decode(fields, ClassifiedArticle).article.id for _, fields in entries]


async def test_poison_entries_go_to_dead_letters_and_work_goes_on(settings, keys, redis_client):
    await redis_client.xadd(keys.articles, encode(Article(id="a1", title="calm")))
    await redis_client.xadd(keys.articles, {"__data__": b"{not json"})
    await redis_client.xadd(keys.articles, {"unexpected": b"\xff"})
    await redis_client.xadd(keys.articles, encode(Article(id="a2", title="boom")))
    await redis_client.xadd(keys.articles, encode(Article(id="a3", title="calm again")))

    async with running(make_app(settings)):
        async def done() -> bool:
            return await redis_client.xlen(keys.dead_letters) == 3 and len(
                await classified_ids(redis_client, keys)) == 2
        await wait_until(done, what="2 classified and 3 dead letters")

    assert await classified_ids(redis_client, keys) == ["a1", "a3"]
    letters = [
        {k.decode(): v.decode() for k, v in f.items()}
        for _, f in await redis_client.xrange(keys.dead_letters)
    ]
    errors = sorted(letter["error"] for letter in letters)
    assert any("invalid Article" in e for e in errors)
    assert any("no '__data__' field" in e for e in errors)
    assert any("classifier error" in e and "rule table corrupted" in e for e in errors)
    boom = next(x for x in letters if "classifier error" in x["error"])
    original = json.loads(boom["payload"])  # the original entry is kept for replay
    assert json.loads(original["__data__"])["title"] == "boom"
    pending = await redis_client.xpending(keys.articles, CLASSIFIER_GROUP)
    assert pending["pending"] == 0


async def test_maintenance_trims_a_work_queue_and_keeps_the_classified_record(
        settings, keys, redis_client):
    async def nothing_to_do(batch):
        return []

    def parts(runtime):
        return WorkerParts("both", consumers=[
            StreamConsumer(keys.articles, "g", Article, nothing_to_do),
            StreamConsumer(keys.classified, "g", ClassifiedArticle, nothing_to_do),
        ])

    for i in range(5):
        article = Article(id=f"a{i}", title="calm")
        await redis_client.xadd(keys.articles, encode(article))
        await redis_client.xadd(keys.classified, encode(ClassifiedArticle(
            article=article, classification=Classification(classifier_version="fake-1"))))
    app = create_worker_app(settings, [parts])
    async with running(app):
        async def all_acked() -> bool:
            for stream in (keys.articles, keys.classified):
                (group,) = await redis_client.xinfo_groups(stream)
                # (not the group's "lag": Redis 6.2, make test's fallback, has none)
                last = (await redis_client.xinfo_stream(stream))["last-generated-id"]
                if group["pending"] or group["last-delivered-id"] != last:
                    return False
            return True

        await wait_until(all_acked, what="both streams read and acknowledged")
        await app.maintain_once()
    assert await redis_client.xlen(keys.articles) == 0  # a work queue: nothing left to do
    assert await redis_client.xlen(keys.classified) == 5  # what the console reads back


async def test_entries_pending_on_a_dead_consumer_are_reclaimed(settings, keys, redis_client):
    await redis_client.xgroup_create(keys.articles, CLASSIFIER_GROUP, id="0", mkstream=True)
    await redis_client.xadd(keys.articles, encode(Article(id="orphan", title="left behind")))
    # a consumer that read the entry and died
    await redis_client.xreadgroup(CLASSIFIER_GROUP, "ghost-1", {keys.articles: ">"})

    async with running(make_app(settings)):
        async def reclaimed() -> bool:
            # acknowledged once the handler has returned, just after it published
            pending = await redis_client.xpending(keys.articles, CLASSIFIER_GROUP)
            return pending["pending"] == 0
        await wait_until(reclaimed, timeout=15, what="orphan reclaimed and acknowledged")
        assert await classified_ids(redis_client, keys) == ["orphan"]


async def test_entry_delivered_too_often_is_dead_lettered(settings, keys, redis_client):
    await redis_client.xgroup_create(keys.articles, CLASSIFIER_GROUP, id="0", mkstream=True)
    entry_id = await redis_client.xadd(keys.articles, encode(Article(id="cursed", title="x")))
    await redis_client.xreadgroup(CLASSIFIER_GROUP, "ghost-2", {keys.articles: ">"})
    await redis_client.xclaim(keys.articles, CLASSIFIER_GROUP, "ghost-2", 0, [entry_id],
                              retrycount=settings.max_deliveries + 3)

    async with running(make_app(settings)):
        async def dead() -> bool:
            return await redis_client.xlen(keys.dead_letters) == 1
        await wait_until(dead, timeout=15, what="dead letter")
    (_, fields), = await redis_client.xrange(keys.dead_letters)
    assert b"without being acknowledged" in fields[b"error"]
    assert await classified_ids(redis_client, keys) == []


async def test_worker_recreates_a_lost_group_and_keeps_consuming(settings, keys, redis_client):
    app = make_app(settings)
    async with running(app):
        await redis_client.xadd(keys.articles, encode(Article(id="before", title="one")))
        async def first() -> bool:
            return "before" in await classified_ids(redis_client, keys)
        await wait_until(first, what="first article")

        await redis_client.delete(keys.articles)  # the group goes with the stream
        await redis_client.xadd(keys.articles, encode(Article(id="after", title="two")))

        async def second() -> bool:
            return "after" in await classified_ids(redis_client, keys)
        await wait_until(second, timeout=15, what="article after the group was lost")
        assert not app.stopping


async def test_a_stop_asked_for_during_start_up_is_not_taken_for_a_lost_group(settings):
    app = make_app(settings)
    app.exit()  # e.g. SIGTERM while the worker is still starting: no subscriber runs yet
    await asyncio.wait_for(app.run(), 20)
    assert app.stopping


async def test_sigterm_stops_a_worker_whose_group_is_still_lost(settings, monkeypatch):
    app = make_app(settings)
    async with running(app):
        async def redis_still_down() -> None:
            raise ConnectionError("Redis is restarting")

        monkeypatch.setattr(app, "maintain_once", redis_still_down)
        reader = app._subscribers[0]
        await reader.stop()
        app.exit()  # what the subscriber does on NOGROUP: recover, do not stop
        assert not app.stopping
        loop = asyncio.get_running_loop()
        loop._signal_handlers[signal.SIGTERM]._run()  # SIGTERM, without signalling pytest
        assert app.stopping


async def test_in_flight_handlers_finish_before_the_parts_are_stopped(settings, keys, redis_client):
    started, closed, seen_closed = asyncio.Event(), [], []

    async def slow(batch):
        started.set()
        await asyncio.sleep(0.3)
        seen_closed.append(bool(closed))  # e.g. the notifier's HTTP client
        return []

    async def close() -> None:
        closed.append(True)

    def part(runtime):
        return WorkerParts("slow", consumers=[StreamConsumer(keys.articles, "slow", Article, slow)],
                           on_stop=[close])

    await redis_client.xadd(keys.articles, encode(Article(id="a1", title="in flight")))
    app = create_worker_app(settings, [part])
    async with running(app):
        await asyncio.wait_for(started.wait(), 10)
    assert seen_closed == [False] and closed == [True]
    assert (await redis_client.xpending(keys.articles, "slow"))["pending"] == 0
