"""Target names: given, or <type>-<n>; unique within a watchlist; never a secret."""

from __future__ import annotations

import pytest
from watchfloor.services.targets import redacted, target_names
from watchfloor.services.watchlists.model import WatchlistError, parse_watchlists

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def load(targets: str):
    text = f"watchlists:\n  - id: w1\n    name: n\n    targets:\n{targets}"
    (watchlist,) = parse_watchlists(text, source="wl.yaml", env={})
    return watchlist


def problem(targets: str) -> str:
    with pytest.raises(WatchlistError) as info:
        load(targets)
    (line,) = info.value.problems
    return line


def test_unnamed_targets_are_named_by_type_and_place_among_their_type() -> None:
    watchlist = load(
        f"      - {{type: webhook, url: 'https://a.example.test', secret: {SECRET}}}\n"
        "      - {type: slack, url: 'https://hooks.slack.example.test/x'}\n"
        f"      - {{type: webhook, name: desk, url: 'https://b.example.test', secret: {SECRET}}}\n"
        f"      - {{type: webhook, url: 'https://c.example.test', secret: {SECRET}}}\n"
    )
    assert target_names(watchlist.targets) == ["webhook-1", "slack-1", "desk", "webhook-3"]


def test_a_default_name_does_not_depend_on_url_or_secret() -> None:
    one = load(f"      - {{type: webhook, url: 'https://a.example.test', secret: {SECRET}}}\n")
    other = load("      - {type: webhook, url: 'https://fixed.example.test', "
                 "secret: whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk}\n")
    assert target_names(one.targets) == target_names(other.targets) == ["webhook-1"]


def test_two_targets_with_one_name_are_refused_with_both_places() -> None:
    line = problem(
        f"      - {{type: webhook, url: 'https://a.example.test', secret: {SECRET}}}\n"
        f"      - {{type: webhook, name: webhook-1, url: 'https://b.example.test', "
        f"secret: {SECRET}}}\n"
    )
    assert line == (
        "wl.yaml: watchlist 'w1' (line 5): targets must have distinct names: targets[0] and "
        "targets[1] are both named 'webhook-1' (a target without `name` is named <type>-<n>, "
        "n counting the targets of its type from 1)"
    )
    assert SECRET not in line


@pytest.mark.parametrize("name", ["", "-desk", "duty desk", "x" * 65, "désk"])
def test_a_malformed_name_is_refused(name: str) -> None:
    line = problem(f"      - {{type: slack, name: '{name}', url: 'https://h.example.test/x'}}\n")
    assert line.endswith(
        "targets[0].name must be 1 to 64 letters, digits, '.', '_' or '-', "
        "starting with a letter or digit"
    )


def test_the_api_view_shows_a_given_name_and_never_the_url_of_slack() -> None:
    watchlist = load(
        "      - {type: slack, name: ops, url: 'https://hooks.slack.example.test/x'}\n"
        "      - {type: slack, url: 'https://hooks.slack.example.test/y'}\n"
    )
    assert [redacted(t) for t in watchlist.targets] == [
        {"type": "slack", "name": "ops", "url_set": True},
        {"type": "slack", "url_set": True},
    ]
