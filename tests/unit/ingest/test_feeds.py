from pathlib import Path

import httpx
import pytest
from watchfloor.services.ingest.feeds import (
    FeedUnavailable,
    feed_client,
    fetch_feed,
    parse_feed,
    read_feed,
)
from watchfloor.services.ingest.files import FileArticle, Rejection
from watchfloor.shared.addresses import AddressPolicy

pytest.importorskip("feedparser")

RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel>
  <title>Valley Courier</title>
  <item>
    <title>Orchard harvest starts early</title>
    <link>https://courier.example/harvest?utm_source=rss</link>
    <guid>courier-101</guid>
    <pubDate>Wed, 01 May 2024 09:30:00 +0200</pubDate>
    <description>&lt;p&gt;Pickers arrived on &lt;b&gt;Monday&lt;/b&gt;.&lt;/p&gt;</description>
  </item>
  <item>
    <title></title>
    <link>https://courier.example/empty</link>
  </item>
</channel></rss>
"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Ridge Notes</title>
  <entry>
    <title>Trail reopened</title>
    <id>tag:ridge.example,2024:7</id>
    <link href="https://ridge.example/trail"/>
    <updated>2024-05-02T08:00:00Z</updated>
    <content type="html">&lt;p&gt;Rangers cleared the path.&lt;/p&gt;</content>
  </entry>
</feed>
"""


def test_rss_entries_become_articles() -> None:
    first, second = parse_feed(RSS, "courier.xml")
    assert isinstance(first, FileArticle)
    article = first.article
    assert first.location == "courier.xml#entry1"
    assert article.title == "Orchard harvest starts early"
    assert article.text == "Pickers arrived on Monday."
    assert article.url == "https://courier.example/harvest"
    assert article.source == "Valley Courier"
    assert article.source_id == "courier-101"
    assert article.published_at is not None and article.published_at.isoformat() == (
        "2024-05-01T07:30:00+00:00"
    )
    assert isinstance(second, Rejection)
    assert second.reason.startswith("title: is empty")


def test_atom_content_is_used() -> None:
    [item] = parse_feed(ATOM, "ridge.xml")
    assert isinstance(item, FileArticle)
    assert item.article.text == "Rangers cleared the path."
    assert item.article.url == "https://ridge.example/trail"
    assert item.article.source_id == "tag:ridge.example,2024:7"


def test_not_a_feed() -> None:
    with pytest.raises(FeedUnavailable, match="is not an RSS or Atom feed"):
        parse_feed(b"<html><body>hello", "page.html")


@pytest.mark.parametrize("content", [b"", b"  \n"])
def test_an_empty_file_is_no_feed(content: bytes) -> None:
    """A truncated download or an empty file is an error, not a feed with no
    items: the run must not pass as ingested."""
    with pytest.raises(FeedUnavailable, match="saved.xml is empty: no RSS or Atom feed"):
        parse_feed(content, "saved.xml")


def mock_client(handler) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return feed_client(timeout_s=1, addresses=AddressPolicy(),
                       transport=httpx.MockTransport(handler))


async def test_fetch_feed_over_http() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/rss":
            return httpx.Response(200, content=RSS)
        return httpx.Response(404)

    client = mock_client(handler)
    try:
        assert (await fetch_feed("https://courier.example/rss", client=client)).body == RSS
        with pytest.raises(
            FeedUnavailable, match="cannot fetch https://courier.example/gone: HTTP 404"
        ):
            await fetch_feed("https://courier.example/gone", client=client)
    finally:
        await client.aclose()


async def test_fetch_feed_connection_error_never_shows_credentials() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"connection refused by {request.url}")

    client = mock_client(handler)
    try:
        with pytest.raises(FeedUnavailable, match="connection refused") as caught:
            await fetch_feed("https://rd:s3cret@down.example/rss?api_key=k3y", client=client)
    finally:
        await client.aclose()
    assert "s3cret" not in str(caught.value) and "k3y" not in str(caught.value)
    assert "down.example/rss" in str(caught.value)


async def test_read_feed_from_file(tmp_path: Path) -> None:
    path = tmp_path / "ridge.xml"
    path.write_bytes(ATOM)
    [item] = await read_feed(str(path))
    assert isinstance(item, FileArticle)


async def test_read_feed_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FeedUnavailable, match="cannot read .*nope.xml: No such file"):
        await read_feed(str(tmp_path / "nope.xml"))


RELATIVE_RSS = RSS.replace(b"https://courier.example/harvest?utm_source=rss", b"/news/harvest")
RELATIVE_ATOM = ATOM.replace(b'href="https://ridge.example/trail"', b'href="trail/7"')


@pytest.mark.parametrize(("document", "base", "url"), [
    (RELATIVE_RSS, "https://courier.example/feeds/main.xml", "https://courier.example/news/harvest"),
    (RELATIVE_ATOM, "https://ridge.example/feeds/atom", "https://ridge.example/feeds/trail/7"),
], ids=["rss", "atom"])
def test_relative_links_are_resolved_against_where_the_feed_came_from(
    document: bytes, base: str, url: str
) -> None:
    # every such item was rejected ("URL must be http:// or https://, got no scheme")
    first = parse_feed(document, "feed", base_url=base)[0]
    assert isinstance(first, FileArticle) and first.article.url == url


def test_an_overlong_channel_title_does_not_reject_the_items() -> None:
    long_title = RSS.replace(b"<title>Valley Courier</title>", b"<title>" + b"V" * 800 + b"</title>")
    first = parse_feed(long_title, "feed")[0]
    assert isinstance(first, FileArticle) and first.article.source == "V" * 500


async def test_fetch_feed_refuses_stacked_compression() -> None:
    import gzip

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=gzip.compress(gzip.compress(RSS)),
                              headers={"content-encoding": "gzip, gzip"})

    client = mock_client(handler)
    try:
        with pytest.raises(FeedUnavailable, match="courier.example/rss is compressed more than once"):
            await fetch_feed("https://courier.example/rss", client=client)
    finally:
        await client.aclose()


def _one(document: bytes) -> FileArticle:
    (item,) = parse_feed(document, "feed")
    assert isinstance(item, FileArticle), item
    return item


def test_an_entry_without_a_link_is_kept_without_a_url() -> None:
    # feedparser copies a guid or an Atom id into the link of an entry with
    # none: "no scheme" / "scheme 'urn'" refused the whole article
    rss = (b'<rss version="2.0"><channel><title>Wire</title><item><title>Ferry resumes'
           b'</title><description>The ferry runs again.</description>'
           b'<guid>20240506-0001</guid></item></channel></rss>')
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title><entry>'
            b'<id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id><title>Ferry resumes</title>'
            b'<content>The ferry runs again.</content><updated>2024-05-06T00:00:00Z</updated>'
            b'</entry></feed>')
    for document in (rss, atom):
        article = _one(document).article
        assert article.url is None and article.title == "Ferry resumes"


def test_a_date_without_a_time_zone_is_read_as_utc_not_lost() -> None:
    rss = (b'<rss version="2.0"><channel><title>Wire</title><item><title>Flash</title>'
           b'<link>https://wire.example/1</link>'
           b'<pubDate>Mon, 06 May 2024 01:00:00</pubDate></item></channel></rss>')
    published = _one(rss).article.published_at
    assert published is not None and published.isoformat() == "2024-05-06T01:00:00+00:00"


def test_an_overlong_guid_does_not_reject_the_item() -> None:
    guid = "CBMi" + "x" * 560
    rss = (b'<rss version="2.0"><channel><title>News</title><item><title>Flash</title>'
           b'<link>https://news.example/a</link><guid isPermaLink="false">'
           + guid.encode() + b'</guid></item></channel></rss>')
    first = _one(rss)
    assert first.article.url == "https://news.example/a"


@pytest.mark.parametrize(("stamp", "utc"), [
    ("Wed, 15 May 2024 23:30:00 CEST", "2024-05-15T21:30:00+00:00"),  # was 23:30 UTC
    ("Tue, 07 May 2024 10:00:00 GMT+3", "2024-05-07T07:00:00+00:00"),  # was 10:00 UTC
    ("Tue, 07 May 2024 10:00:00 UTC+05:30", "2024-05-07T04:30:00+00:00"),
    ("Tue, 07 May 2024 10:00:00 MSK", "2024-05-07T07:00:00+00:00"),
    ("Tue, 07 May 2024 10:00:00 EDT", "2024-05-07T14:00:00+00:00"),
    ("Tue, 07 May 2024 10:00:00 +0200", "2024-05-07T08:00:00+00:00"),
    ("2024-05-06 23:30:00 UTC", "2024-05-06T23:30:00+00:00"),  # Rails' own format
    ("2024-05-06 23:30:00 CEST", "2024-05-06T21:30:00+00:00"),
    ("2024-05-06 23:30 Z", "2024-05-06T23:30:00+00:00"),
    ("Tue, 07 May 2024 10:00:00 MESZ", "2024-05-07T08:00:00+00:00"),
    # a name and its own offset written out ("%Z %z"): the offset once
    ("Tue, 07 May 2024 10:00:00 EST -0500", "2024-05-07T15:00:00+00:00"),
    ("Tue, 07 May 2024 10:00:00 CEST +0200", "2024-05-07T08:00:00+00:00"),
    # another zone is feedparser's reading, as before: a date, not none (a
    # flash without a link needs its day)
    ("Tue, 07 May 2024 10:00:00 QQT", "2024-05-07T10:00:00+00:00"),
])
def test_a_named_time_zone_is_read_as_that_zone(stamp: str, utc: str | None) -> None:
    rss = (b'<rss version="2.0"><channel><title>Wire</title><item><title>Flash</title>'
           b'<link>https://wire.example/1</link>'
           b"<pubDate>" + stamp.encode() + b"</pubDate></item></channel></rss>")
    published = _one(rss).article.published_at
    assert (published.isoformat() if published else None) == utc


def test_an_atom_date_in_utc_is_kept() -> None:
    [item] = parse_feed(ATOM, "ridge.xml")
    assert item.article.published_at.isoformat() == "2024-05-02T08:00:00+00:00"


def test_an_empty_or_picture_only_content_falls_back_to_the_summary() -> None:
    # both items share a headline and a day: as bare headlines the second was
    # dropped as a duplicate of the first, and the first went out without text
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Briefs</title>
  <entry><title>News in brief</title><id>tag:b.example,2024:1</id>
    <link href="https://b.example/1"/><updated>2024-05-17T08:00:00Z</updated>
    <summary>The frigate escorted two grain ships through the strait.</summary>
    <content type="html"></content></entry>
  <entry><title>News in brief</title><id>tag:b.example,2024:2</id>
    <link href="https://b.example/2"/><updated>2024-05-17T17:00:00Z</updated>
    <summary>Ostland extended its export ban for a year.</summary>
    <content type="html">&lt;figure&gt;&lt;img src="a.jpg"/&gt;&lt;/figure&gt;</content></entry>
</feed>"""
    first, second = parse_feed(atom, "briefs.xml")
    assert first.article.text == "The frigate escorted two grain ships through the strait."
    assert second.article.text == "Ostland extended its export ban for a year."
    assert first.article.id != second.article.id
