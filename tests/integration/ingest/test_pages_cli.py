"""``watchfloor ingest --page`` end to end: a real local HTTP server, a real Redis."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from watchfloor.services.cli.main import main
from watchfloor.shared.keys import Keys
from watchfloor.shared.schemas import Article
from watchfloor.shared.streams.codec import decode

pytestmark = pytest.mark.integration
pytest.importorskip("trafilatura")

# A made-up regional story, wrapped in a typical news site's furniture.
STORY = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Water main burst floods Tanner Street cellars - Northvale Post</title>
  <link rel="canonical" href="https://northvale-post.example/local/water-main-tanner-street">
  <meta property="og:site_name" content="Northvale Post">
  <meta property="article:published_time" content="2024-06-11T22:10:00Z">
  <script>var adSlots = ["leaderboard", "mpu"];</script>
</head>
<body>
  <div id="cookie-banner">We use cookies to improve your experience. <button>Accept</button></div>
  <header>
    <a class="brand" href="/">Northvale Post</a>
    <nav><a href="/local">Local</a> <a href="/business">Business</a>
      <a href="/puzzles">Puzzles and crosswords</a> <a href="/login">Sign in</a></nav>
  </header>
  <div class="advert leaderboard"><p>Advertisement: Kettle &amp; Crumb bakery, now open late.</p></div>
  <main>
    <article>
      <h1>Water main burst floods Tanner Street cellars</h1>
      <p class="meta">Staff reporter, <time datetime="2024-06-11T22:10:00Z">11 June 2024</time></p>
      <p>A water main burst under Tanner Street late on Tuesday, sending water into the cellars
      of at least a dozen houses and closing the road between the old mill and the bus depot.</p>
      <p>Utility crews shut off the supply shortly before midnight. Around three hundred homes
      were without running water overnight, and bottled water was handed out at the community
      hall from six in the morning.</p>
      <p>The water company said the pipe, laid in the 1950s, was already on its replacement list.
      Engineers expected to finish the repair by Thursday evening, after which the road surface
      will need several days to settle before it can reopen to traffic.</p>
    </article>
    <aside><h3>Trending now</h3><ol><li><a href="/x">Allotment prize marrow stolen</a></li>
      <li><a href="/y">New cycle lane splits opinion</a></li></ol></aside>
    <div id="comments"><h3>Reader comments</h3>
      <div class="comment">Third time this year on our street!</div></div>
  </main>
  <footer><p>&copy; 2024 Northvale Post Ltd. Registered in England.</p>
    <a href="/terms">Terms</a> <a href="/contact">Contact us</a></footer>
</body>
</html>
"""

# No canonical link and no og:url: the article's URL is where it was fetched.
PLAIN = STORY.replace(
    '<link rel="canonical" href="https://northvale-post.example/local/water-main-tanner-street">',
    "",
)

FRONT = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Northvale Post</title></head>
<body><header><nav><a href="/local">Local</a> <a href="/business">Business</a></nav></header>
<main></main><footer><p>&copy; 2024 Northvale Post Ltd.</p></footer></body></html>
"""


class _Handler(BaseHTTPRequestHandler):
    user_agents: list[str] = []

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.user_agents.append(self.headers.get("User-Agent", ""))
        html = "text/html; charset=utf-8"
        if self.path == "/local/water-main":
            self._send(200, STORY.encode(), html)
        elif self.path == "/plain":
            self._send(200, PLAIN.encode(), html)
        elif self.path == "/front":
            self._send(200, FRONT.encode(), html)
        elif self.path == "/s/wm":
            self._send(302, b"", html, Location="/plain")
        elif self.path == "/loop":
            self._send(302, b"", html, Location="/loop")
        elif self.path == "/report.pdf":
            self._send(200, b"%PDF-1.7 not really a pdf", "application/pdf")
        else:
            self._send(404, b"<html><body><h1>Page not found</h1></body></html>", html)


@pytest.fixture
def site() -> Iterator[str]:
    _Handler.user_agents = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def stream_articles(client: redis.Redis, keys: Keys) -> list[Article]:
    return [decode(fields, Article) for _, fields in client.xrange(keys.articles)]  # type: ignore[misc]


def test_page_url_is_ingested_once(
    site: str, run, sync_redis: redis.Redis, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{site}/local/water-main"
    assert run("--page", url) == 0
    out = capsys.readouterr().out
    assert f"{url}: 1 new, 0 duplicate, 0 rejected" in out
    assert "ingested 1 source(s): 1 new, 0 duplicate, 0 rejected" in out

    [article] = stream_articles(sync_redis, keys)
    assert article.title == "Water main burst floods Tanner Street cellars"
    assert article.url == "https://northvale-post.example/local/water-main-tanner-street"
    assert article.source == "Northvale Post"
    assert article.published_at is not None
    assert article.published_at.isoformat() == "2024-06-11T22:10:00+00:00"
    assert article.text.startswith("A water main burst under Tanner Street")
    assert "several days to settle" in article.text
    for junk in ("cookies", "Puzzles", "Kettle", "Trending", "marrow", "Third time", "Registered"):
        assert junk not in article.text, junk
    assert _Handler.user_agents == ["Watchfloor/0.1 (+news alerting)"]

    assert run("--page", url) == 0
    assert "0 new, 1 duplicate, 0 rejected" in capsys.readouterr().out
    assert len(stream_articles(sync_redis, keys)) == 1


def test_pages_files_and_redirects_share_one_summary(
    site: str,
    tmp_path: Path,
    run,
    sync_redis: redis.Redis,
    keys: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text('{"title": "Night bus timetable changes"}\n')
    saved = tmp_path / "saved.html"
    saved.write_text(STORY, encoding="utf-8")
    short = f"{site}/s/wm"
    # The saved copy and the redirected one are the same story under two URLs.
    assert run(jsonl, "--page", saved, "--page", short) == 0
    out = capsys.readouterr().out
    assert f"{saved}: 1 new, 0 duplicate, 0 rejected" in out
    assert f"{short}: 0 new, 1 duplicate, 0 rejected" in out
    assert "ingested 3 source(s): 2 new, 1 duplicate, 0 rejected" in out
    titles = [a.title for a in stream_articles(sync_redis, keys)]
    assert titles == [
        "Night bus timetable changes",
        "Water main burst floods Tanner Street cellars",
    ]


def test_redirected_page_without_canonical_keeps_the_final_url(
    site: str, run, sync_redis: redis.Redis, keys: Keys
) -> None:
    assert run("--page", f"{site}/s/wm") == 0
    [article] = stream_articles(sync_redis, keys)
    assert article.url == f"{site}/plain"


def test_page_without_article_is_rejected_exit_1(
    site: str, run, sync_redis: redis.Redis, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{site}/front"
    assert run("--page", url) == 1
    out = capsys.readouterr().out
    assert f"{url}: 0 new, 0 duplicate, 1 rejected" in out
    assert f"  {url}: no article found on the page" in out
    assert not sync_redis.exists(keys.articles)
    assert sync_redis.hget(keys.metrics, "rejected") == b"1"


def test_missing_page_exit_2(
    site: str, run, sync_redis: redis.Redis, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{site}/local/no-such-story"
    assert run("--page", url) == 2
    err = capsys.readouterr().err
    assert f"error: cannot fetch page {url}: HTTP 404 Not Found" in err
    assert not sync_redis.exists(keys.articles)


def test_non_html_page_is_refused_exit_2(
    site: str, run, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{site}/report.pdf"
    assert run("--page", url) == 2
    err = capsys.readouterr().err
    assert f"error: cannot fetch page {url}: not an HTML page (content type application/pdf)" in err


def test_redirect_loop_exit_2(site: str, run, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--page", f"{site}/loop") == 2
    assert "more than 5 redirects" in capsys.readouterr().err


def test_unreachable_site_exit_2(run, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/story"
    assert run("--page", url) == 2
    assert f"error: cannot fetch page {url}: " in capsys.readouterr().err


def test_missing_page_file_exit_2(tmp_path: Path, run, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gone.html"
    assert run("--page", path) == 2
    assert f"error: cannot read page {path}: No such file or directory" in capsys.readouterr().err


def test_help_mentions_pages(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["ingest", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--page URL_OR_FILE" in out and "HTML page" in out
