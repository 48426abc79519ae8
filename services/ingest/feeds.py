"""Articles from RSS and Atom feeds, given as a URL or a local file.

Each entry becomes an input article (title, text from content or summary
with the HTML removed, link, feed title as source, published or updated
time, entry id) and then goes through ``prepare_article`` like any other, so
feed items are judged and deduplicated exactly as files and HTTP posts are.
Needs the optional ``feedparser`` package. Fetching
(``services.ingest.fetching``) has a total deadline and refuses non-public
addresses, redirects included; messages show URLs without their credentials.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from watchfloor.services.ingest.feed_dates import entry_date
from watchfloor.services.ingest.fetching import FETCH_ERRORS, describe_error, http_client
from watchfloor.services.ingest.files import FileArticle, FileItem, Rejection
from watchfloor.services.ingest.html_text import html_to_text, looks_like_html
from watchfloor.services.ingest.prepare import prepare_article
from watchfloor.services.ingest.problems import ArticleRejected
from watchfloor.services.ingest.raw import MAX_SHORT_CHARS
from watchfloor.shared.addresses import AddressPolicy
from watchfloor.shared.downloads import BodyRefused, read_download
from watchfloor.shared.errors import Unavailable
from watchfloor.shared.urls import looks_like_http_url, redact_credentials

MAX_FEED_BYTES = 20 << 20
USER_AGENT = "watchfloor-ingest/0.1"
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_DEADLINE_S = 30.0


class FeedUnavailable(Unavailable):
    """The feed could not be fetched or is not a feed at all."""


def load_feedparser() -> Any:
    try:
        import feedparser
    except ImportError:
        raise FeedUnavailable(
            "reading feeds needs the feedparser package: pip install feedparser"
        ) from None
    return feedparser


def _source_id(value: Any) -> str | None:
    """The entry's id, as ingest keeps it: one longer than ingest takes (a
    Google News guid runs to hundreds of characters) by its hash, not the
    whole article refused over metadata."""
    if value is None:
        return None
    text = str(value)
    if len(text) <= MAX_SHORT_CHARS:
        return text
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def entry_to_raw(entry: Any, feed_title: str | None) -> dict[str, Any]:
    """The input-article fields of one feed entry (before validation)."""
    # the first content with words in it, else the summary: an empty
    # <content> or one holding only a picture must not stand for the text
    # (the article then went out bare, and as a bare headline was taken for
    # another item with that headline)
    bodies = [c.get("value") or "" for c in entry.get("content") or []]
    bodies.append(entry.get("summary") or "")
    text = next((t for t in map(html_to_text, bodies) if t.strip()), "")
    title = entry.get("title", "")
    link = entry.get("link")
    # feedparser copies a <guid> or Atom <id> into the link of an entry that
    # has none ("20240506-0001", "urn:uuid:..."): that is no address, and as
    # one it refused the whole article; the id is kept as source_id anyway
    if entry.get("guidislink") and not looks_like_http_url(str(link or "")):
        link = None
    return {
        "title": html_to_text(title) if looks_like_html(title) else title,
        "text": text,
        "url": link,
        "source": feed_title,
        "published_at": entry_date(entry),
        "id": _source_id(entry.get("id")),
    }


def parse_feed(
    content: bytes,
    name: str,
    *,
    base_url: str | None = None,
    source: str | None = None,
    content_type: str | None = None,
    now: datetime | None = None,
) -> list[FileItem]:
    """Items of a feed document; ``name`` (URL or path) is used in locations.

    ``base_url``: where the document was fetched from, against which relative
    links (valid in Atom, common in RSS) are resolved. ``source`` (a
    configured feed's name) replaces the feed's own title as the articles'
    source. Raises ``FeedUnavailable`` when the body is not a feed.
    """
    if not content.strip():  # a truncated download or an empty file: no feed, not an empty one
        raise FeedUnavailable(f"{name} is empty: no RSS or Atom feed in it")
    headers = {"content-type": content_type} if content_type else {}
    if base_url:
        headers["content-location"] = base_url
    parsed = load_feedparser().parse(content, response_headers=headers or None)
    if not parsed.entries and parsed.get("bozo"):
        raise FeedUnavailable(f"{name} is not an RSS or Atom feed: {parsed.bozo_exception}")
    # a channel's title is metadata: an overlong one must not cost every item
    feed_source = (source or parsed.feed.get("title") or "")[:MAX_SHORT_CHARS] or None
    items: list[FileItem] = []
    for number, entry in enumerate(parsed.entries, start=1):
        location = f"{name}#entry{number}"
        try:
            items.append(
                FileArticle(location, prepare_article(entry_to_raw(entry, feed_source), now=now))
            )
        except ArticleRejected as exc:
            items.append(Rejection(location, str(exc)))
    return items


def feed_client(
    *, timeout_s: float, addresses: AddressPolicy,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The client ``fetch_feed`` uses; close it with ``aclose()``."""
    return http_client(timeout_s=timeout_s, addresses=addresses,
                       headers={"User-Agent": USER_AGENT}, transport=transport)


@dataclass(frozen=True)
class FetchedFeed:
    body: bytes
    url: str  # after redirects: what the feed's relative links are relative to
    content_type: str | None


async def fetch_feed(
    url: str, *, client: httpx.AsyncClient, deadline_s: float = DEFAULT_DEADLINE_S
) -> FetchedFeed:
    """The feed document at ``url``; ``FeedUnavailable`` on any failure,
    ``deadline_s`` passed included. Messages show ``url`` without credentials."""
    shown = redact_credentials(url)
    try:
        async with asyncio.timeout(deadline_s):
            async with client.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise FeedUnavailable(f"cannot fetch {shown}: HTTP {response.status_code}")
                try:
                    body = await read_download(response, MAX_FEED_BYTES,
                                             f"{MAX_FEED_BYTES >> 20} MiB")
                except BodyRefused as exc:
                    raise FeedUnavailable(f"{shown} is {exc}") from None
                return FetchedFeed(body, str(response.url),
                                   response.headers.get("content-type"))
    except FETCH_ERRORS as exc:
        reason = describe_error(exc, timeout_s=client.timeout.read or 0.0, deadline_s=deadline_s)
        raise FeedUnavailable(f"cannot fetch {shown}: {reason}") from None


async def read_feed(
    location: str,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    deadline_s: float = DEFAULT_DEADLINE_S,
    addresses: AddressPolicy | None = None,
) -> list[FileItem]:
    """Items of the feed at an http(s) URL or in a local file. A URL is
    fetched with ``timeout_s`` per step and ``deadline_s`` in all;
    ``addresses`` says which non-public addresses it may reach (none by default)."""
    if looks_like_http_url(location):
        client = feed_client(timeout_s=timeout_s, addresses=addresses or AddressPolicy())
        try:
            fetched = await fetch_feed(location, client=client, deadline_s=deadline_s)
        finally:
            await client.aclose()
        return parse_feed(fetched.body, redact_credentials(location), base_url=fetched.url,
                          content_type=fetched.content_type)
    try:
        content = Path(location).read_bytes()
    except OSError as exc:
        raise FeedUnavailable(f"cannot read {location}: {exc.strerror or exc}") from None
    return parse_feed(content, location)
