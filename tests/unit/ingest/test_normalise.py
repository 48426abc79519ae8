from datetime import UTC, datetime, timedelta, timezone

import pytest
from watchfloor.services.ingest.normalise import (
    InvalidURL,
    as_utc,
    canonical_url,
    normalise_line,
    normalise_optional,
    normalise_text,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Patrol   boats\tleave\nport  ", "Patrol boats leave port"),
        ("Talks&nbsp;resume &amp; continue", "Talks resume & continue"),
        ("Caf\u0065\u0301 opens", "Caf\u00e9 opens"),  # NFC: e + combining acute -> é
        ("Zero\u200bwidth\u00adhidden\ufeff", "Zerowidthhidden"),
        ("bell\x07 and null\x00 chars", "bell and null chars"),
        ("line\u2028separator", "line separator"),
        ("&#x41;&#66;C", "ABC"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_line(raw: str | None, expected: str) -> None:
    assert normalise_line(raw) == expected


def test_legacy_entities_without_semicolon_stay_text() -> None:
    # "&para" would become a pilcrow with html.unescape alone
    assert normalise_line("R&D budget &paragraph AT&T") == "R&D budget &paragraph AT&T"


def test_entities_are_unescaped_once() -> None:
    assert normalise_line("a &amp;amp; b") == "a &amp; b"


def test_text_keeps_paragraphs_and_joins_hard_wraps() -> None:
    raw = "  First line\r\nwrapped here.\r\n\r\n \t \n\n\nSecond   paragraph.\n"
    assert normalise_text(raw) == "First line wrapped here.\n\nSecond paragraph."


@pytest.mark.parametrize("line_break", ["\r", "\r\n", "\u2028", "\u2029", "\x0b", "\x0c", "\x85"])
def test_every_kind_of_line_break_counts(line_break: str) -> None:
    raw = f"First line{line_break}wrapped.{line_break}{line_break}Second\u00a0paragraph."
    assert normalise_text(raw) == "First line wrapped.\n\nSecond paragraph."


def test_text_of_only_whitespace_is_empty() -> None:
    assert normalise_text(" \n\n\t\u00a0 ") == ""


def test_normalise_optional_gives_none_for_blank() -> None:
    assert normalise_optional("   ") is None
    assert normalise_optional(" Harbour  Gazette ") == "Harbour Gazette"


def test_as_utc() -> None:
    plus_two = datetime(2024, 5, 1, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    assert as_utc(plus_two) == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    assert as_utc(datetime(2024, 5, 1, 9, 30)) == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    assert as_utc(None) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://News.Example.ORG/World/Story", "https://news.example.org/World/Story"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("http://example.org:8080/a", "http://example.org:8080/a"),
        ("https://example.org/a/#comments", "https://example.org/a"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org/", "https://example.org/"),
        ("https://example.org/story/", "https://example.org/story"),
        (
            "https://example.org/s?utm_source=x&b=2&UTM_Medium=y&a=1&fbclid=z&gclid=q",
            "https://example.org/s?a=1&b=2",
        ),
        ("https://example.org/s?utm_campaign=only", "https://example.org/s"),
        ("https://example.org/s?at_medium=rss&at_campaign=x&ns_source=y&ocid=z&smid=w&id=7",
         "https://example.org/s?id=7"),
        ("https://example.org/a/./b/../c", "https://example.org/a/c"),
        ("https://example.org/%7euser/%2f", "https://example.org/~user/%2F"),
        ("https://example.org/with space/é", "https://example.org/with%20space/%C3%A9"),
        ("https://user:secret@example.org/a", "https://example.org/a"),
        ("https://bücher.example/a", "https://xn--bcher-kva.example/a"),
        ("http://[::1]:80/x", "http://[::1]/x"),
        ("  https://example.org/padded  ", "https://example.org/padded"),
        ("https://example.org/s?id=7&&flag", "https://example.org/s?flag&id=7"),
        ("https://example.org./a", "https://example.org/a"),
        # a credential's name written with escapes is that name
        ("https://example.org/s?%74oken=S&api%5Fkey=K&tok%65n=T&id=7", "https://example.org/s?id=7"),
        ("https://example.org/s?utm%5Fsource=x&id=7", "https://example.org/s?id=7"),
        # a credential never travels with an article; look-alike names stay
        ("https://example.org/s?api_key=K1&id=7&Token=T2&access_token=T3",
         "https://example.org/s?id=7"),
        ("https://example.org/s?monkey=1&keyword=x&passage=2",
         "https://example.org/s?keyword=x&monkey=1&passage=2"),
        # names that end in what they carry, in any case or separator style
        ("https://example.org/s?apiToken=A&private_token=B&refresh_token=C&accessToken=D"
         "&X-Amz-Signature=E&access_key=F&clientSecret=G&id=7",
         "https://example.org/s?id=7"),
        ("https://example.org/s?key=page-9&tokens=3&turkey=1",  # a page's own key stays
         "https://example.org/s?key=page-9&tokens=3&turkey=1"),
        # tokens that say which page, not who: two pages must stay two
        ("https://example.org/live?pageToken=3&next_token=x&continuation_token=y",
         "https://example.org/live?continuation_token=y&next_token=x&pageToken=3"),
    ],
)
def test_canonical_url(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


def test_canonical_url_is_idempotent() -> None:
    once = canonical_url("HTTP://Example.org:80/a/b/?z=1&a=%7e#x")
    assert canonical_url(once) == once


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("ftp://example.org/file", "got scheme 'ftp'"),
        ("javascript:alert(1)", "got scheme 'javascript'"),
        ("example.org/story", "got no scheme"),
        ("https:///no-host", "has no host"),
        ("https://exa mple.org/", "not a valid domain name"),
        ("https://example.org:99999/", "malformed"),
    ],
)
def test_canonical_url_rejects(raw: str, message: str) -> None:
    with pytest.raises(InvalidURL, match=message):
        canonical_url(raw)
