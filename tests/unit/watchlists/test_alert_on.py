"""``alert_on``: one alert per story (the default), per event, or one per version."""

from __future__ import annotations

import pytest
from watchfloor.services.watchlists.model import Watchlist, WatchlistError, parse_watchlists


def parse(item: str) -> list[Watchlist]:
    return parse_watchlists(f"watchlists:\n  - {item}\n", source="wl.yaml", env={})


def test_default_is_one_alert_per_story() -> None:
    (watchlist,) = parse("{id: w1, name: n}")
    assert watchlist.alert_on == "story"


@pytest.mark.parametrize("value", ["story", "event", "every_version"])
def test_each_choice_is_accepted(value: str) -> None:
    (watchlist,) = parse(f"{{id: w1, name: n, alert_on: {value}}}")
    assert watchlist.alert_on == value


def test_an_unknown_choice_is_refused_naming_the_field_and_the_choices() -> None:
    with pytest.raises(WatchlistError) as caught:
        parse("{id: w1, name: n, alert_on: every}")
    (problem,) = caught.value.problems
    assert problem == ("wl.yaml: watchlist 'w1' (line 2): "
                       "alert_on: Input should be 'story', 'event' or 'every_version'")
