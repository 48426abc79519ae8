import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from watchfloor.services.ingest.files import FileArticle, Rejection
from watchfloor.services.ingest.pages import (
    MAX_PAGE_BYTES,
    PageUnavailable,
    decoded_page,
    fetch_page,
    html_charset,
    page_client,
    parse_page,
    read_page,
)
from watchfloor.shared.addresses import AddressPolicy

pytest.importorskip("trafilatura")

# A made-up local news story with the usual furniture around it.
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Ferry service to Gull Island resumes after storm repairs | Harbour Gazette</title>
  <link rel="canonical" href="https://gazette.example/news/2024/05/ferry-resumes">
  <meta property="og:title" content="Ferry service to Gull Island resumes after storm repairs">
  <meta property="og:site_name" content="Harbour Gazette">
  <meta property="og:url" content="https://gazette.example/share/ferry?utm_source=og">
  <meta property="article:published_time" content="2024-05-03T07:45:00+02:00">
  <style>.ad { border: 1px solid #ccc; }</style>
  <script>window.dataLayer = [{"page": "ferry", "section": "local"}];</script>
</head>
<body>
  <header class="site-header">
    <a href="/" class="logo">Harbour Gazette</a>
    <nav class="main-nav">
      <ul>
        <li><a href="/news">News</a></li>
        <li><a href="/sport">Sport</a></li>
        <li><a href="/weather">Weather</a></li>
        <li><a href="/subscribe">Subscribe today and save forty percent</a></li>
      </ul>
    </nav>
  </header>
  <div class="ad ad-banner" id="top-ad">
    <p>Advertisement: Dockside Paints, the brightest hulls in the bay.</p>
  </div>
  <main>
    <article class="story">
      <h1>Ferry service to Gull Island resumes after storm repairs</h1>
      <p class="byline">By Mara Lindqvist,
        <time datetime="2024-05-03T07:45:00+02:00">3 May 2024</time></p>
      <p>The morning ferry to Gull Island left the north quay on Friday for the first time
      in three weeks, after engineers finished rebuilding the landing ramp that March
      storms had torn loose.</p>
      <p>About forty passengers were aboard the first crossing, most of them islanders
      returning with supplies. The harbour authority said the timetable would be back to
      four daily sailings by Monday, provided the new hydraulic hinges pass a final load
      test over the weekend.</p>
      <p>Island shopkeepers had relied on a chartered fishing boat for deliveries since the
      closure. "We kept the shelves half full, but only just," said one grocer, who added
      that fresh milk had been the hardest thing to get across.</p>
      <p>The repairs cost the county roughly 1.2 million crowns, a figure the council
      expects to recover in part from its storm insurance. A review of the older southern
      ramp is planned for the autumn.</p>
    </article>
    <aside class="related">
      <h2>Most read</h2>
      <ul>
        <li><a href="/news/lighthouse">Lighthouse keeper retires after forty years</a></li>
        <li><a href="/news/regatta">Regatta postponed again</a></li>
      </ul>
    </aside>
    <section id="comments" class="comments">
      <h2>Comments</h2>
      <div class="comment"><p>Finally! My commute has been a nightmare since March.</p></div>
      <div class="comment"><p>Who signed off on the first ramp design anyway?</p></div>
    </section>
  </main>
  <div class="ad ad-sidebar"><p>Advertisement: Win a weekend at the Seaview Spa.</p></div>
  <footer class="site-footer">
    <p>Copyright 2024 Harbour Gazette Media. All rights reserved.</p>
    <p><a href="/privacy">Privacy policy</a> | <a href="/cookies">Cookie settings</a></p>
  </footer>
</body>
</html>
"""

# The same site's furniture around no article at all (a section front gone blank).
EMPTY_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Harbour Gazette</title></head>
<body>
  <header><nav><ul><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul>
  </nav></header>
  <main></main>
  <footer><p>Copyright 2024 Harbour Gazette Media. All rights reserved.</p></footer>
</body></html>
"""

BOILERPLATE = [
    "Subscribe today",
    "Sport",
    "Advertisement",
    "Dockside Paints",
    "Seaview Spa",
    "Most read",
    "Lighthouse keeper",
    "nightmare since March",
    "Who signed off",
    "Copyright",
    "Privacy policy",
    "dataLayer",
]


def article_of(item: object) -> FileArticle:
    assert isinstance(item, FileArticle), item
    return item


def test_main_article_is_extracted_without_boilerplate() -> None:
    item = article_of(parse_page(PAGE.encode(), "ferry.html"))
    article = item.article
    assert item.location == "ferry.html"
    assert article.title == "Ferry service to Gull Island resumes after storm repairs"
    assert article.text.startswith("The morning ferry to Gull Island left the north quay")
    assert "four daily sailings by Monday" in article.text
    assert article.text.endswith("planned for the autumn.")
    assert article.text.count("\n\n") >= 3  # paragraphs kept apart
    for junk in BOILERPLATE:
        assert junk not in article.text, junk
    assert article.source == "Harbour Gazette"


def test_published_time_with_offset_becomes_utc() -> None:
    article = article_of(parse_page(PAGE, "ferry.html")).article
    assert article.published_at == datetime(2024, 5, 3, 5, 45, tzinfo=UTC)


def test_date_only_is_midnight_utc_and_no_date_is_none() -> None:
    dated = PAGE.replace("2024-05-03T07:45:00+02:00", "2024-05-03")
    assert article_of(parse_page(dated, "p.html")).article.published_at == datetime(
        2024, 5, 3, tzinfo=UTC
    )
    undated = PAGE.replace(
        '<meta property="article:published_time" content="2024-05-03T07:45:00+02:00">', ""
    ).replace('<time datetime="2024-05-03T07:45:00+02:00">3 May 2024</time>', "")
    assert article_of(parse_page(undated, "p.html")).article.published_at is None


def test_canonical_link_wins_over_og_url() -> None:
    article = article_of(parse_page(PAGE, "ferry.html")).article
    assert article.url == "https://gazette.example/news/2024/05/ferry-resumes"


def test_og_url_when_no_canonical_link() -> None:
    page = PAGE.replace(
        '<link rel="canonical" href="https://gazette.example/news/2024/05/ferry-resumes">', ""
    )
    article = article_of(parse_page(page, "ferry.html")).article
    assert article.url == "https://gazette.example/share/ferry"  # tracking parameter dropped


def test_relative_canonical_is_resolved_against_the_fetched_url() -> None:
    page = PAGE.replace(
        "https://gazette.example/news/2024/05/ferry-resumes", "/news/2024/05/ferry-resumes"
    )
    item = parse_page(page, "https://gazette.example/s/f1", base_url="https://gazette.example/s/f1")
    assert article_of(item).article.url == "https://gazette.example/news/2024/05/ferry-resumes"
    # In a local file a relative link leads nowhere: og:url is used instead.
    assert article_of(parse_page(page, "ferry.html")).article.url == (
        "https://gazette.example/share/ferry"
    )


def test_without_canonical_the_fetched_url_or_nothing() -> None:
    page = PAGE.replace(
        '<link rel="canonical" href="https://gazette.example/news/2024/05/ferry-resumes">', ""
    ).replace(
        '<meta property="og:url" content="https://gazette.example/share/ferry?utm_source=og">', ""
    )
    fetched = parse_page(page, "https://gazette.example/f", base_url="https://gazette.example/f")
    assert article_of(fetched).article.url == "https://gazette.example/f"
    assert article_of(parse_page(page, "ferry.html")).article.url is None


def test_credentials_of_the_fetched_url_reach_neither_the_url_nor_the_source() -> None:
    # the site name fell back to the netloc, user:password@ included
    page = PAGE.replace(
        '<link rel="canonical" href="https://gazette.example/news/2024/05/ferry-resumes">', ""
    ).replace(
        '<meta property="og:url" content="https://gazette.example/share/ferry?utm_source=og">', ""
    )
    page = re.sub(r'<meta[^>]*site_name[^>]*>', "", page)
    fetched = "https://bob:hunter2@gazette.example/f?api_key=SECRET3&x=1"
    article = article_of(parse_page(page, "ferry", base_url=fetched)).article
    assert article.url == "https://gazette.example/f?x=1"
    assert article.source == "gazette.example"


def test_page_without_an_article_is_rejected_naming_it() -> None:
    item = parse_page(EMPTY_PAGE, "front.html")
    assert isinstance(item, Rejection)
    assert item.location == "front.html"
    assert "no article found on the page" in item.reason
    assert str(item).startswith("front.html: no article found")


def test_page_without_a_title_is_rejected() -> None:
    page = (
        PAGE.replace("<h1>Ferry service to Gull Island resumes after storm repairs</h1>", "")
        .replace(
            '<meta property="og:title" content="Ferry service to Gull Island resumes after storm repairs">',
            "",
        )
        .replace(
            "<title>Ferry service to Gull Island resumes after storm repairs | Harbour Gazette</title>",
            "",
        )
    )
    item = parse_page(page, "untitled.html")
    assert isinstance(item, Rejection)
    assert item.reason == "no article found on the page: it has text but no title"


def test_empty_and_non_html_content_is_rejected() -> None:
    empty = parse_page(b"  \n", "blank.html")
    assert isinstance(empty, Rejection) and empty.reason == "the page is empty"
    binary = parse_page(b"\x00\x01\x02\x03" * 50, "blob.bin")
    assert isinstance(binary, Rejection) and binary.reason.startswith("not an HTML page")


async def test_read_page_from_file(tmp_path: Path) -> None:
    path = tmp_path / "ferry.html"
    path.write_text(PAGE, encoding="utf-8")
    item = article_of(await read_page(str(path)))
    assert item.location == str(path)
    assert item.article.url == "https://gazette.example/news/2024/05/ferry-resumes"


async def test_read_page_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PageUnavailable, match="cannot read page .*nope.html: No such file") as info:
        await read_page(str(tmp_path / "nope.html"))
    assert info.value.location == str(tmp_path / "nope.html")
    assert info.value.reason == "No such file or directory"


async def test_read_page_file_too_large(tmp_path: Path) -> None:
    path = tmp_path / "huge.html"
    path.write_bytes(b"<p>" + b"x" * MAX_PAGE_BYTES + b"</p>")
    with pytest.raises(PageUnavailable, match="larger than 5 MiB"):
        await read_page(str(path))


# --- fetching ------------------------------------------------------------------


def mock_client(handler, timeout_s: float = 1) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return page_client(
        timeout_s=timeout_s, addresses=AddressPolicy(), transport=httpx.MockTransport(handler)
    )


async def fetch(url: str, handler, timeout_s: float = 1):  # type: ignore[no-untyped-def]
    client = mock_client(handler, timeout_s)
    try:
        return await fetch_page(url, client=client)
    finally:
        await client.aclose()


async def test_fetch_page_returns_text_in_the_declared_charset() -> None:
    latin = PAGE.replace('<meta charset="utf-8">', "").replace("Lindqvist", "Lindqvíst")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=latin.encode("latin-1"),
            headers={"content-type": "text/html; charset=ISO-8859-1"},
        )

    body, final = await fetch("https://gazette.example/f", handler)
    assert isinstance(body, str) and "Lindqvíst" in body
    assert final == "https://gazette.example/f"


async def test_fetch_page_http_error() -> None:
    with pytest.raises(
        PageUnavailable, match="cannot fetch page https://gazette.example/gone: HTTP 404 Not Found"
    ):
        await fetch("https://gazette.example/gone",
                    lambda request: httpx.Response(404, text="<h1>Not found</h1>"))


@pytest.mark.parametrize("content_type", ["application/pdf", "application/json; charset=utf-8"])
async def test_fetch_page_refuses_other_content_types(content_type: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"%PDF-1.7", headers={"content-type": content_type})

    with pytest.raises(PageUnavailable, match=r"not an HTML page \(content type application/"):
        await fetch("https://gazette.example/report", handler)


async def test_fetch_page_accepts_xhtml() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=PAGE.encode(), headers={"content-type": "application/xhtml+xml"}
        )

    body, _ = await fetch("https://gazette.example/x", handler)
    assert body == PAGE  # decoded by its <meta charset>


async def test_fetch_page_refuses_large_bodies() -> None:
    def declared(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"content-type": "text/html", "content-length": str(MAX_PAGE_BYTES + 1)},
            content=b"",
        )

    with pytest.raises(PageUnavailable, match="larger than 5 MiB"):
        await fetch("https://gazette.example/big", declared)

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(6):
            yield b"<p>" + b"y" * (1 << 20) + b"</p>"

    def streamed(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/html"}, content=chunks())

    with pytest.raises(PageUnavailable, match="larger than 5 MiB"):
        await fetch("https://gazette.example/big", streamed)


async def test_fetch_page_network_errors() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    with pytest.raises(PageUnavailable, match="down.example/a: ConnectError: connection refused"):
        await fetch("https://down.example/a", refused)
    with pytest.raises(PageUnavailable, match="no response within 2.5 s"):
        await fetch("https://slow.example/a", slow, timeout_s=2.5)


async def test_fetch_errors_never_show_credentials() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    url = "https://reader:s3cret@gazette.example/a?token=t0ken&id=7"
    with pytest.raises(PageUnavailable) as caught:
        await fetch(url, refuse)
    message = str(caught.value)
    assert "gazette.example/a" in message and "id=7" in message
    assert "s3cret" not in message and "reader" not in message and "t0ken" not in message


@pytest.mark.parametrize(("body", "declared", "text"), [
    # a UTF-8 page with a byte order mark, served as windows-1252: the mark wins
    ("\ufeffCafé “summit”".encode(), "windows-1252", "Café “summit”"),
    # windows-1252 bytes labelled latin-1, as browsers read them: quotes and
    # dashes were C1 controls, then dropped by cleaning
    ("Café “summit” – talks".encode("cp1252"), "iso-8859-1", "Café “summit” – talks"),
    (b"plain", "utf-8", "plain"),
])
def test_a_page_is_decoded_as_a_browser_decodes_it(body: bytes, declared: str, text: str) -> None:
    assert body.decode(html_charset(body, declared)) == text


async def test_fetch_page_refuses_stacked_compression() -> None:
    import gzip

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=gzip.compress(gzip.compress(PAGE.encode())), headers={
            "content-type": "text/html", "content-encoding": "gzip, gzip"})

    with pytest.raises(PageUnavailable, match=r"page is compressed more than once"):
        await fetch("https://gazette.example/x", handler)


CURLY = "the minister said \u201cwe will respond\u201d \u2014 on Monday\u2019s visit"


@pytest.mark.parametrize("meta", [
    '<meta charset="iso-8859-1">',
    '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">',
])
async def test_a_page_labelled_latin1_only_in_its_meta_keeps_its_quotes_and_dashes(
        meta: str, tmp_path: Path) -> None:
    # before: with no charset in the HTTP header (or from a file) the bytes
    # went to the extractor as they were: quotes and dashes lost, words glued
    page = PAGE.replace('<meta charset="utf-8">', meta).replace(
        "The morning ferry", f"And {CURLY}. The morning ferry", 1).encode("cp1252")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=page, headers={"content-type": "text/html"})

    body, _ = await fetch("https://gazette.example/latin", handler)
    assert isinstance(body, str) and CURLY in body
    path = tmp_path / "latin.html"
    path.write_bytes(page)
    assert CURLY in article_of(await read_page(str(path))).article.text


def test_a_meta_that_says_utf16_on_a_page_written_in_ascii_is_read_as_utf8() -> None:
    # as browsers do; decoded as UTF-16 it was "no HTML document"
    from watchfloor.services.ingest.pages import decoded_page

    for label in ("utf-16", "utf16", "UTF_16LE", "utf-32"):
        page = PAGE.replace('<meta charset="utf-8">', f"<meta charset='{label}'>").encode()
        assert decoded_page(page) == page.decode(), label
        assert isinstance(parse_page(decoded_page(page), "page.html"), FileArticle)


async def test_an_undeclared_page_is_read_as_utf8_when_it_is_and_left_to_the_extractor_else(
        tmp_path: Path) -> None:
    page = PAGE.replace('<meta charset="utf-8">', "").replace(
        "The morning ferry", "In Skåne, the morning ferry", 1)
    path = tmp_path / "skane.html"
    path.write_bytes(page.encode())
    assert "Skåne" in article_of(await read_page(str(path))).article.text
    # undeclared legacy charsets: the extractor's guess (a share-of-bytes rule
    # read Cyrillic, Polish and Japanese pages as windows-1252)
    for text, encoding in (("Россия провела учения", "cp1251"),
                           ("ćwiczy pod Łodzią", "cp1250"),
                           ("北朝鮮が弾道ミサイルを発射した", "shift_jis")):
        legacy = PAGE.replace('<meta charset="utf-8">', "").replace(
            "The morning ferry", f"{text}. The morning ferry", 1).encode(encoding)
        assert decoded_page(legacy) == legacy, encoding
