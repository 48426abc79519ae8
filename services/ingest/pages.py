"""Articles from HTML pages, given as a URL or a local file.

The main article of the page is found with trafilatura (boilerplate such as
navigation, adverts, related links, comments and footers is left out): its
title, text, publication date, site name as source and the page's canonical
URL (``<link rel="canonical">``, else ``og:url``, else the address the page
was fetched from) become an input article, which then goes through
``prepare_article`` like any other, so a page is judged and deduplicated
exactly as files, feeds and HTTP posts are.

A page that cannot be fetched or read raises ``PageUnavailable``; a page
read fine but without an article in it (no title or no text) comes back as a
``Rejection`` naming the page. Fetching (``services.ingest.fetching``) has a
total deadline and refuses non-public addresses, redirects included; messages
show the URL without its credentials.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import re
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import httpx
from watchfloor.services.ingest.fetching import (
    FETCH_ERRORS,
    describe_error,
    http_client,
)
from watchfloor.services.ingest.files import FileArticle, FileItem, Rejection
from watchfloor.services.ingest.normalise import InvalidURL, canonical_url, normalise_line
from watchfloor.services.ingest.prepare import prepare_article
from watchfloor.services.ingest.problems import ArticleRejected
from watchfloor.shared.addresses import AddressPolicy
from watchfloor.shared.downloads import BodyRefused, read_download
from watchfloor.shared.errors import Unavailable
from watchfloor.shared.urls import looks_like_http_url, redact_credentials

MAX_PAGE_BYTES = 5 << 20
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_DEADLINE_S = 30.0
USER_AGENT = "Watchfloor/0.1 (+news alerting)"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
# htmldate's format for trafilatura's date: keep the time and offset when the
# page gives them (a date alone comes back as midnight, taken as UTC).
_DATE_PARAMS = {
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
    "original_date": True,  # when published, not when last modified
    "extensive_search": False,  # only dates the markup states, no guesses from the prose
}
# Page furniture dropped before extraction: on a short article, trafilatura's
# fallback extractors would otherwise keep menu entries ("Home") as text.
_PRUNE_XPATH = [
    "//nav",
    "//footer",
    "//aside",
    "//*[@role='navigation' or @role='contentinfo' or @role='complementary']",
]


class PageUnavailable(Unavailable):
    """The page could not be fetched or read, or is not an HTML page. The
    message shows a URL without its credentials."""

    def __init__(self, location: str, reason: str) -> None:
        is_url = looks_like_http_url(location)
        verb, shown = ("fetch", redact_credentials(location)) if is_url else ("read", location)
        super().__init__(f"cannot {verb} page {shown}: {reason}")
        self.location = location
        self.reason = reason


# --- fetching ----------------------------------------------------------------


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def page_client(
    *, timeout_s: float, addresses: AddressPolicy,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The client ``fetch_page`` uses (``fetching.http_client`` with a
    browser-like Accept); close it with ``aclose()``."""
    return http_client(
        timeout_s=timeout_s, addresses=addresses,
        headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT}, transport=transport,
    )


async def fetch_page(
    url: str, *, client: httpx.AsyncClient, deadline_s: float = DEFAULT_DEADLINE_S
) -> tuple[bytes | str, str]:
    """The HTML at ``url`` and the address it was finally served from.

    The body comes back as text when the response names its charset, else as
    bytes for the extractor to decode from the page's own declaration.
    Raises ``PageUnavailable`` on any failure: network error, refused
    address, HTTP error status, too many redirects, a content type that is
    not HTML, a body over ``MAX_PAGE_BYTES``, or ``deadline_s`` passed.
    """
    try:
        async with asyncio.timeout(deadline_s):
            body, final_url, charset = await _download(url, client)
    except FETCH_ERRORS as exc:
        reason = describe_error(exc, timeout_s=_read_timeout(client), deadline_s=deadline_s)
        raise PageUnavailable(url, reason) from None
    return decoded_page(body, charset), final_url


# Labels browsers read as windows-1252 (the WHATWG Encoding Standard): pages
# labelled latin-1 are in practice written in it, and its curly quotes and
# dashes would otherwise decode as C1 controls, which cleaning then drops.
_WINDOWS_1252_LABELS = frozenset({
    "latin1", "latin-1", "iso-8859-1", "iso8859-1", "iso_8859-1", "l1", "us-ascii", "ascii",
    "cp819", "ibm819", "windows-1252", "cp1252", "x-cp1252"})  # fmt: skip
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


# <meta charset="..."> or <meta http-equiv="Content-Type" content="...; charset=...">,
# looked for in the first 1024 bytes as a browser's pre-scan does
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)


def html_charset(body: bytes, declared: str | None) -> str | None:
    """How a browser decodes a page served with charset ``declared`` (None:
    the header names none, or a local file): a byte order mark wins, then
    the header, then the page's own ``<meta>``; latin-1 labels mean
    windows-1252. None when nothing says: the extractor guesses."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return encoding
    if not declared:
        found = _META_CHARSET.search(body[:1024])
        declared = found.group(1).decode("ascii") if found else None
        # a page that could state its charset in ASCII is no UTF-16 (nor
        # UTF-32): browsers read such a <meta> as UTF-8
        if declared and _codec_name(declared).startswith(("utf-16", "utf-32")):
            declared = "utf-8"
    if declared and declared.strip().lower() in _WINDOWS_1252_LABELS:
        return "cp1252"
    return declared


def _codec_name(label: str) -> str:
    try:
        return codecs.lookup(label.strip()).name
    except LookupError:
        return ""


def decoded_page(body: bytes, declared: str | None = None) -> bytes | str:
    """``body`` as text when its charset is known (``html_charset``) or it
    is valid UTF-8, else as it is for the extractor to work out. (An
    undeclared page in a legacy charset is the extractor's guess: windows-1252
    by the share of bytes outside ASCII garbled undeclared Cyrillic, Polish
    and Japanese pages, which it reads right.)"""
    charset = html_charset(body, declared)
    if charset:
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            return body  # an unknown charset name: let the extractor work it out
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body


async def _download(url: str, client: httpx.AsyncClient) -> tuple[bytes, str, str | None]:
    async with client.stream("GET", url) as response:
        if response.status_code >= 400:
            reason = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
            raise PageUnavailable(url, reason)
        content_type = response.headers.get("content-type")
        # No Content-Type at all: let the extractor judge the body.
        if content_type is not None and _media_type(content_type) not in HTML_TYPES:
            raise PageUnavailable(
                url, f"not an HTML page (content type {_media_type(content_type) or '?'})"
            )
        try:
            body = await read_download(response, MAX_PAGE_BYTES, f"{MAX_PAGE_BYTES >> 20} MiB")
        except BodyRefused as exc:
            raise PageUnavailable(url, f"page is {exc}") from None
        return body, str(response.url), response.charset_encoding


def _read_timeout(client: httpx.AsyncClient) -> float:
    return client.timeout.read or 0.0


def _read_file(location: str) -> bytes:
    try:
        with open(location, "rb") as handle:
            content = handle.read(MAX_PAGE_BYTES + 1)
    except OSError as exc:
        raise PageUnavailable(location, exc.strerror or str(exc)) from None
    if len(content) > MAX_PAGE_BYTES:
        raise PageUnavailable(location, f"page is larger than {MAX_PAGE_BYTES >> 20} MiB")
    return content


# --- extraction --------------------------------------------------------------


def _page_url(tree: Any, base_url: str | None) -> str | None:
    """The page's canonical URL: ``<link rel=canonical>``, else ``og:url``,
    else ``base_url``. Relative links are resolved against ``base_url``;
    a candidate that is not a valid http(s) URL is skipped."""
    candidates: list[str] = []
    for link in tree.iterfind(".//link[@rel][@href]"):
        if "canonical" in link.get("rel", "").lower().split():
            candidates.append(link.get("href", ""))
    for meta in tree.iterfind(".//meta[@content]"):
        if (meta.get("property") or meta.get("name") or "").strip().lower() == "og:url":
            candidates.append(meta.get("content", ""))
    for candidate in candidates:
        candidate = candidate.strip()
        if not candidate:
            continue
        if base_url:
            candidate = urljoin(base_url, candidate)
        try:
            canonical_url(candidate)
        except InvalidURL:
            continue
        return candidate
    return base_url


# Where a page states its headline. trafilatura falls back to the first <h2>
# when there is none of these, which on a news page is a "Most read" box or
# the comments heading, not a title.
_TITLE_XPATH = (
    "//title[normalize-space()] | //h1[normalize-space()]"
    " | //meta[@property='og:title' or @name='og:title' or @name='twitter:title'"
    " or @property='twitter:title' or @name='title' or @itemprop='headline']"
    "[normalize-space(@content)]"
    " | //*[@itemprop='headline'][normalize-space()]"
)


def _published_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _body_text(text: str | None, title: str) -> str:
    """One paragraph per extracted line, without a leading repeat of the title."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if lines and normalise_line(lines[0]) == title:
        lines = lines[1:]
    return "\n\n".join(lines)


def page_to_raw(content: bytes | str, *, base_url: str | None) -> dict[str, Any] | None:
    """The input-article fields of one HTML page (before validation), or
    None when the content is not an HTML document at all."""
    import trafilatura  # imported here: it is slow to load, and only pages need it

    tree = trafilatura.load_html(content)
    if tree is None:
        return None
    url = _page_url(tree, base_url)
    if url:
        # trafilatura names the site from the URL's netloc, user:password@ included
        with contextlib.suppress(InvalidURL):
            url = canonical_url(url)
    has_title = bool(tree.xpath(_TITLE_XPATH))
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        favor_precision=True,  # a stray menu or advert in the text misleads the classifier
        include_comments=False,
        include_images=False,
        include_links=False,
        with_metadata=True,
        date_extraction_params=_DATE_PARAMS,
        prune_xpath=_PRUNE_XPATH,
    )
    if document is None:  # nothing that reads like an article
        return {"title": "", "text": "", "url": url}
    title = normalise_line(document.title) if has_title else ""
    return {
        "title": title,
        "text": _body_text(document.text, title),
        "url": url,
        "source": document.sitename or None,
        "published_at": _published_at(document.date),
    }


def parse_page(
    content: bytes | str,
    location: str,
    *,
    base_url: str | None = None,
    now: datetime | None = None,
) -> FileItem:
    """The article in an HTML document; ``location`` (URL or path) names it in
    a rejection, ``base_url`` is where it was fetched from (None for a file)."""
    if not content.strip():
        return Rejection(location, "the page is empty")
    raw = page_to_raw(content, base_url=base_url)
    if raw is None:
        return Rejection(location, "not an HTML page: no HTML document could be parsed")
    if not raw["text"]:
        return Rejection(location, "no article found on the page: no main text could be extracted")
    if not raw["title"]:
        return Rejection(location, "no article found on the page: it has text but no title")
    try:
        return FileArticle(location, prepare_article(raw, now=now))
    except ArticleRejected as exc:
        return Rejection(location, str(exc))


async def read_page(
    location: str,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    deadline_s: float = DEFAULT_DEADLINE_S,
    addresses: AddressPolicy | None = None,
) -> FileItem:
    """The article of the page at an http(s) URL or in a local HTML file.

    A URL is fetched with ``timeout_s`` per step and ``deadline_s`` in all;
    ``addresses`` says which non-public addresses it may reach (none by
    default). A rejection names a URL without its credentials."""
    if looks_like_http_url(location):
        client = page_client(timeout_s=timeout_s, addresses=addresses or AddressPolicy())
        try:
            content, final_url = await fetch_page(location, client=client, deadline_s=deadline_s)
        finally:
            await client.aclose()
        return parse_page(content, redact_credentials(location), base_url=final_url)
    return parse_page(decoded_page(_read_file(location)), location)
