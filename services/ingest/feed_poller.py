"""Polls the configured RSS/Atom feeds on a schedule and publishes new items.

Run by the ingest worker as a periodic job (``poll_due`` every few seconds).
Each round polls only the feeds whose next poll time has come:

- Schedule and per-feed state live in Redis (``keys.feed_state``), so every
  ingest copy sees the same schedule; a short lease per feed (on
  ``keys.feed_lease``, see ``shared.leases``) makes sure one copy polls a
  feed at a time, and the schedule is read again under the lease, so a feed
  another copy has just polled is not polled twice.
- Fetches are conditional (If-None-Match / If-Modified-Since from the stored
  ETag / Last-Modified): 304, or a body identical to the last one, is
  "not modified" and nothing is parsed. Fetching uses an explicit timeout, a
  total deadline (``fetch_deadline_s``), a size cap and a clear User-Agent,
  and refuses non-public addresses, redirects included, unless
  ``WATCHFLOOR_TARGET_ALLOWLIST`` opens them (``services.ingest.fetching``).
- Items go through the same parsing and ``prepare_article`` as every other
  input, then through the publisher, whose atomic dedupe turns items already
  published into counted duplicates. The new ETag is stored only after the
  items are published: a failure in between means the next poll fetches the
  whole feed again instead of losing items.
- A failing feed is retried with exponential backoff (from its interval,
  doubling, capped at an hour; a longer Retry-After is honoured) and never
  stops the other feeds. Errors are logged with the feed's URL minus any
  credentials.

Metrics (``keys.metrics``): ``feed_polls`` (every fetch attempted),
``feed_items_new``, ``feed_errors``.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from redis.asyncio import Redis
from watchfloor.services.ingest.feed_sources import FeedSource, load_feeds
from watchfloor.services.ingest.feeds import (
    MAX_FEED_BYTES,
    FeedUnavailable,
    parse_feed,
)
from watchfloor.services.ingest.fetching import FETCH_ERRORS, describe_error, http_client
from watchfloor.services.ingest.files import FileArticle, Rejection
from watchfloor.services.ingest.publisher import PUBLISH_CHUNK, ArticleSink
from watchfloor.shared.addresses import AddressPolicy
from watchfloor.shared.downloads import BodyRefused, read_download
from watchfloor.shared.errors import Unavailable
from watchfloor.shared.http import parse_retry_after
from watchfloor.shared.keys import Keys
from watchfloor.shared.leases import release, single_lease
from watchfloor.shared.logging import get_logger
from watchfloor.shared.redis_replies import as_str, as_str_dict
from watchfloor.shared.settings import Settings

log = get_logger("watchfloor.ingest.feeds")

USER_AGENT = "Watchfloor/0.1 (+news alerting)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5"
)
MAX_BACKOFF_S = 3600.0
MAX_RETRY_AFTER_S = 6 * 3600.0  # a server asking for longer is not taken at its word
STATE_TTL_S = 30 * 24 * 3600  # state of a feed nobody polls any more fades away
DEFAULT_CONCURRENCY = 8

PollStatus = Literal["ok", "not_modified", "failed"]


# --- fetching ---------------------------------------------------------------


@dataclass(frozen=True)
class FetchResult:
    """A fetched feed document (status 200) or "not modified" (304)."""

    status: int
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    url: str | None = None  # after redirects: the base of the feed's relative links


class FeedFetchError(Unavailable):
    """The feed could not be fetched. The message never holds the URL."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


Fetch = Callable[[str, Mapping[str, str]], Awaitable[FetchResult]]


class HttpFeedFetcher:
    """``fetch(url, headers)`` over one pooled ``httpx.AsyncClient``.

    ``timeout_s`` bounds each step, ``deadline_s`` (default three steps) the
    whole fetch; ``addresses`` says which non-public addresses feeds may
    reach (none by default)."""

    def __init__(
        self, *, timeout_s: float, deadline_s: float | None = None,
        addresses: AddressPolicy | None = None, max_bytes: int = MAX_FEED_BYTES,
        now: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,  # tests: httpx.MockTransport
    ) -> None:
        self._timeout_s = timeout_s
        self._deadline_s = deadline_s if deadline_s is not None else timeout_s * 3
        self._max_bytes = max_bytes
        self._now = now
        self._client = http_client(
            timeout_s=timeout_s,
            addresses=addresses or AddressPolicy(),
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
            max_connections=DEFAULT_CONCURRENCY * 2,
            transport=transport,
        )

    async def __call__(self, url: str, headers: Mapping[str, str]) -> FetchResult:
        # httpx's timeout bounds each step; this bounds the whole (slow drip) download.
        try:
            async with asyncio.timeout(self._deadline_s):
                return await self._fetch(url, headers)
        except FETCH_ERRORS as exc:
            reason = describe_error(exc, timeout_s=self._timeout_s, deadline_s=self._deadline_s)
            raise FeedFetchError(reason) from None

    async def _fetch(self, url: str, headers: Mapping[str, str]) -> FetchResult:
        async with self._client.stream("GET", url, headers=dict(headers)) as response:
            if response.status_code == 304:
                return FetchResult(304, etag=response.headers.get("etag"),
                                   last_modified=response.headers.get("last-modified"))
            if response.status_code != 200:
                raise FeedFetchError(
                    f"HTTP {response.status_code}",
                    retry_after_s=parse_retry_after(
                        response.headers.get("retry-after"), now=self._now(),
                        cap=MAX_RETRY_AFTER_S,
                    ),
                )
            try:
                body = await read_download(response, self._max_bytes, f"{self._max_bytes} bytes")
            except BodyRefused as exc:
                raise FeedFetchError(str(exc)) from None
            return FetchResult(
                200, body,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                content_type=response.headers.get("content-type"),
                url=str(response.url),
            )

    async def aclose(self) -> None:
        await self._client.aclose()


# --- pure parts -------------------------------------------------------------


def conditional_headers(state: Mapping[str, str]) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the validators stored for a feed."""
    headers: dict[str, str] = {}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    return headers


def backoff_delay(interval_s: float, failures: int, cap_s: float = MAX_BACKOFF_S) -> float:
    """Seconds until the next poll after ``failures`` failures in a row.

    0 failures: the feed's interval. Then the interval, doubling with each
    further failure, capped at ``cap_s`` (or the interval, if that is longer:
    a failing feed is never polled more often than a healthy one).
    """
    if failures <= 0:
        return interval_s
    return min(interval_s * 2.0 ** min(failures - 1, 32), max(cap_s, interval_s))


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def due_at(state: Mapping[str, str], interval_s: float) -> float:
    """When a feed is next due (0: now). A shortened interval takes effect at once."""
    next_due = _float(state.get("next_due_at"))
    if next_due is None:
        return 0.0
    failures = int(_float(state.get("consecutive_failures")) or 0)
    last_polled = _float(state.get("last_polled_at"))
    if failures == 0 and last_polled is not None:
        return min(next_due, last_polled + interval_s)
    return next_due


# --- the poller -------------------------------------------------------------


@dataclass(frozen=True)
class FeedPollResult:
    """What one poll of one feed did."""

    feed_id: str
    url: str  # redacted
    name: str | None
    status: PollStatus
    items: int = 0
    new: int = 0
    duplicates: int = 0
    rejected: int = 0
    error: str | None = None
    next_due_at: float = 0.0


def load_configured_feeds(settings: Settings, env: Mapping[str, str]) -> list[FeedSource]:
    """The feeds of ``settings.feeds_file`` (none when unset); ``FeedConfigError``."""
    if settings.feeds_file is None:
        return []
    return load_feeds(settings.feeds_file, default_interval_s=settings.feed_interval_s, env=env,
                      addresses=settings.address_policy)


class FeedPoller:
    """Polls due feeds, publishes their new items, keeps their state in Redis."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        settings: Settings,
        publisher: ArticleSink,
        *,
        feeds: Sequence[FeedSource] | None = None,
        fetch: Fetch | None = None,
        now: Callable[[], float] = time.time,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._publisher = publisher
        # Without ``feeds``, the feeds file is read here (no ${VAR} expansion).
        self.feeds = list(feeds) if feeds is not None else load_configured_feeds(settings, {})
        self._own_fetcher = HttpFeedFetcher(
            timeout_s=settings.feed_timeout_s, deadline_s=settings.fetch_deadline_s,
            addresses=settings.address_policy, now=now,
        ) if fetch is None else None
        self._fetch: Fetch = fetch or self._own_fetcher  # type: ignore[assignment]
        self._now = now
        self._timeout_s = settings.feed_timeout_s
        self._deadline_s = settings.fetch_deadline_s
        self._lease_s = math.ceil(settings.fetch_deadline_s) + 60
        self._semaphore = asyncio.Semaphore(max(1, concurrency))

    async def aclose(self) -> None:
        if self._own_fetcher is not None:
            await self._own_fetcher.aclose()

    async def poll_due(self) -> list[FeedPollResult]:
        """Poll every feed that is due and not being polled elsewhere."""
        if not self.feeds:
            return []
        now = self._now()
        states = await self._states(self.feeds)
        due = [f for f in self.feeds if due_at(states[f.feed_id], f.interval_s) <= now]
        results = await asyncio.gather(*(self._poll_guarded(f) for f in due))
        return [r for r in results if r is not None]

    async def _states(self, feeds: Sequence[FeedSource]) -> dict[str, dict[str, str]]:
        pipe = self._redis.pipeline(transaction=False)
        for feed in feeds:
            pipe.hgetall(self._keys.feed_state(feed.feed_id))
        replies = await pipe.execute()
        return {f.feed_id: as_str_dict(r) for f, r in zip(feeds, replies, strict=True)}

    async def _poll_guarded(self, feed: FeedSource) -> FeedPollResult | None:
        async with self._semaphore:
            lease = single_lease(self._redis, self._keys.feed_lease(feed.feed_id), self._lease_s)
            try:
                if not await lease.acquire():
                    return None  # another copy is polling it
            except Exception as exc:  # Redis trouble: this round is skipped for the feed
                log.error("feed_lease_failed", feed=feed.display_url, error=repr(exc))
                return None
            try:
                # Read again under the lease: another copy may have just polled it.
                state = (await self._states([feed]))[feed.feed_id]
                if due_at(state, feed.interval_s) > self._now():
                    return None
                return await self._poll(feed, state)
            except Exception as exc:  # e.g. Redis failed mid-way: keep the others going
                log.error("feed_poll_crashed", feed=feed.display_url, error=repr(exc))
                return None
            finally:
                try:
                    await release(lease)
                except Exception as exc:  # it expires on its own
                    log.warning("feed_lease_release_failed", feed=feed.display_url,
                                error=repr(exc))

    async def _poll(self, feed: FeedSource, state: dict[str, str]) -> FeedPollResult:
        started = self._now()
        try:
            fetched = await self._fetch(feed.url, conditional_headers(state))
            if fetched.status == 304:
                return await self._record_unchanged(feed, state, started, fetched)
            body_hash = hashlib.sha256(fetched.body).hexdigest()
            if body_hash == state.get("body_hash") and not int(
                _float(state.get("consecutive_failures")) or 0
            ):
                return await self._record_unchanged(feed, state, started, fetched)
            items = await asyncio.to_thread(
                parse_feed, fetched.body, feed.display_url, base_url=fetched.url or feed.url,
                source=feed.name, content_type=fetched.content_type,
                now=datetime.fromtimestamp(started, UTC),
            )
            articles = [i.article for i in items if isinstance(i, FileArticle)]
            outcomes = []
            # in chunks, as the API publishes: one call for a 30,000-item feed
            # was one Redis script blocking every other client for seconds
            for start in range(0, len(articles), PUBLISH_CHUNK):
                outcomes += await self._publisher.publish(articles[start:start + PUBLISH_CHUNK])
        except FeedFetchError as exc:
            return await self._record_failure(feed, state, started, str(exc), exc.retry_after_s)
        except FeedUnavailable as exc:
            return await self._record_failure(feed, state, started, str(exc), None)
        except Exception as exc:  # a bug or a Redis error: the feed is retried later
            reason = describe_error(exc, timeout_s=self._timeout_s, deadline_s=self._deadline_s)
            return await self._record_failure(feed, state, started, reason, None)

        new = sum(1 for o in outcomes if o.status == "new")
        rejected = [i for i in items if isinstance(i, Rejection)]
        for rejection in rejected:
            log.debug("feed_item_rejected", feed=feed.display_url, item=str(rejection))
        next_due = started + feed.interval_s
        await self._write(
            feed, started, metrics={"feed_polls": 1, "feed_items_new": new},
            fields={
                "last_ok_at": started, "last_status": "ok", "consecutive_failures": 0,
                "next_due_at": next_due, "body_hash": body_hash,
                "last_items": len(items), "last_new": new,
                "etag": fetched.etag, "last_modified": fetched.last_modified,
            },
        )
        result = FeedPollResult(
            feed.feed_id, feed.display_url, feed.name, "ok", items=len(items), new=new,
            duplicates=len(outcomes) - new, rejected=len(rejected), next_due_at=next_due,
        )
        log.info("feed_polled", feed=feed.display_url, items=len(items), new=new,
                 duplicates=result.duplicates, rejected=len(rejected))
        return result

    async def _record_unchanged(
        self, feed: FeedSource, state: dict[str, str], started: float, fetched: FetchResult
    ) -> FeedPollResult:
        next_due = started + feed.interval_s
        fields: dict[str, Any] = {
            "last_ok_at": started, "last_status": "not_modified",
            "consecutive_failures": 0, "next_due_at": next_due, "last_new": 0,
        }
        # A 304 may carry refreshed validators; keep the old ones otherwise.
        if fetched.etag:
            fields["etag"] = fetched.etag
        if fetched.last_modified:
            fields["last_modified"] = fetched.last_modified
        await self._write(feed, started, fields=fields, metrics={"feed_polls": 1})
        log.debug("feed_not_modified", feed=feed.display_url)
        return FeedPollResult(feed.feed_id, feed.display_url, feed.name, "not_modified",
                              next_due_at=next_due)

    async def _record_failure(
        self, feed: FeedSource, state: dict[str, str], started: float, error: str,
        retry_after_s: float | None,
    ) -> FeedPollResult:
        failures = int(_float(state.get("consecutive_failures")) or 0) + 1
        delay = backoff_delay(feed.interval_s, failures)
        if retry_after_s is not None:
            delay = max(delay, min(retry_after_s, MAX_RETRY_AFTER_S))
        next_due = started + delay
        log.warning("feed_poll_failed", feed=feed.display_url, error=error,
                    consecutive_failures=failures, retry_in_s=round(delay, 1))
        await self._write(
            feed, started, metrics={"feed_polls": 1, "feed_errors": 1},
            fields={
                "last_status": "failed", "last_error": error, "last_error_at": started,
                "consecutive_failures": failures, "next_due_at": next_due,
            },
        )
        return FeedPollResult(feed.feed_id, feed.display_url, feed.name, "failed",
                              error=error, next_due_at=next_due)

    async def _write(
        self, feed: FeedSource, polled_at: float, *, fields: Mapping[str, Any],
        metrics: Mapping[str, int],
    ) -> None:
        key = self._keys.feed_state(feed.feed_id)
        values: dict[str, Any] = {
            "url": feed.display_url, "name": feed.name or "", "interval_s": feed.interval_s,
            "last_polled_at": polled_at,
        }
        values.update({k: v for k, v in fields.items() if v is not None})
        cleared = [k for k, v in fields.items() if v is None]
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(key, mapping=values)
        if cleared:
            pipe.hdel(key, *cleared)
        pipe.expire(key, STATE_TTL_S)
        pipe.sadd(self._keys.feeds, feed.feed_id)
        for name, amount in metrics.items():
            if amount:
                pipe.hincrby(self._keys.metrics, name, amount)
        await pipe.execute()


# --- status -----------------------------------------------------------------

_FLOAT_FIELDS = ("interval_s", "last_polled_at", "last_ok_at", "last_error_at", "next_due_at")
_INT_FIELDS = ("consecutive_failures", "last_items", "last_new")


async def feed_states(redis: Redis, keys: Keys) -> list[dict[str, Any]]:
    """Every polled feed's state (URLs redacted), sorted by URL, for status output.

    Times are unix seconds; ``last_error`` is the latest error, which may be
    older than ``last_ok_at`` (then ``consecutive_failures`` is 0).
    """
    ids = sorted(as_str(i) for i in await redis.smembers(keys.feeds))
    if not ids:
        return []
    pipe = redis.pipeline(transaction=False)
    for fid in ids:
        pipe.hgetall(keys.feed_state(fid))
    replies = await pipe.execute()
    states: list[dict[str, Any]] = []
    gone: list[str] = []
    for fid, raw in zip(ids, replies, strict=True):
        if not raw:
            gone.append(fid)  # expired: not polled for STATE_TTL_S
            continue
        state: dict[str, Any] = as_str_dict(raw)
        state.pop("body_hash", None)
        for name in _FLOAT_FIELDS:
            if name in state:
                state[name] = _float(state[name])
        for name in _INT_FIELDS:
            if name in state:
                state[name] = int(_float(state[name]) or 0)
        state["name"] = state.get("name") or None
        state["feed_id"] = fid
        states.append(state)
    if gone:
        await redis.srem(keys.feeds, *gone)
    return sorted(states, key=lambda s: (s.get("url") or "", s["feed_id"]))
