"""Pure parts of feed polling: configuration, backoff, conditional requests, fetching."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from watchfloor.services.ingest.feed_poller import (
    MAX_RETRY_AFTER_S,
    USER_AGENT,
    FeedFetchError,
    HttpFeedFetcher,
    backoff_delay,
    conditional_headers,
    due_at,
)
from watchfloor.services.ingest.feed_sources import (
    FeedConfigError,
    FeedSource,
    load_feeds,
    parse_feeds,
)
from watchfloor.services.ingest.feeds import FeedUnavailable, parse_feed
from watchfloor.services.ingest.files import FileArticle, Rejection

RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel>
  <title>Lakeside Ledger</title>
  <item>
    <title>Ferry timetable gains a dawn crossing</title>
    <link>https://ledger.example/ferry</link>
    <guid>ledger-1</guid>
    <description>The first boat now leaves at half past five.</description>
  </item>
  <item><title></title><link>https://ledger.example/blank</link></item>
</channel></rss>
"""


# --- configuration ----------------------------------------------------------


def test_feeds_file_defaults_and_overrides() -> None:
    text = """
feeds:
  - url: https://ledger.example/rss
  - url: https://wire.example/atom
    name: Wire Desk
    interval_s: 60
"""
    first, second = parse_feeds(text, default_interval_s=300)
    assert first == FeedSource("https://ledger.example/rss", 300.0, None)
    assert second == FeedSource("https://wire.example/atom", 60.0, "Wire Desk")
    assert first.feed_id != second.feed_id and len(first.feed_id) == 20


def test_every_problem_is_reported_with_file_feed_line_and_field() -> None:
    text = """feeds:
  - url: https://ledger.example/rss
    interval_s: 30
  - name: No URL here
    interval_s: 5
  - url: ftp://files.example/feed
    colour: blue
  - url: https://ledger.example/rss
  - just a string
"""
    with pytest.raises(FeedConfigError) as caught:
        parse_feeds(text, source="feeds.yaml", default_interval_s=300)
    assert caught.value.problems == [
        "feeds.yaml: feed #2 (line 4): url is required",
        "feeds.yaml: feed #2 (line 5): interval_s must be at least 30 seconds",
        "feeds.yaml: feed #3 (line 7): colour is not a known field (allowed: url, name, interval_s)",
        "feeds.yaml: feed #3 (line 6): url must be an http(s) URL with a host",
        "feeds.yaml: feed #4 (line 8): url is a duplicate (first used at line 2)",
        "feeds.yaml: feed #5 (line 9): must be a mapping with url (and optionally name, interval_s)",
    ]


def test_bad_urls_are_not_echoed() -> None:
    text = "feeds:\n  - url: 'gopher://user:hunter2@host.example/'\n"
    with pytest.raises(FeedConfigError) as caught:
        parse_feeds(text, source="f.yaml", default_interval_s=300)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feeds: {url: x}\n", "f.yaml: expected a top-level 'feeds:' list"),
        ("- url: x\n", "f.yaml: expected a top-level 'feeds:' list"),
        ("feeds: [\n  {url: x\n", "f.yaml (line 3): expected ',' or '}', but got '<stream end>'"),
        ("feeds: []\nfeed: []\n", "f.yaml (line 2): feed is not a known top-level key"),
        ("feeds:\n  - url: https://a.example/\n    interval_s: soon\n",
         "f.yaml: feed #1 (line 3): interval_s must be a number of seconds"),
        ("feeds:\n  - url: https://a.example/\n    name: ''\n",
         "f.yaml: feed #1 (line 3): name must be a non-empty string"),
    ],
)
def test_file_level_and_value_errors(text: str, message: str) -> None:
    with pytest.raises(FeedConfigError) as caught:
        parse_feeds(text, source="f.yaml", default_interval_s=300)
    assert str(caught.value).startswith(message)


def test_environment_variables_fill_in_credentials() -> None:
    text = "feeds:\n  - url: 'https://reader:${WIRE_TOKEN}@wire.example/feed'\n"
    [feed] = parse_feeds(text, default_interval_s=300, env={"WIRE_TOKEN": "s3cret"})
    assert feed.url == "https://reader:s3cret@wire.example/feed"
    assert feed.display_url == "https://***@wire.example/feed"
    with pytest.raises(FeedConfigError, match="url refers to environment variable WIRE_TOKEN"):
        parse_feeds(text, source="f.yaml", default_interval_s=300, env={})


def test_load_feeds_names_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(FeedConfigError, match=r"nope\.yaml: cannot read: No such file"):
        load_feeds(tmp_path / "nope.yaml", default_interval_s=300)
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - url: https://ledger.example/rss\n", encoding="utf-8")
    assert [f.url for f in load_feeds(path, default_interval_s=300)] == [
        "https://ledger.example/rss"
    ]


# --- schedule ---------------------------------------------------------------


def test_backoff_doubles_from_the_interval_and_is_capped_at_an_hour() -> None:
    assert [backoff_delay(300, n) for n in range(7)] == [
        300, 300, 600, 1200, 2400, 3600, 3600
    ]
    assert backoff_delay(60, 3) == 240
    assert backoff_delay(300, 10_000) == 3600  # no overflow
    # A feed polled less often than the cap is never polled more often when failing.
    assert backoff_delay(7200, 4) == 7200


def test_due_at() -> None:
    assert due_at({}, 300) == 0.0
    state = {"next_due_at": "1300", "last_polled_at": "1000", "consecutive_failures": "0"}
    assert due_at(state, 300) == 1300
    assert due_at(state, 60) == 1060  # a shortened interval applies at once
    failing = {**state, "next_due_at": "2200", "consecutive_failures": "3"}
    assert due_at(failing, 60) == 2200  # backoff is kept


def test_conditional_headers_from_state() -> None:
    assert conditional_headers({}) == {}
    assert conditional_headers({"etag": '"v7"'}) == {"If-None-Match": '"v7"'}
    assert conditional_headers(
        {"etag": 'W/"v7"', "last_modified": "Wed, 01 May 2024 07:30:00 GMT", "url": "x"}
    ) == {"If-None-Match": 'W/"v7"', "If-Modified-Since": "Wed, 01 May 2024 07:30:00 GMT"}
    assert conditional_headers({"etag": "", "last_modified": ""}) == {}


# --- parsing ----------------------------------------------------------------


def test_parse_feed_document_uses_the_configured_name_as_source() -> None:
    article, rejected = parse_feed(RSS, "https://ledger.example/rss", source="Ledger")
    assert isinstance(article, FileArticle) and isinstance(rejected, Rejection)
    assert article.article.source == "Ledger"
    assert article.article.source_id == "ledger-1"
    assert article.location == "https://ledger.example/rss#entry1"
    [untitled, _] = parse_feed(RSS, "x")
    assert isinstance(untitled, FileArticle) and untitled.article.source == "Lakeside Ledger"


def test_parse_feed_document_refuses_what_is_not_a_feed() -> None:
    with pytest.raises(FeedUnavailable, match="not an RSS or Atom feed"):
        parse_feed(b"<html><body>Maintenance <b>tonight</body>", "x")


# --- fetching ---------------------------------------------------------------


def _fetcher(handler, **kwargs) -> HttpFeedFetcher:  # type: ignore[no-untyped-def]
    return HttpFeedFetcher(timeout_s=2, transport=httpx.MockTransport(handler), **kwargs)


async def test_fetch_sends_user_agent_and_conditional_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return httpx.Response(
            200, content=RSS, headers={"ETag": '"v1"', "Last-Modified": "Wed, 01 May 2024"}
        )

    fetch = _fetcher(handler)
    try:
        first = await fetch("https://ledger.example/rss", {})
        assert (first.status, first.body, first.etag) == (200, RSS, '"v1"')
        assert first.last_modified == "Wed, 01 May 2024"
        second = await fetch("https://ledger.example/rss", {"If-None-Match": '"v1"'})
        assert second.status == 304 and second.body == b""
    finally:
        await fetch.aclose()
    assert seen[0].headers["user-agent"] == USER_AGENT == "Watchfloor/0.1 (+news alerting)"


async def test_fetch_errors_carry_status_and_retry_after() -> None:
    fetch = _fetcher(lambda r: httpx.Response(503, headers={"Retry-After": "90"}))
    try:
        with pytest.raises(FeedFetchError, match="^HTTP 503$") as caught:
            await fetch("https://ledger.example/rss", {})
    finally:
        await fetch.aclose()
    assert caught.value.retry_after_s == 90.0


@pytest.mark.parametrize(
    ("header", "wait_s"),
    [
        (format_datetime(datetime(2024, 5, 1, 12, 10, tzinfo=UTC), usegmt=True), 600.0),
        ("999999", MAX_RETRY_AFTER_S),  # six hours at most: not a server's word for days
    ],
)
async def test_fetch_reads_retry_after_as_a_date_and_caps_it(header: str, wait_s: float) -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC).timestamp()
    fetch = _fetcher(lambda r: httpx.Response(429, headers={"Retry-After": header}),
                     now=lambda: now)
    try:
        with pytest.raises(FeedFetchError) as caught:
            await fetch("https://ledger.example/rss", {})
    finally:
        await fetch.aclose()
    assert caught.value.retry_after_s == wait_s


async def test_fetch_caps_the_size() -> None:
    fetch = _fetcher(lambda r: httpx.Response(200, content=b"x" * 5000), max_bytes=1000)
    try:
        with pytest.raises(FeedFetchError, match="larger than 1000 bytes"):
            await fetch("https://ledger.example/rss", {})
    finally:
        await fetch.aclose()


async def test_fetch_errors_never_show_credentials() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    url = "https://reader:s3cret@ledger.example/rss"
    fetch = _fetcher(refuse)
    try:
        with pytest.raises(FeedFetchError) as caught:
            await fetch(url, {})
    finally:
        await fetch.aclose()
    assert "ConnectError" in str(caught.value)
    assert "s3cret" not in str(caught.value)


# --- wiring -----------------------------------------------------------------


def test_ingest_worker_polls_feeds_only_when_configured(tmp_path: Path) -> None:
    from watchfloor.services.ingest.app import ingest_parts
    from watchfloor.shared.settings import Settings
    from watchfloor.shared.streams.worker import Runtime

    settings = Settings(_env_file=None)
    assert ingest_parts(Runtime(settings)).periodic == []

    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - url: 'https://${HOST}/rss'\n", encoding="utf-8")
    configured = settings.model_copy(update={"feeds_file": path})
    parts = ingest_parts(Runtime(configured, {"HOST": "ledger.example"}))
    assert [(p.name, p.interval_s) for p in parts.periodic] == [("feed_poller", 5.0)]
    assert len(parts.on_start) == 2 and len(parts.on_stop) == 2

    path.write_text("feeds:\n  - url: https://ledger.example/rss\n    interval_s: 1\n")
    with pytest.raises(FeedConfigError, match="interval_s must be at least 30"):
        ingest_parts(Runtime(configured))


def _gzipped(body: bytes, layers: int) -> bytes:
    import gzip

    for _ in range(layers):
        body = gzip.compress(body)
    return body


async def test_fetch_takes_gzip_and_refuses_stacked_compression() -> None:
    # "gzip, gzip": under a kilobyte on the wire inflated to 400 MB in one
    # chunk before the size cap saw it
    def handler(request: httpx.Request) -> httpx.Response:
        layers = 2 if request.url.path == "/double" else 1
        return httpx.Response(200, content=_gzipped(RSS, layers), headers={
            "content-encoding": ", ".join(["gzip"] * layers)})

    fetch = _fetcher(handler)
    try:
        assert (await fetch("https://ledger.example/rss", {})).body == RSS
        with pytest.raises(FeedFetchError,
                           match=r"compressed more than once \(Content-Encoding: gzip, gzip\)"):
            await fetch("https://ledger.example/double", {})
    finally:
        await fetch.aclose()
