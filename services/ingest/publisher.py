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
from typing import Any, Literal, Protocol

from redis.asyncio import Redis
from watchfloor.services.ingest.identity import content_hash
from watchfloor.services.ingest.stories import (
    INDEX_FUNCTION,
    LOOKUP_FUNCTION,
    StoryIndex,
    StoryLookup,
    StoryParams,
)
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
_DEDUPE_AND_PUBLISH_FUNCTION = """
local function dedupe_and_publish(KEYS, ARGV)
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
end
"""
_DEDUPE_AND_PUBLISH = _DEDUPE_AND_PUBLISH_FUNCTION + "return dedupe_and_publish(KEYS, ARGV)\n"

# A few articles (a single POST at a paced rate) in one round trip instead of
# two, when they start new stories: the story lookup, and if it finds nothing
# the index's writes and each article's dedupe-and-publish, in one script.
# Otherwise nothing is written and the lookup's reply is returned, for the
# story index to decide from (then a second round trip writes, as for a batch).
# ARGV: the lookup's KEYS and ARGV counts, the index's, then the lookup's,
# the index's and 4 per article; KEYS likewise, 4 per article.
# Returns {1, {reply per article}} or {0, the lookup's reply}.
_PUBLISH_NEW_STORIES = LOOKUP_FUNCTION + INDEX_FUNCTION + _DEDUPE_AND_PUBLISH_FUNCTION + """
local function part(list, from, count)
  local out = {}
  for i = from, from + count - 1 do out[#out + 1] = list[i] end
  return out
end
local lk, la, ik, ia = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local found = story_lookup(part(KEYS, 1, lk), part(ARGV, 5, la))
for _, replies in ipairs(found) do
  for i = 1, #replies do
    if replies[i] then return {0, found} end
  end
end
if ik > 0 then story_index(part(KEYS, lk + 1, ik), part(ARGV, 5 + la, ia)) end
local out, k, a = {}, lk + ik + 1, 5 + la + ia
while k <= #KEYS do
  out[#out + 1] = dedupe_and_publish(part(KEYS, k, 4), part(ARGV, a, 4))
  k, a = k + 4, a + 4
end
return {1, out}
"""
# A group this small goes in one round trip when it can: the script carries
# its articles twice when it cannot, a cost a big batch need not pay.
ONE_TRIP_MAX_ARTICLES = 8
# Articles a caller hands to one publish at most (the API, the feed poller):
# each publish is one Redis script, which no other client waits behind for long.
PUBLISH_CHUNK = 100

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
        self._one_trip = redis.register_script(_PUBLISH_NEW_STORIES)
        self._stories = (
            StoryIndex(redis, keys, StoryParams(window_s=settings.story_window_s,
                                                threshold=settings.story_similarity))
            if settings.story_clustering else None
        )

    async def publish(self, articles: list[Article]) -> list[IngestOutcome]:
        """Outcomes in the same order as ``articles``: one round trip for a
        few articles that start new stories, else two (the story lookup, then
        the index's writes and the publishing).

        Articles are handled in order, so a repeat inside one list is a
        duplicate of its first copy. Redis errors propagate (transient:
        retrying is safe, since what was published is now a duplicate).
        """
        if not articles:
            return []
        # Confirmed by a replica before the API answers 202 (shared/replication.py).
        async with replicated(self._redis, self._keys.probe(self._keys.metrics), self._replication):
            replies = await self._publish(articles)
        # Asked once a batch: a log call costs microseconds even at a level that is off.
        debug = log.is_enabled_for(logging.DEBUG)
        return [self._outcome(a, reply, debug) for a, reply in zip(articles, replies, strict=True)]

    async def _publish(self, articles: list[Article]) -> list[Any]:
        """Each article's dedupe-and-publish reply."""
        if self._stories is None:
            pipe = self._redis.pipeline(transaction=False)
            self._queue_publish(pipe, articles)
            return await pipe.execute()
        pending = self._stories.begin(articles)
        writes = (self._stories.new_story_writes(pending)
                  if len(articles) <= ONE_TRIP_MAX_ARTICLES else None)
        if writes is None:
            lookup = await self._stories.lookup(pending)
        else:
            done, lookup = await self._publish_new_stories(pending, writes)
            if done:
                return lookup  # each article's reply
        # the index's writes go first in the same round trip
        pipe = self._redis.pipeline(transaction=False)
        articles = await self._stories.finish(pending, lookup, writes_on=pipe)
        self._queue_publish(pipe, articles)
        replies = await pipe.execute()
        return replies[len(replies) - len(articles):]  # after the index's write, if any

    async def _publish_new_stories(
        self, pending: StoryLookup, writes: tuple[list[str], list[Any]],
    ) -> tuple[bool, list[Any]]:
        """(True, each article's reply), or (False, the lookup's reply) when
        it found something and nothing was written (``_PUBLISH_NEW_STORIES``)."""
        index_keys, index_args = writes
        keys = [*pending.keys, *index_keys]
        args: list[Any] = [len(pending.keys), len(pending.args), len(index_keys), len(index_args),
                           *pending.args, *index_args]
        for article in pending.articles:
            article_keys, article_args = self._publish_request(article)
            keys += article_keys
            args += article_args
        done, reply = await self._one_trip(keys=keys, args=args)
        return bool(done), reply

    def _queue_publish(self, pipe: Any, articles: list[Article]) -> None:
        for article in articles:
            keys, args = self._publish_request(article)
            queue_script(pipe, self._script, keys=keys, args=args)

    def _publish_request(self, article: Article) -> tuple[list[str], list[Any]]:
        """KEYS and ARGV of ``_DEDUPE_AND_PUBLISH`` for ``article``."""
        return (
            [self._keys.seen_article(article.id),
             self._keys.seen_content(
                 content_hash(article.title, article.text, article.published_at)),
             self._keys.stream("articles", self._keys.partition_of(article.id)),
             self._keys.metrics],
            [self._ttl_s, article.id, DATA_FIELD, encode(article)[DATA_FIELD]],
        )

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
