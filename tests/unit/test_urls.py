"""URLs: which are http(s), and how they are shown without credentials."""

from __future__ import annotations

import httpx
import pytest
from watchfloor.shared.addresses import AddressPolicy, parse_allowlist
from watchfloor.shared.egress import GuardedAsyncTransport
from watchfloor.shared.urls import (
    UNPARSEABLE,
    is_http_url,
    looks_like_http_url,
    redact_credentials,
    redact_url,
)


def test_redact_url_hides_only_the_password():
    assert redact_url("redis://user:pw@host:6380/1") == "redis://user:***@host:6380/1"
    assert redact_url("redis://:pw@host/0") == "redis://:***@host/0"
    assert redact_url("redis://host:6379/0") == "redis://host:6379/0"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://ledger.example/rss", "https://ledger.example/rss"),
        ("https://u:p@ledger.example:8443/rss", "https://***@ledger.example:8443/rss"),
        ("https://token@ledger.example/rss", "https://***@ledger.example/rss"),
        ("https://ledger.example/rss?api_key=abc&lang=en",
         "https://ledger.example/rss?api_key=***&lang=en"),
        ("https://ledger.example/rss?lang=en", "https://ledger.example/rss?lang=en"),
        ("https://ledger.example/rss?postcode=SW1&code=x1",
         "https://ledger.example/rss?postcode=SW1&code=***"),
    ],
)
def test_redact_credentials(url: str, shown: str) -> None:
    assert redact_credentials(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "https://reader:hunter2@wire.example/feed.atom",
        "https://hunter2@hooks.example/in",
        "https://hooks.example/in?token=hunter2&x=1",
        "https://hooks.example/in?Session_Key=hunter2",
        "https://fn.example/api/alert?code=hunter2",  # Azure Functions
        "https://hooks.example/in?pwd=hunter2&user=me",
        "https://s3.example/b/o?X-Amz-Security-Token=hunter2",
        "https://u:hunter2@hooks.example:notaport/in",  # unreadable: shown as a marker
    ],
)
def test_redact_credentials_never_shows_a_password_or_token(url: str) -> None:
    assert "hunter2" not in redact_credentials(url)


@pytest.mark.parametrize(
    "url",
    [
        "redis://admin:hunter2@db.internal:6379/0",
        "rediss://:hunter2@db.internal/1",
        "redis://:hunter2@db.internal:notaport/1",
    ],
)
def test_redact_url_never_shows_the_password(url: str) -> None:
    assert "hunter2" not in redact_url(url)


def test_an_unreadable_url_is_shown_as_a_marker() -> None:
    assert redact_url("redis://u:pw@host:port/0") == UNPARSEABLE
    assert redact_credentials("https://u:pw@host:port/") == UNPARSEABLE


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://ledger.example/rss", True),
        ("http://10.0.0.1:8080/hook", True),
        ("ftp://ledger.example/rss", False),
        ("https:///no-host", False),
        ("ledger.example/rss", False),
        ("https://ledger.example:99999/rss", False),  # a port that cannot be
        ("https://[::1/rss", False),
    ],
)
def test_is_http_url(url: str, ok: bool) -> None:
    assert is_http_url(url) is ok


def test_looks_like_http_url_tells_urls_from_paths() -> None:
    assert looks_like_http_url("HTTPS://news.example/a")
    assert looks_like_http_url("http://news.example/a")
    assert not looks_like_http_url("saved/feed.xml")
    assert not looks_like_http_url("https-notes.html")


def test_a_redis_password_given_in_the_query_is_masked_too() -> None:
    assert redact_url("redis://127.0.0.1:6390/0?password=QPW&db=2") == (
        "redis://127.0.0.1:6390/0?password=***&db=2")
    assert redact_url("redis://127.0.0.1:6390/0?db=2") == "redis://127.0.0.1:6390/0?db=2"


@pytest.mark.parametrize("url", [
    "http://a..b/feed", "https://.example.org/hook", "http://" + "a" * 64 + ".example/",
    "http://127.0.0.1:70000/feed",  # once a traceback from the socket, deep in a task group
])
def test_a_url_whose_host_or_port_cannot_be_used_is_not_an_http_url(url: str) -> None:
    assert not is_http_url(url)


def test_usable_hosts_are_http_urls() -> None:
    for url in ("http://[::1]:8080/x", "https://bücher.example/a", "http://example.org./"):
        assert is_http_url(url)


async def test_the_guarded_transport_refuses_a_port_out_of_range() -> None:
    transport = GuardedAsyncTransport(AddressPolicy(parse_allowlist("127.0.0.0/8")))
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.InvalidURL, match="port 70000 is out of range"):
            await client.get("http://127.0.0.1:70000/feed")
