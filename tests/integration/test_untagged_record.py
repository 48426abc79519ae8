"""Only a tagged article can match a watchlist, so only tagged ones go to the
notifier (the classified stream); the untagged are kept beside it for the
console, which reads both."""

from __future__ import annotations

from datetime import timedelta

import pytest
from watchfloor.services.classifier.app import classifier_parts
from watchfloor.services.console.history import find_classified, story_versions
from watchfloor.shared.schemas import Article, Classification, ClassifiedArticle, TagMatch
from watchfloor.shared.streams.codec import decode, encode
from watchfloor.shared.streams.publish import publish
from watchfloor.shared.streams.worker import create_worker_app

from tests.integration.helpers import running, wait_until
from tests.unit.console.factories import T0, article, classified

pytestmark = pytest.mark.integration


class MissileTagger:
    """Tags missile_test when the title says "missile"; nothing otherwise."""

    def classify_article(self, article: Article) -> Classification:
        tags = []
        if "missile" in article.title.lower():
            tags.append(TagMatch(tag="missile_test", confidence=0.9, evidence=article.title))
        return Classification(tags=tags, classifier_version="fake-1")


async def _ids(redis_client, stream: str) -> list[str]:
    return [decode(fields, ClassifiedArticle).article.id
            for _, fields in await redis_client.xrange(stream)]


async def test_the_notifier_s_stream_gets_the_tagged_and_the_record_the_rest(
        settings, keys, redis_client):
    titles = {"a1": "Harvest festival opens", "a2": "Missile launched from the coast",
              "a3": "Council votes on the budget"}
    for article_id, title in titles.items():
        await redis_client.xadd(keys.articles, encode(Article(id=article_id, title=title)))
    app = create_worker_app(settings, [lambda rt: classifier_parts(rt, MissileTagger())])
    async with running(app):
        async def classified_all() -> bool:
            return int(await redis_client.hget(keys.metrics, "classified") or 0) == 3
        await wait_until(classified_all, what="3 articles classified")

    assert await _ids(redis_client, keys.classified) == ["a2"]
    assert await _ids(redis_client, keys.untagged) == ["a1", "a3"]
    assert (await redis_client.xinfo_groups(keys.untagged)) == []  # no stage reads it as work
    # the console still finds every article
    found = await find_classified(redis_client, keys, "a3")
    assert found is not None and found.article.title == titles["a3"]
    assert not found.classification.tags


async def test_the_untagged_record_is_kept_to_about_stream_maxlen(settings, keys, redis_client):
    for n in range(450):
        await redis_client.xadd(keys.articles, encode(Article(id=f"q{n}", title="Quiet day")))
    app = create_worker_app(settings.model_copy(update={"stream_maxlen": 100}),
                            [lambda rt: classifier_parts(rt, MissileTagger())])
    async with running(app):
        async def classified_all() -> bool:
            return int(await redis_client.hget(keys.metrics, "classified") or 0) == 450
        await wait_until(classified_all, what="450 articles classified")
    # trimmed as it grows (MAXLEN ~: whole nodes of entries at a time), the newest kept
    length = await redis_client.xlen(keys.untagged)
    assert 100 <= length < 300
    newest = await redis_client.xrevrange(keys.untagged, count=1)
    assert decode(newest[0][1], ClassifiedArticle).article.id == "q449"


async def test_the_console_reads_an_article_s_latest_version_from_either_stream(
        keys, redis_client):
    # one story: a tagged first report, an untagged follow-up, then the
    # follow-up classified again (a retry) with a tag
    first = classified(article("s-1"), at=T0)
    follow_up = article("s-2", story_id="s-1", title="Follow-up report")
    await publish(redis_client, keys.classified, [first])
    await publish(redis_client, keys.untagged,
                  [classified(follow_up, tags=[], at=T0 + timedelta(minutes=1))])
    found = await find_classified(redis_client, keys, "s-2")
    assert found is not None and not found.classification.tags
    versions = await story_versions(redis_client, keys, "s-1")
    assert [e.message.article.id for e in versions] == ["s-1", "s-2"]

    await publish(redis_client, keys.classified, [classified(follow_up, at=T0 + timedelta(minutes=2))])
    found = await find_classified(redis_client, keys, "s-2")
    assert found is not None and found.classification.tag_ids == ["missile_test"]
    versions = await story_versions(redis_client, keys, "s-1")
    assert [(e.message.article.id, bool(e.message.classification.tags)) for e in versions] == [
        ("s-1", True), ("s-2", True)]
