"""FeedPoller against a real Redis and a real local HTTP feed server."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from structlog.testing import capture_logs
from watchfloor.services.ingest.feed_poller import FeedPoller, feed_states
from watchfloor.services.ingest.feed_sources import FeedSource
from watchfloor.services.ingest.feeds import read_feed
from watchfloor.services.ingest.publisher import ArticlePublisher
from watchfloor.shared.addresses import AddressPolicy, parse_allowlist
from watchfloor.shared.keys import Keys
from watchfloor.shared.schemas import Article
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.codec import decode

pytestmark = pytest.mark.integration

# Invented items: place names and events are made up for these tests.
ITEMS = [
    ("harbour-1", "Harbour crane fleet doubles after upgrade",
     "Port officials in Velmora said four new cranes began work on the east quay."),
    ("harbour-2", "Night market moves to the old tram depot",
     "Stallholders in Velmora voted to relocate after the square was resurfaced."),
    ("harbour-3", "River ferry adds a late crossing",
     "The Velmora ferry company will run a final boat at eleven on weekdays."),
    ("harbour-4", "Lighthouse museum reopens its lamp room",
     "Visitors can climb to the restored lens from Saturday, the trust said."),
]


def rss(items: list[tuple[str, str, str]], title: str = "Velmora Harbour Gazette") -> bytes:
    entries = "".join(
        f"<item><title>{t}</title><link>https://gazette.example/{guid}</link>"
        f"<guid>{guid}</guid><description>{text}</description></item>"
        for guid, t, text in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"{entries}</channel></rss>"
    ).encode()


@dataclass
class Doc:
    body: bytes
    etag: str
    status: int = 200
    delay_s: float = 0.0


@dataclass
class FeedServer:
    docs: dict[str, Doc] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    moved: dict[str, str] = field(default_factory=dict)  # path -> where it moved

    def publish(self, path: str, items: list[tuple[str, str, str]], version: str) -> str:
        self.docs[path] = Doc(rss(items), f'"{version}"')
        return self.base_url + path

    def hits(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [headers for p, headers in self.requests if p == path]


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            with server.lock:
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            if self.path in server.moved:
                self.send_response(301)
                self.send_header("Location", server.moved[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            doc = server.docs.get(self.path)
            if doc is None:
                self.send_error(404)
                return
            if doc.delay_s:
                time.sleep(doc.delay_s)
            if doc.status != 200:
                self.send_response(doc.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == doc.etag:
                self.send_response(304)
                self.send_header("ETag", doc.etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", doc.etag)
            self.send_header("Content-Length", str(len(doc.body)))
            self.end_headers()
            self.wfile.write(doc.body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    state = FeedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


class Clock:
    def __init__(self) -> None:
        self.t = 1_750_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def feed_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"feed_timeout_s": 5.0})


@pytest.fixture
async def make_poller(
    redis_client: aioredis.Redis, keys: Keys, feed_settings: Settings, clock: Clock
) -> AsyncIterator:  # type: ignore[type-arg]
    made: list[FeedPoller] = []

    def make(feeds: list[FeedSource]) -> FeedPoller:
        publisher = ArticlePublisher(redis_client, keys, feed_settings)
        poller = FeedPoller(redis_client, keys, feed_settings, publisher, feeds=feeds, now=clock)
        made.append(poller)
        return poller

    yield make
    for poller in made:
        await poller.aclose()


async def stream_titles(redis_client: aioredis.Redis, keys: Keys) -> list[str]:
    entries = await redis_client.xrange(keys.articles)
    articles = [decode(fields, Article) for _, fields in entries]
    return [a.title for a in articles if isinstance(a, Article)]


async def metrics(redis_client: aioredis.Redis, keys: Keys) -> dict[str, int]:
    raw = await redis_client.hgetall(keys.metrics)
    return {k.decode(): int(v) for k, v in raw.items()}


async def test_first_poll_publishes_then_304_then_only_the_new_item(
    feed_server: FeedServer, make_poller, redis_client: aioredis.Redis, keys: Keys,
    clock: Clock,
) -> None:
    url = feed_server.publish("/gazette.rss", ITEMS[:3], "v1")
    poller = make_poller([FeedSource(url, 60.0, "Gazette")])

    [first] = await poller.poll_due()
    assert (first.status, first.items, first.new, first.duplicates) == ("ok", 3, 3, 0)
    assert first.next_due_at == clock.t + 60
    assert await stream_titles(redis_client, keys) == [t for _, t, _ in ITEMS[:3]]
    hit = feed_server.hits("/gazette.rss")[0]
    assert hit["user-agent"] == "Watchfloor/0.1 (+news alerting)"
    assert "if-none-match" not in hit

    assert await poller.poll_due() == []  # not due yet: no request at all
    assert len(feed_server.hits("/gazette.rss")) == 1

    clock.t += 60
    [second] = await poller.poll_due()
    assert (second.status, second.new) == ("not_modified", 0)
    assert feed_server.hits("/gazette.rss")[-1]["if-none-match"] == '"v1"'
    assert len(await stream_titles(redis_client, keys)) == 3

    feed_server.publish("/gazette.rss", ITEMS[:4], "v2")
    clock.t += 60
    [third] = await poller.poll_due()
    assert (third.status, third.items, third.new, third.duplicates) == ("ok", 4, 1, 3)
    assert (await stream_titles(redis_client, keys))[-1] == ITEMS[3][1]

    assert {k: v for k, v in (await metrics(redis_client, keys)).items()
            if k.startswith("feed_")} == {"feed_polls": 3, "feed_items_new": 4}
    [state] = await feed_states(redis_client, keys)
    assert state["url"] == url and state["name"] == "Gazette"
    assert state["etag"] == '"v2"' and state["last_status"] == "ok"
    assert state["consecutive_failures"] == 0 and state["last_ok_at"] == clock.t
    assert state["next_due_at"] == clock.t + 60


async def test_a_failing_feed_backs_off_and_never_stops_the_others(
    feed_server: FeedServer, make_poller, redis_client: aioredis.Redis, keys: Keys,
    clock: Clock,
) -> None:
    good = feed_server.publish("/good.rss", ITEMS[:2], "g1")
    feed_server.docs["/broken.rss"] = Doc(b"", "", status=500)
    host = feed_server.base_url.removeprefix("http://")
    broken = f"http://reader:hunter2@{host}/broken.rss"
    poller = make_poller([FeedSource(broken, 60.0), FeedSource(good, 60.0)])

    with capture_logs() as logs:
        results = {r.url: r for r in await poller.poll_due()}
    failed = results[f"http://***@{host}/broken.rss"]
    assert (failed.status, failed.error) == ("failed", "HTTP 500")
    assert failed.next_due_at == clock.t + 60
    assert results[good].new == 2
    assert any(e["event"] == "feed_poll_failed" for e in logs)
    assert "hunter2" not in repr(logs)

    # Backoff doubles for the broken feed; the good one keeps its interval.
    clock.t += 60
    results = {r.url: r for r in await poller.poll_due()}
    assert results[failed.url].next_due_at == clock.t + 120
    assert results[good].status == "not_modified"
    clock.t += 60
    assert [r.url for r in await poller.poll_due()] == [good]  # broken one is waiting

    states = {s["url"]: s for s in await feed_states(redis_client, keys)}
    assert "hunter2" not in repr(states)
    broken_state = states[failed.url]
    assert broken_state["consecutive_failures"] == 2
    assert broken_state["last_error"] == "HTTP 500" and broken_state["last_status"] == "failed"
    assert broken_state["next_due_at"] == clock.t - 60 + 120
    counted = await metrics(redis_client, keys)
    assert counted["feed_errors"] == 2 and counted["feed_polls"] == 5

    # Recovery resets the count and the schedule.
    feed_server.publish("/broken.rss", ITEMS[2:3], "b1")
    clock.t += 60
    [recovered] = [r for r in await poller.poll_due() if r.url == failed.url]
    assert (recovered.status, recovered.new) == ("ok", 1)
    states = {s["url"]: s for s in await feed_states(redis_client, keys)}
    assert states[failed.url]["consecutive_failures"] == 0
    assert states[failed.url]["next_due_at"] == clock.t + 60


async def test_an_unreachable_feed_is_a_failure(
    make_poller, redis_client: aioredis.Redis, keys: Keys
) -> None:
    poller = make_poller([FeedSource("http://127.0.0.1:9/nothing.rss", 60.0)])
    [result] = await poller.poll_due()
    assert result.status == "failed" and result.error
    assert (await metrics(redis_client, keys))["feed_errors"] == 1


async def test_racing_pollers_poll_each_feed_once(
    feed_server: FeedServer, make_poller, redis_client: aioredis.Redis, keys: Keys,
) -> None:
    feeds = []
    for n in range(3):
        url = feed_server.publish(f"/race{n}.rss", ITEMS[n : n + 2], f"r{n}")
        feed_server.docs[f"/race{n}.rss"].delay_s = 0.2  # hold the lease a while
        feeds.append(FeedSource(url, 60.0))
    first, second = make_poller(feeds), make_poller(list(reversed(feeds)))

    a, b, c = await asyncio.gather(first.poll_due(), second.poll_due(), first.poll_due())

    assert sorted(r.url for r in a + b + c) == sorted(f.url for f in feeds)
    for n in range(3):
        assert len(feed_server.hits(f"/race{n}.rss")) == 1
    assert (await metrics(redis_client, keys))["feed_polls"] == 3
    # Items shared between feeds are published once.
    assert len(await stream_titles(redis_client, keys)) == 4
    assert await redis_client.keys(f"{keys.prefix}:feed-lease:*") == []
    assert await second.poll_due() == []  # the schedule is shared


class FailingPublisher:
    def __init__(self) -> None:
        self.calls = 0

    async def publish(self, articles: list[Article]) -> list:  # type: ignore[type-arg]
        self.calls += 1
        raise ConnectionError("publishing is down")

    async def record_rejected(self, count: int) -> None:
        pass


async def test_validators_are_kept_only_once_items_are_published(
    feed_server: FeedServer, make_poller, redis_client: aioredis.Redis, keys: Keys,
    feed_settings: Settings, clock: Clock,
) -> None:
    url = feed_server.publish("/gazette.rss", ITEMS[:2], "v1")
    feed = FeedSource(url, 60.0)
    broken = FeedPoller(redis_client, keys, feed_settings, FailingPublisher(), feeds=[feed],
                        now=clock)
    try:
        [result] = await broken.poll_due()
    finally:
        await broken.aclose()
    assert result.status == "failed" and "publishing is down" in (result.error or "")
    [state] = await feed_states(redis_client, keys)
    assert "etag" not in state

    clock.t += 60
    [retried] = await make_poller([feed]).poll_due()
    assert (retried.status, retried.new) == ("ok", 2)  # fetched in full, not lost to a 304
    assert "if-none-match" not in feed_server.hits("/gazette.rss")[-1]


async def test_the_ingest_worker_polls_the_feeds_file(
    feed_server: FeedServer, feed_settings: Settings, redis_client: aioredis.Redis, keys: Keys,
    tmp_path: Path,
) -> None:
    from watchfloor.services.ingest.app import ingest_parts
    from watchfloor.shared.streams.worker import create_worker_app

    from tests.integration.helpers import running, wait_until

    feed_server.publish("/gazette.rss", ITEMS[:2], "v1")
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(
        "feeds:\n  - url: '${FEED_BASE}/gazette.rss'\n    name: Gazette\n", encoding="utf-8"
    )
    app = create_worker_app(
        feed_settings.model_copy(update={"feeds_file": feeds_file}), [ingest_parts],
        env={"FEED_BASE": feed_server.base_url},
    )
    async with running(app):
        async def published_and_recorded() -> bool:
            # the feed's state is written after its items (a round trip later,
            # replica-confirmed on a cluster): wait for both before stopping
            return (len(await stream_titles(redis_client, keys)) == 2
                    and len(await feed_states(redis_client, keys)) == 1)

        await wait_until(published_and_recorded, what="feed items published, state recorded")
    [state] = await feed_states(redis_client, keys)
    assert state["name"] == "Gazette" and state["last_status"] == "ok"


class CountingPublisher:
    """The real publisher, with the size of each call it was handed."""

    def __init__(self, publisher: ArticlePublisher) -> None:
        self.publisher = publisher
        self.calls: list[int] = []

    async def publish(self, articles: list[Article]):  # type: ignore[no-untyped-def]
        self.calls.append(len(articles))
        return await self.publisher.publish(articles)

    async def record_rejected(self, count: int) -> None:
        await self.publisher.record_rejected(count)


async def test_a_big_feed_is_published_in_chunks(feed_server, redis_client, keys, feed_settings,
                                                 clock) -> None:
    items = [(f"big-{n}", f"Harbour notice number {n} posted", f"Notice {n} for the east quay.")
             for n in range(250)]
    url = feed_server.publish("/big.xml", items, "v1")
    publisher = CountingPublisher(ArticlePublisher(redis_client, keys, feed_settings))
    poller = FeedPoller(redis_client, keys, feed_settings, publisher,
                        feeds=[FeedSource(url, 300.0, None)], now=clock)
    try:
        [result] = await poller.poll_due()
    finally:
        await poller.aclose()
    # one call for a whole 30,000-item feed held Redis (one script) for seconds
    assert result.new == 250 and publisher.calls == [100, 100, 50]


async def test_relative_links_resolve_against_where_the_feed_moved(
        feed_server, make_poller, redis_client, keys) -> None:
    feed_server.docs["/new/home/feed.xml"] = Doc(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette</title>'
        b"<item><title>Quay reopens after repairs</title><link>quay.html</link>"
        b"<description>Boats dock again.</description></item></channel></rss>", '"m1"')
    feed_server.moved["/old.xml"] = feed_server.base_url + "/new/home/feed.xml"
    poller = make_poller([FeedSource(feed_server.base_url + "/old.xml", 300.0, None)])
    await poller.poll_due()
    [(_, fields)] = await redis_client.xrange(keys.articles)
    assert decode(fields, Article).url == feed_server.base_url + "/new/home/quay.html"


async def test_ingest_feed_reads_the_served_type_and_where_the_feed_moved(feed_server) -> None:
    """``watchfloor ingest --feed``'s reader, as the poller reads."""
    feed_server.docs["/empty.xml"] = Doc(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title>'
        b"</channel></rss>", '"e1"')
    local = AddressPolicy(parse_allowlist("127.0.0.0/8"))
    # a feed with no items yet is a feed (it was "not an RSS or Atom feed")
    assert await read_feed(feed_server.base_url + "/empty.xml", addresses=local) == []
    feed_server.docs["/new/feed.xml"] = Doc(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette</title>'
        b"<item><title>Quay reopens after repairs</title><link>quay.html</link>"
        b"</item></channel></rss>", '"m1"')
    feed_server.moved["/old.xml"] = feed_server.base_url + "/new/feed.xml"
    [item] = await read_feed(feed_server.base_url + "/old.xml", addresses=local)
    assert item.article.url == feed_server.base_url + "/new/quay.html"
