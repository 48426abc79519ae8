"""Articles from RSS and Atom feeds, given as a URL or a local file.

Each entry becomes an input article (title, text from content or summary
with the HTML removed, link, feed title as source, published or updated
time, entry id) and then goes through ``prepare_article`` like any other, so
feed items are judged and deduplicated exactly as files and HTTP posts are.
Needs the optional ``feedparser`` package.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from watchfloor.services.ingest.files import FileArticle, FileItem, Rejection
from watchfloor.services.ingest.html_text import html_to_text, looks_like_html
from watchfloor.services.ingest.prepare import prepare_article
from watchfloor.services.ingest.problems import ArticleRejected
from watchfloor.shared.errors import Unavailable
from watchfloor.shared.urls import looks_like_http_url

MAX_FEED_BYTES = 20 << 20
USER_AGENT = "watchfloor-ingest/0.1"


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


def _timestamp(entry: Any) -> str | None:
    # feedparser gives UTC struct_time in *_parsed; the raw string may be RFC 822.
    for key in ("published_parsed", "updated_parsed"):
        parsed = entry.get(key)
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat()
    return None


def entry_to_raw(entry: Any, feed_title: str | None) -> dict[str, Any]:
    """The input-article fields of one feed entry (before validation)."""
    contents = entry.get("content") or []
    body = contents[0].get("value", "") if contents else entry.get("summary", "")
    title = entry.get("title", "")
    return {
        "title": html_to_text(title) if looks_like_html(title) else title,
        "text": html_to_text(body or ""),
        "url": entry.get("link"),
        "source": feed_title,
        "published_at": _timestamp(entry),
        "id": entry.get("id"),
    }


def parse_feed(content: bytes, name: str, *, now: datetime | None = None) -> list[FileItem]:
    """Items of a feed document; ``name`` (URL or path) is used in locations."""
    parsed = load_feedparser().parse(content)
    if not parsed.entries and parsed.get("bozo"):
        raise FeedUnavailable(f"{name} is not an RSS or Atom feed: {parsed.bozo_exception}")
    feed_title = parsed.feed.get("title") or None
    items: list[FileItem] = []
    for number, entry in enumerate(parsed.entries, start=1):
        location = f"{name}#entry{number}"
        try:
            items.append(
                FileArticle(location, prepare_article(entry_to_raw(entry, feed_title), now=now))
            )
        except ArticleRejected as exc:
            items.append(Rejection(location, str(exc)))
    return items


def fetch_feed(url: str, *, timeout_s: float, client: httpx.Client | None = None) -> bytes:
    """The feed document at ``url``; ``FeedUnavailable`` on any failure."""
    own_client = client is None
    client = client or httpx.Client(
        timeout=timeout_s, follow_redirects=True, headers={"User-Agent": USER_AGENT}
    )
    try:
        with client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise FeedUnavailable(f"cannot fetch {url}: HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_FEED_BYTES:
                    raise FeedUnavailable(f"{url} is larger than {MAX_FEED_BYTES >> 20} MiB")
            return bytes(body)
    except httpx.HTTPError as exc:
        raise FeedUnavailable(f"cannot fetch {url}: {exc}") from None
    finally:
        if own_client:
            client.close()


def read_feed(location: str, *, timeout_s: float = 10.0) -> list[FileItem]:
    """Items of the feed at an http(s) URL or in a local file."""
    if looks_like_http_url(location):
        content = fetch_feed(location, timeout_s=timeout_s)
    else:
        try:
            content = Path(location).read_bytes()
        except OSError as exc:
            raise FeedUnavailable(f"cannot read {location}: {exc.strerror or exc}") from None
    return parse_feed(content, location)
