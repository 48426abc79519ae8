"""Save time: a target or feed URL whose host is a literal non-public address
is refused when the watchlists file or the feeds file is loaded, naming the
file, the line and the field; the allow-list opens it; the API must not
listen beyond loopback without a token."""

from __future__ import annotations

import textwrap

import pytest
from watchfloor.services.ingest.exposure import ApiExposedWithoutToken, check_api_exposure
from watchfloor.services.ingest.feed_sources import FeedConfigError, parse_feeds
from watchfloor.services.watchlists.model import WatchlistError, parse_watchlists
from watchfloor.shared.addresses import AddressPolicy, parse_allowlist
from watchfloor.shared.settings import Settings

from tests.unit.notifier.factories import make_secret

SECRET = make_secret(5)
NOTATIONS = [
    "169.254.169.254",
    "10.0.0.1",
    "[::ffff:169.254.169.254]",
    "2852039166",
    "0251.0376.0251.0376",
    "0xa9fea9fe",
    "127.0.0.1:6379",
    "127.0.0.1.",
    "[::1]",
]


def watchlists_with(url: str, kind: str = "webhook") -> str:
    secret = f", secret: {SECRET}" if kind == "webhook" else ""
    return textwrap.dedent(f"""\
        watchlists:
          - id: w1
            name: Watch
            targets:
              - {{type: {kind}, url: "{url}"{secret}}}
        """)


@pytest.mark.parametrize("host", NOTATIONS)
@pytest.mark.parametrize("kind", ["webhook", "slack"])
def test_a_watchlists_file_target_at_a_non_public_address_is_refused(host: str, kind: str) -> None:
    url = f"http://{host}/services/T1/B1/s3cretpath"
    with pytest.raises(WatchlistError) as caught:
        parse_watchlists(watchlists_with(url, kind), source="wl.yaml", env={},
                         addresses=AddressPolicy())
    (problem,) = caught.value.problems
    assert problem.startswith("wl.yaml: watchlist 'w1' (line 5): targets[0].url is refused: ")
    assert "WATCHFLOOR_TARGET_ALLOWLIST" in problem
    assert "s3cretpath" not in problem  # a Slack URL is a credential: never echoed


def test_the_allow_list_lets_a_loopback_target_be_saved() -> None:
    text = watchlists_with("http://127.0.0.1:9000/hook")
    allowed = AddressPolicy(parse_allowlist("127.0.0.0/8"))
    (watchlist,) = parse_watchlists(text, env={}, addresses=allowed)
    assert watchlist.targets[0].url == "http://127.0.0.1:9000/hook"


def test_a_host_name_is_left_to_connect_time() -> None:
    text = watchlists_with("http://localhost:9000/hook")
    (watchlist,) = parse_watchlists(text, env={}, addresses=AddressPolicy())
    assert watchlist.targets[0].url == "http://localhost:9000/hook"


@pytest.mark.parametrize("host", NOTATIONS)
def test_a_feeds_file_url_at_a_non_public_address_is_refused(host: str) -> None:
    text = f'feeds:\n  - url: "http://reader:pw@{host}/rss"\n'
    with pytest.raises(FeedConfigError) as caught:
        parse_feeds(text, source="feeds.yaml", default_interval_s=300, addresses=AddressPolicy())
    (problem,) = caught.value.problems
    assert problem.startswith("feeds.yaml: feed #1 (line 2): url is refused: it points at ")
    assert "pw" not in problem
    opened = AddressPolicy(parse_allowlist("0.0.0.0/0,::/0"))
    assert parse_feeds(text, default_interval_s=300, addresses=opened)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.4", "api.internal.example"])
def test_the_api_refuses_to_listen_beyond_loopback_without_a_token(host: str) -> None:
    with pytest.raises(ApiExposedWithoutToken) as caught:
        check_api_exposure(Settings(_env_file=None, http_host=host))
    message = str(caught.value)
    assert f"WATCHFLOOR_HTTP_HOST is {host!r}" in message
    assert "WATCHFLOOR_API_TOKEN is not set" in message


@pytest.mark.parametrize("token", ["REPLACE_ME", "short", "   padded-short   "])
def test_a_placeholder_or_short_token_is_not_enough_beyond_loopback(token: str) -> None:
    with pytest.raises(ApiExposedWithoutToken) as caught:
        check_api_exposure(Settings(_env_file=None, http_host="0.0.0.0", api_token=token))
    assert "fewer than 16 (is it still the placeholder?)" in str(caught.value)
    assert token.strip() not in str(caught.value)  # a token is never echoed
    check_api_exposure(Settings(_env_file=None, http_host="127.0.0.1", api_token=token))


@pytest.mark.parametrize(
    "values",
    [{"http_host": "127.0.0.1"}, {"http_host": "localhost"}, {"http_host": "::1"},
     {"http_host": "0.0.0.0", "api_token": "a-long-random-token"}],
)
def test_loopback_or_a_token_may_start(values: dict[str, str]) -> None:
    check_api_exposure(Settings(_env_file=None, **values))
