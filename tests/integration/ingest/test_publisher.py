"""ArticlePublisher against a real Redis."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from watchfloor.services.ingest.identity import content_hash
from watchfloor.services.ingest.prepare import prepare_article
from watchfloor.services.ingest.publisher import ArticlePublisher, IngestOutcome
from watchfloor.shared.keys import Keys
from watchfloor.shared.schemas import Article
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.codec import decode

from tests.redis_backend import async_redis

pytestmark = pytest.mark.integration


def article(**fields: object) -> Article:
    return prepare_article(
        {"title": "Ferry service resumes", "text": "Boats sail at nine.", **fields}
    )


@pytest.fixture
def publisher(redis_client: aioredis.Redis, keys: Keys, settings: Settings) -> ArticlePublisher:
    return ArticlePublisher(redis_client, keys, settings)


async def stream_articles(redis_client: aioredis.Redis, keys: Keys) -> list[Article]:
    entries = await redis_client.xrange(keys.articles)
    decoded = [decode(fields, Article) for _, fields in entries]
    assert all(isinstance(a, Article) for a in decoded)
    return decoded  # type: ignore[return-value]


async def metrics(redis_client: aioredis.Redis, keys: Keys) -> dict[str, int]:
    raw = await redis_client.hgetall(keys.metrics)
    return {k.decode(): int(v) for k, v in raw.items()}


async def test_new_then_duplicate(
    publisher: ArticlePublisher, redis_client: aioredis.Redis, keys: Keys
) -> None:
    first = article(url="https://example.org/ferry")
    [outcome] = await publisher.publish([first])
    assert outcome.status == "new" and outcome.article_id == first.id and outcome.entry_id

    again = article(url="https://EXAMPLE.org/ferry/?utm_source=feed")  # same canonical URL
    assert again.id == first.id
    assert await publisher.publish([again]) == [IngestOutcome(first.id, "duplicate")]

    [published] = await stream_articles(redis_client, keys)
    assert published == first
    assert await metrics(redis_client, keys) == {"ingested": 1, "duplicates": 1}


async def test_a_recurring_headline_alone_is_new_on_another_day_a_copy_the_same_day(
    publisher: ArticlePublisher, redis_client: aioredis.Redis, keys: Keys
) -> None:
    # wire flashes repeat word for word for a later event: it was a duplicate for 30 days
    def flash(url: str, when: str) -> Article:
        return article(title="FLASH: North Korea fires ballistic missile into East Sea",
                       text="", url=url, published_at=when)

    first = flash("https://wire.example/flash/1", "2025-03-01T02:00:00Z")
    copy = flash("https://mirror.example/flash/1", "2025-03-01T02:05:00Z")
    next_event = flash("https://wire.example/flash/2", "2025-03-20T23:10:00Z")
    outcomes = await publisher.publish([first, copy, next_event])
    assert [o.status for o in outcomes] == ["new", "duplicate", "new"]
    assert outcomes[1].duplicate_of == first.id


async def test_same_story_under_another_url_is_a_duplicate(
    publisher: ArticlePublisher, redis_client: aioredis.Redis, keys: Keys
) -> None:
    original = article(url="https://one.example/ferry")
    mirror = article(url="https://two.example/syndicated/ferry")
    assert original.id != mirror.id
    outcomes = await publisher.publish([original, mirror])
    assert [o.status for o in outcomes] == ["new", "duplicate"]
    assert outcomes[1].duplicate_of == original.id
    assert len(await stream_articles(redis_client, keys)) == 1


async def test_edited_text_under_the_same_url_is_a_duplicate(publisher: ArticlePublisher) -> None:
    await publisher.publish([article(url="https://example.org/a")])
    edited = article(url="https://example.org/a", text="Boats sail at ten.")
    [outcome] = await publisher.publish([edited])
    assert outcome.status == "duplicate" and outcome.duplicate_of is None


async def test_batch_keeps_order_and_publishes_each_new_article_once(
    publisher: ArticlePublisher, redis_client: aioredis.Redis, keys: Keys
) -> None:
    batch = [article(title=f"Story {n}") for n in range(5)] + [article(title="Story 2")]
    outcomes = await publisher.publish(batch)
    assert [o.article_id for o in outcomes] == [a.id for a in batch]
    assert [o.status for o in outcomes] == ["new"] * 5 + ["duplicate"]
    assert [a.title for a in await stream_articles(redis_client, keys)] == [
        f"Story {n}" for n in range(5)
    ]


async def test_dedupe_keys_expire_after_the_ttl(
    publisher: ArticlePublisher, redis_client: aioredis.Redis, keys: Keys, settings: Settings
) -> None:
    item = article()
    await publisher.publish([item])
    ttl_id = await redis_client.ttl(keys.seen_article(item.id))
    ttl_content = await redis_client.ttl(keys.seen_content(content_hash(item.title, item.text)))
    assert 0 < ttl_id <= settings.dedupe_ttl_s
    assert 0 < ttl_content <= settings.dedupe_ttl_s


async def test_failed_xadd_marks_nothing_seen(
    publisher: ArticlePublisher, redis_client: aioredis.Redis, keys: Keys
) -> None:
    # A key of the wrong type makes XADD fail inside the script: the article
    # must then be neither in the stream nor marked seen, so a retry works.
    await redis_client.set(keys.articles, "not a stream")
    item = article()
    with pytest.raises(aioredis.ResponseError, match="WRONGTYPE"):
        await publisher.publish([item])
    assert not await redis_client.exists(keys.seen_article(item.id))
    assert not await redis_client.exists(keys.seen_content(content_hash(item.title, item.text)))

    await redis_client.delete(keys.articles)
    [outcome] = await publisher.publish([item])
    assert outcome.status == "new"


async def test_entry_exists_iff_article_is_marked_seen(
    publisher: ArticlePublisher, redis_client: aioredis.Redis, keys: Keys
) -> None:
    batch = [article(title=f"Item {n}", url=f"https://example.org/{n % 7}") for n in range(30)]
    await publisher.publish(batch)
    published_ids = {a.id for a in await stream_articles(redis_client, keys)}
    for item in batch:
        marked = await redis_client.exists(keys.seen_article(item.id))
        assert bool(marked) == (item.id in published_ids)
    assert len(published_ids) == 7


async def test_rejected_counter(
    publisher: ArticlePublisher, redis_client: aioredis.Redis, keys: Keys
) -> None:
    await publisher.record_rejected(3)
    await publisher.record_rejected(0)
    await publisher.record_rejected(2)
    assert await metrics(redis_client, keys) == {"rejected": 5}


async def test_empty_batch_does_nothing(
    publisher: ArticlePublisher, redis_client: aioredis.Redis, keys: Keys
) -> None:
    assert await publisher.publish([]) == []
    assert not await redis_client.exists(keys.articles)


async def test_works_with_a_decoding_client(redis_url: str, keys: Keys, settings: Settings) -> None:
    client = async_redis(redis_url, decode_responses=True)
    try:
        outcomes = await ArticlePublisher(client, keys, settings).publish([article(), article()])
        assert [o.status for o in outcomes] == ["new", "duplicate"]
    finally:
        async for key in client.scan_iter(match=f"{keys.prefix}:*"):
            await client.delete(key)
        await client.aclose()
