"""Feeds and pages on real local HTTP servers: non-public addresses refused
(redirects included), a total deadline against a dripping server, and no
credentials in what a failed fetch prints."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_network

import pytest
from watchfloor.services.ingest.feed_poller import FeedPoller
from watchfloor.services.ingest.feed_sources import FeedSource
from watchfloor.services.ingest.publisher import ArticlePublisher
from watchfloor.shared import egress

pytestmark = pytest.mark.integration
pytest.importorskip("trafilatura")
pytest.importorskip("feedparser")

PAGE = b"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Lighthouse keeper retires after forty years</title></head>
<body><article><h1>Lighthouse keeper retires after forty years</h1>
<p>The keeper of the Skerry Point light handed over the keys on Saturday after forty
years of service, the harbour board said in a statement on its website.</p>
<p>The light has been automatic since the spring, and the cottage will become a
small museum about the coast and the ships that passed it.</p></article></body></html>
"""
FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Skerry Times</title>
<item><title>Lighthouse keeper retires</title><link>https://skerry.example/keeper</link>
<description>The keeper handed over the keys on Saturday.</description></item>
</channel></rss>"""


class Site:
    """A real HTTP server on ``host``: ``routes`` maps a path to
    (status, headers, body); ``drip`` paths send slowly; ``seen`` lists paths."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.drip: dict[str, str] = {}  # path -> "body" | "headers"
        self.seen: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                site.seen.append(self.path.split("?")[0])
                path = self.path.split("?")[0]
                if path in site.drip:
                    self._drip(site.drip[path])
                    return
                status, headers, body = site.routes.get(path, (404, {}, b"not here"))
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _drip(self, what: str) -> None:
                """One byte every 0.2 s, for at most 15 s, until the client leaves."""
                body = PAGE if "page" in self.path else FEED
                kind = b"text/html" if "page" in self.path else b"application/rss+xml"
                try:
                    if what == "headers":
                        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: " + kind
                                         + b"\r\nX-Slow: ")
                        for _ in range(75):
                            self.wfile.write(b"a")
                            self.wfile.flush()
                            time.sleep(0.2)
                        self.wfile.write(b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", kind.decode())
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    for i in range(min(len(body), 75)):
                        self.wfile.write(body[i:i + 1])
                        self.wfile.flush()
                        time.sleep(0.2)
                    self.wfile.write(body[75:])
                except OSError:
                    pass  # the client gave up

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def inner() -> Iterator[Site]:
    """The internal service an attacker aims at, on 127.0.0.1."""
    with Site("127.0.0.1") as site:
        site.routes["/page"] = (200, {"Content-Type": "text/html"}, PAGE)
        site.routes["/feed"] = (200, {"Content-Type": "application/rss+xml"}, FEED)
        yield site


@pytest.fixture
def outer(inner: Site) -> Iterator[Site]:
    """An allowed "public" site on 127.0.0.2 that redirects to ``inner``."""
    with Site("127.0.0.2") as site:
        site.routes["/page"] = (302, {"Location": inner.url("/page")}, b"")
        site.routes["/feed"] = (302, {"Location": inner.url("/feed")}, b"")
        site.routes["/own-page"] = (200, {"Content-Type": "text/html"}, PAGE)
        yield site


@pytest.fixture
def allow(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def set_allowlist(ranges: str) -> None:
        monkeypatch.setenv("WATCHFLOOR_TARGET_ALLOWLIST", ranges)

    return set_allowlist


REFUSED = "127.0.0.1, a loopback address, is refused (add its range to WATCHFLOOR_TARGET_ALLOWLIST"


@pytest.mark.parametrize("kind", ["page", "feed"])
def test_a_loopback_address_is_refused_unless_allowed(
    kind: str, inner: Site, run, allow, capsys: pytest.CaptureFixture[str]
) -> None:
    allow("")
    for host in ("127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "2130706433"):
        url = inner.url(f"/{kind}").replace("127.0.0.1", host)
        assert run(f"--{kind}", url) == 2, host
        err = capsys.readouterr().err
        assert "a loopback address, is refused" in err, (host, err)
    assert inner.seen == []  # not one request reached it
    allow("127.0.0.0/8")
    assert run(f"--{kind}", inner.url(f"/{kind}")) == 0
    assert inner.seen == [f"/{kind}"]


@pytest.mark.parametrize("kind", ["page", "feed"])
def test_a_redirect_from_an_allowed_site_to_loopback_is_refused(
    kind: str, inner: Site, outer: Site, run, allow, capsys: pytest.CaptureFixture[str]
) -> None:
    allow("127.0.0.2/32")  # the first hop only
    assert run("--page", outer.url("/own-page")) == 0  # the allowed site itself works
    capsys.readouterr()
    assert run(f"--{kind}", outer.url(f"/{kind}")) == 2
    err = capsys.readouterr().err
    assert f"error: cannot fetch {'page ' if kind == 'page' else ''}{outer.url(f'/{kind}')}: " \
           f"{REFUSED}" in err
    assert outer.seen == ["/own-page", f"/{kind}"] and inner.seen == []


async def test_the_feed_poller_refuses_a_redirect_to_loopback(
    inner: Site, outer: Site, settings, redis_client, keys
) -> None:
    only_outer = settings.model_copy(update={"target_allowlist": (ip_network("127.0.0.2/32"),)})
    feed = FeedSource(url=outer.url("/feed"), interval_s=300)
    poller = FeedPoller(redis_client, keys, only_outer,
                        ArticlePublisher(redis_client, keys, only_outer), feeds=[feed])
    try:
        (result,) = await poller.poll_due()
    finally:
        await poller.aclose()
    assert result.status == "failed" and result.error is not None
    assert result.error.startswith(REFUSED)
    assert outer.seen == ["/feed"] and inner.seen == []
    assert await redis_client.xlen(keys.articles) == 0


def test_the_connected_address_is_checked_even_when_the_name_check_passed(
    inner: Site, run, allow, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A DNS answer that changes between the check and the connection
    (rebinding) still meets the check on the address actually connected to."""

    async def dns_said_public(policy: object, host: str, port: int) -> None:
        return None

    monkeypatch.setattr(egress, "_check_host", dns_said_public)
    allow("")
    assert run("--page", inner.url("/page").replace("127.0.0.1", "localhost")) == 2
    assert REFUSED in capsys.readouterr().err
    assert inner.seen == []


@pytest.mark.parametrize("kind", ["page", "feed"])
@pytest.mark.parametrize("drip", ["body", "headers"])
def test_a_dripping_server_meets_the_total_deadline(
    kind: str, drip: str, run, allow, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    allow("127.0.0.0/8")
    monkeypatch.setenv("WATCHFLOOR_FETCH_DEADLINE_S", "1")
    with Site("127.0.0.1") as site:
        site.drip[f"/{kind}"] = drip  # each byte well within the 10 s read timeout
        assert run(f"--{kind}", site.url(f"/{kind}")) == 2
    err = capsys.readouterr().err
    assert "not finished within 1 s (WATCHFLOOR_FETCH_DEADLINE_S)" in err


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("kind", ["page", "feed"])
def test_a_failed_fetch_never_prints_credentials(
    kind: str, inner: Site, run, allow, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WATCHFLOOR_LOG_LEVEL", "DEBUG")
    secrets = ("reader", "pa55word", "t0ken-value", "k3y-value")
    query = "?token=t0ken-value&api_key=k3y-value&page=2"
    port = inner.server.server_address[1]
    failing = [
        ("127.0.0.0/8", f"http://reader:pa55word@127.0.0.1:{port}/missing{query}"),  # 404
        ("127.0.0.0/8", f"http://reader:pa55word@127.0.0.1:{_closed_port()}/x{query}"),  # refused
        ("", f"http://reader:pa55word@127.0.0.1:{port}/{kind}{query}"),  # blocked address
        ("", f"http://reader:pa55word@localhost:{port}/{kind}{query}"),
    ]
    for allowlist, url in failing:
        allow(allowlist)
        assert run(f"--{kind}", url) == 2
        captured = capsys.readouterr()
        printed = captured.out + captured.err
        assert "error: cannot fetch" in printed and "page=2" in printed
        assert not [s for s in secrets if s in printed], printed
