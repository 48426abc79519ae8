"""Dedupe and publish in one atomic step per article.

One Lua script checks the dedupe keys, appends the article to the articles
stream and only then sets the keys. Redis runs a script as one command, and
does not roll back the writes a failing script already made, so the order
matters: XADD comes first, and if it fails nothing is marked seen. A crash
can therefore never leave an article marked seen but unpublished, and
ingesting the same input again is a harmless no-op reported as duplicate.

The stream is never trimmed here: trimming safely needs to know what every
consumer group has acknowledged, which the maintenance loop does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, Protocol

from redis.asyncio import Redis
from watchfloor.services.ingest.identity import content_hash
from watchfloor.services.ingest.stories import StoryIndex, StoryParams
from watchfloor.shared.keys import Keys
from watchfloor.shared.logging import get_logger
from watchfloor.shared.redis_client import queue_script
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.replication import Replication, replicated
from watchfloor.shared.schemas import Article
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.codec import DATA_FIELD, encode

log = get_logger("watchfloor.ingest")

# KEYS: seen-article key, seen-content key, articles stream, metrics hash
# ARGV: TTL seconds, article id, stream field name, article JSON
# Returns {"new", entry id} or {"duplicate", id of the article first seen}.
_DEDUPE_AND_PUBLISH = """
local original = redis.call('GET', KEYS[1])
if not original then
  original = redis.call('GET', KEYS[2])
end
if original then
  redis.call('HINCRBY', KEYS[4], 'duplicates', 1)
  return {'duplicate', original}
end
local entry_id = redis.call('XADD', KEYS[3], '*', ARGV[3], ARGV[4])
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[1])
redis.call('HINCRBY', KEYS[4], 'ingested', 1)
return {'new', entry_id}
"""

Status = Literal["new", "duplicate"]


@dataclass(frozen=True)
class IngestOutcome:
    """What happened to one article. ``duplicate_of`` names the article first
    seen when the duplicate was caught by content under another id."""

    article_id: str
    status: Status
    entry_id: str | None = None  # stream entry id, for new articles
    duplicate_of: str | None = None


class ArticleSink(Protocol):
    """What the HTTP API and the CLI need from a publisher (tests fake it)."""

    async def publish(self, articles: list[Article]) -> list[IngestOutcome]: ...

    async def record_rejected(self, count: int) -> None: ...


class ArticlePublisher:
    """Publishes normalised articles to their partition's articles stream, each at most once
    per ``settings.dedupe_ttl_s`` (by id and by content)."""

    def __init__(self, redis: Redis, keys: Keys, settings: Settings) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl_s = settings.dedupe_ttl_s
        self._replication = Replication.from_settings(settings)
        self._script = redis.register_script(_DEDUPE_AND_PUBLISH)
        self._stories = (
            StoryIndex(redis, keys, StoryParams(window_s=settings.story_window_s,
                                                threshold=settings.story_similarity))
            if settings.story_clustering else None
        )

    async def publish(self, articles: list[Article]) -> list[IngestOutcome]:
        """One round trip for the whole list; outcomes in the same order.

        Articles are handled in order, so a repeat inside one list is a
        duplicate of its first copy. Redis errors propagate (transient:
        retrying is safe, since what was published is now a duplicate).
        """
        if not articles:
            return []
        pipe = self._redis.pipeline(transaction=False)
        if self._stories is not None:  # the index's writes go first in the same round trip
            articles = await self._stories.assign(articles, writes_on=pipe)
        for article in articles:
            queue_script(
                pipe, self._script,
                keys=[
                    self._keys.seen_article(article.id),
                    self._keys.seen_content(content_hash(article.title, article.text)),
                    self._keys.stream("articles", self._keys.partition_of(article.id)),
                    self._keys.metrics,
                ],
                args=[self._ttl_s, article.id, DATA_FIELD, encode(article)[DATA_FIELD]],
            )
        # Confirmed by a replica before the API answers 202 (shared/replication.py).
        async with replicated(self._redis, self._keys.probe(self._keys.metrics), self._replication):
            replies = await pipe.execute()
        replies = replies[len(replies) - len(articles):]  # after the index's write, if any
        # Asked once a batch: a log call costs microseconds even at a level that is off.
        debug = log.is_enabled_for(logging.DEBUG)
        return [self._outcome(a, reply, debug) for a, reply in zip(articles, replies, strict=True)]

    async def record_rejected(self, count: int) -> None:
        """Count input articles refused before publishing (invalid input)."""
        if count > 0:
            await self._redis.hincrby(self._keys.metrics, "rejected", count)

    @staticmethod
    def _outcome(article: Article, reply: list[bytes | str], debug: bool) -> IngestOutcome:
        status, detail = as_str(reply[0]), as_str(reply[1])
        if status == "new":
            if debug:
                log.debug("article_published", article_id=article.id, entry_id=detail)
            return IngestOutcome(article.id, "new", entry_id=detail)
        duplicate_of = detail if detail != article.id else None
        if debug:
            log.debug("article_duplicate", article_id=article.id, duplicate_of=duplicate_of)
        return IngestOutcome(article.id, "duplicate", duplicate_of=duplicate_of)
