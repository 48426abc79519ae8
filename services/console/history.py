"""What the console reads: the alert history the ``match`` stage keeps, the
classified stream (tagged articles, the notifier's input) and the record of
untagged ones beside it, all as ``shared/pipeline.py`` names them.

Every read is bounded (``scan_limit`` entries) and newest first unless said
otherwise. An entry that does not decode is skipped: the console shows what
it can. Where a scan looks for one article or story, entries are first
tested on their raw bytes, so only candidates are parsed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel
from watchfloor.shared.keys import Keys
from watchfloor.shared.pipeline import stage
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.schemas import Alert, ClassifiedArticle
from watchfloor.shared.streams.codec import MalformedEntry, decode
from watchfloor.shared.streams.groups import id_order

if TYPE_CHECKING:
    import redis.asyncio as aioredis

M = TypeVar("M", bound=BaseModel)
PAGE = 500
DEFAULT_SCAN_LIMIT = 20_000


def history_stream(keys: Keys) -> str:
    """The alert history (the ``match`` stage's record)."""
    return stage("match").records(keys)


def classified_stream(keys: Keys, partition: int = 0) -> str:
    """Tagged articles: the only ones a watchlist can match."""
    return stage("classify").writes(keys, partition)


def classified_streams(keys: Keys) -> list[str]:
    """The classified stream of every partition."""
    return [classified_stream(keys, p) for p in range(keys.partitions)]


def article_streams(keys: Keys, partition: int) -> list[str]:
    """Every classified article of a partition: the tagged, then the untagged."""
    return [classified_stream(keys, partition), stage("classify").records(keys, partition)]


def entry_time(entry_id: str) -> datetime:
    return datetime.fromtimestamp(int(entry_id.split("-")[0]) / 1000, UTC)


def time_id(moment: datetime) -> str:
    """The smallest stream id at or after ``moment``."""
    return f"{int(moment.timestamp() * 1000)}-0"


@dataclass(frozen=True)
class Entry(Generic[M]):
    entry_id: str
    message: M

    @property
    def time(self) -> datetime:
        return entry_time(self.entry_id)


def _decoded(entry_id: Any, fields: dict[Any, Any], model: type[M]) -> Entry[M] | None:
    message = decode(fields, model)
    if isinstance(message, MalformedEntry):
        return None
    return Entry(as_str(entry_id), message)


async def scan_back(
    redis: aioredis.Redis, stream: str, model: type[M], *, before: str | None = None,
    oldest: str = "-", contains: bytes | None = None, scan_limit: int = DEFAULT_SCAN_LIMIT,
) -> AsyncIterator[Entry[M]]:
    """Entries newest first, from just before ``before`` back to ``oldest``,
    at most ``scan_limit`` of them read; ``contains`` skips the entries whose
    raw fields lack those bytes."""
    top = f"({before}" if before else "+"
    read = 0
    while read < scan_limit:
        page = await redis.xrevrange(stream, max=top, min=oldest, count=min(PAGE, scan_limit - read))
        if not page:
            return
        read += len(page)
        for entry_id, fields in page:
            if contains is not None and not any(contains in v for v in fields.values()
                                                if isinstance(v, bytes)):
                continue
            entry = _decoded(entry_id, fields, model)
            if entry is not None:
                yield entry
        top = f"({as_str(page[-1][0])}"


async def recent_alerts(
    redis: aioredis.Redis, keys: Keys, *, accept: Callable[[Alert], bool], limit: int,
    before: str | None = None, oldest: str = "-", scan_limit: int = DEFAULT_SCAN_LIMIT,
) -> tuple[list[Entry[Alert]], str | None]:
    """Up to ``limit`` accepted alerts, newest first, one per alert id, and the
    entry id to continue from (None when the history ends there)."""
    found: list[Entry[Alert]] = []
    seen: set[str] = set()
    last: str | None = None
    async for entry in scan_back(redis, history_stream(keys), Alert, before=before,
                                 oldest=oldest, scan_limit=scan_limit):
        last = entry.entry_id
        if entry.message.id in seen or not accept(entry.message):
            continue
        seen.add(entry.message.id)
        found.append(entry)
        if len(found) == limit:
            return found, last
    return found, None


async def last_entry_id(redis: aioredis.Redis, stream: str) -> str:
    """The newest entry's id, "0-0" for an empty stream: where a tail starts."""
    page = await redis.xrevrange(stream, count=1)
    return as_str(page[0][0]) if page else "0-0"


async def alerts_after(
    redis: aioredis.Redis, keys: Keys, after: str, *, block_ms: int, count: int = 100,
) -> tuple[list[Entry[Alert]], str]:
    """Alerts added after entry ``after`` (waiting up to ``block_ms`` for the
    first), and the id to continue from."""
    reply = await redis.xread({history_stream(keys): after}, count=count, block=block_ms)
    entries: list[Entry[Alert]] = []
    for _, page in reply or []:
        for entry_id, fields in page:
            after = as_str(entry_id)
            entry = _decoded(entry_id, fields, Alert)
            if entry is not None:
                entries.append(entry)
    return entries, after


def _quoted(value: str) -> bytes:
    return f'"{value}"'.encode()


async def story_alerts(redis: aioredis.Redis, keys: Keys, story_id: str, *,
                       scan_limit: int = DEFAULT_SCAN_LIMIT) -> list[Entry[Alert]]:
    """Every alert of the story still in the history, oldest first."""
    found = [
        entry async for entry in scan_back(redis, history_stream(keys), Alert,
                                           contains=_quoted(story_id), scan_limit=scan_limit)
        if (entry.message.article.story_id or entry.message.article.id) == story_id
    ]
    return found[::-1]


async def story_versions(redis: aioredis.Redis, keys: Keys, story_id: str, *,
                         scan_limit: int = DEFAULT_SCAN_LIMIT) -> list[Entry[ClassifiedArticle]]:
    """Every version of the story still kept, tagged or not, oldest first
    (one per article id: a re-classified article counts once, its latest)."""
    by_article: dict[str, Entry[ClassifiedArticle]] = {}
    for partition in range(keys.partitions):  # versions have other ids: any partition
        for stream in article_streams(keys, partition):
            async for entry in scan_back(redis, stream, ClassifiedArticle,
                                         contains=_quoted(story_id), scan_limit=scan_limit):
                article = entry.message.article
                if (article.story_id or article.id) == story_id:
                    if _newer(entry, by_article.get(article.id)):
                        by_article[article.id] = entry
                    if article.id == story_id:
                        break  # the first version: nothing older belongs to the story
    return sorted(by_article.values(), key=lambda e: (e.message.classified_at, e.entry_id))


async def find_classified(redis: aioredis.Redis, keys: Keys, article_id: str, *,
                          scan_limit: int = DEFAULT_SCAN_LIMIT) -> ClassifiedArticle | None:
    """The article's latest classification still kept, tagged or not."""
    latest: Entry[ClassifiedArticle] | None = None
    for stream in article_streams(keys, keys.partition_of(article_id)):
        async for entry in scan_back(redis, stream, ClassifiedArticle,
                                     contains=_quoted(article_id), scan_limit=scan_limit):
            if entry.message.article.id == article_id:
                if _newer(entry, latest):
                    latest = entry
                break  # newest first: the stream's latest
    return latest.message if latest is not None else None


def _newer(entry: Entry[M], than: Entry[M] | None) -> bool:
    """A re-classified article may have a version in each stream: the later wins."""
    return than is None or id_order(entry.entry_id) > id_order(than.entry_id)


@dataclass(frozen=True)
class Retention:
    """How far back the classified stream (the tagged articles) goes."""

    length: int
    oldest: datetime | None


async def classified_retention(redis: aioredis.Redis, keys: Keys) -> Retention:
    length, oldest = 0, None
    for stream in classified_streams(keys):
        first = await redis.xrange(stream, count=1)
        length += int(await redis.xlen(stream))
        if first:
            at = entry_time(as_str(first[0][0]))
            oldest = at if oldest is None else min(oldest, at)
    return Retention(length, oldest)
