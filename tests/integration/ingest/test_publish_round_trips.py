"""A single POST's article that starts a new story is looked up, indexed and
published in one round trip; anything else takes the lookup, then the writes,
with the same outcome as before. Example text is invented for these tests."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from watchfloor.services.ingest.publisher import ArticlePublisher, IngestOutcome
from watchfloor.shared.keys import Keys
from watchfloor.shared.schemas import Article
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.codec import decode

from tests.integration.ingest.test_story_index import FIRST, OTHER, SECOND

pytestmark = pytest.mark.integration


class RoundTrips:
    """Counts the commands and pipelines a client sends (each one round trip)."""

    def __init__(self, client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        send, make_pipeline = client.execute_command, client.pipeline

        async def execute_command(*args, **kwargs):
            self.count += 1
            return await send(*args, **kwargs)

        def pipeline(*args, **kwargs):
            pipe = make_pipeline(*args, **kwargs)
            run = pipe.execute

            async def execute(*a, **kw):
                self.count += 1
                return await run(*a, **kw)

            pipe.execute = execute
            return pipe

        monkeypatch.setattr(client, "execute_command", execute_command)
        monkeypatch.setattr(client, "pipeline", pipeline)


@pytest.fixture
def publisher(redis_client: aioredis.Redis, keys: Keys, settings: Settings) -> ArticlePublisher:
    # counted without the replicas' confirmation (a round trip of its own on a cluster)
    return ArticlePublisher(redis_client, keys,
                            settings.model_copy(update={"redis_wait_replicas": 0}))


async def published(redis_client: aioredis.Redis, keys: Keys) -> list[Article]:
    return [decode(fields, Article) for _, fields in await redis_client.xrange(keys.articles)]


async def test_a_new_story_goes_in_one_round_trip_and_is_indexed(
    publisher: ArticlePublisher, redis_client: aioredis.Redis, keys: Keys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await publisher.publish([OTHER])  # loads the scripts
    trips = RoundTrips(redis_client, monkeypatch)
    [outcome] = await publisher.publish([FIRST])
    assert trips.count == 1
    assert outcome.status == "new" and outcome.entry_id
    assert [a.id for a in await published(redis_client, keys)] == [OTHER.id, FIRST.id]
    # indexed as its own story: a version found later points to it
    assert await redis_client.exists(keys.story_article(FIRST.id))
    [version] = await publisher.publish([SECOND])
    assert version.status == "new"
    assert (await published(redis_client, keys))[-1].story_id == FIRST.id


async def test_a_version_a_repeat_and_a_batch_of_versions_take_the_lookup_first(
    publisher: ArticlePublisher, redis_client: aioredis.Redis, keys: Keys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await publisher.publish([FIRST])
    trips = RoundTrips(redis_client, monkeypatch)
    await publisher.publish([SECOND])  # a version of FIRST: the index decides its story
    # as before: the lookup (the one-trip attempt's reply), the records of the
    # articles it found, then the writes
    assert trips.count == 3
    assert (await published(redis_client, keys))[-1].story_id == FIRST.id
    assert await publisher.publish([FIRST]) == [IngestOutcome(FIRST.id, "duplicate")]
    assert len(await published(redis_client, keys)) == 2


async def test_versions_within_one_small_post_are_one_story(
    publisher: ArticlePublisher, redis_client: aioredis.Redis, keys: Keys,
) -> None:
    # the two share buckets: the second is judged against the first, not both new
    outcomes = await publisher.publish([FIRST, OTHER, SECOND])
    assert [o.status for o in outcomes] == ["new", "new", "new"]
    assert [a.story_id for a in await published(redis_client, keys)] == [None, None, FIRST.id]
