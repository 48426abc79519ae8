"""Per-target rates: a send over the rate gets a time to come back, spread out."""

from __future__ import annotations

from watchfloor.services.notifier.rate_limits import RateLimits

LANE = ("wl", "slack-1")


def test_no_rate_never_holds_a_send_back() -> None:
    limits = RateLimits()
    assert all(limits.check(LANE, None, 100.0) is None for _ in range(100))


def test_one_a_second_lets_the_first_through_and_spreads_the_rest() -> None:
    limits = RateLimits()
    assert limits.check(LANE, 1.0, 100.0) is None
    assert [limits.check(LANE, 1.0, 100.0) for _ in range(3)] == [101.0, 102.0, 103.0]


def test_a_delivery_coming_back_at_its_time_is_sent() -> None:
    limits = RateLimits()
    assert limits.check(LANE, 1.0, 100.0) is None
    due = limits.check(LANE, 1.0, 100.2)
    assert due == 101.0
    assert limits.check(LANE, 1.0, due) is None
    assert limits.check(LANE, 2.0, 103.0) is None and limits.check(LANE, 2.0, 103.1) == 103.5


def test_targets_have_their_own_rates() -> None:
    limits = RateLimits()
    assert limits.check(LANE, 1.0, 100.0) is None
    assert limits.check(("wl", "slack-2"), 1.0, 100.0) is None


def test_idle_lanes_are_forgotten() -> None:
    limits = RateLimits()
    limits.check(LANE, 1.0, 100.0)
    limits.prune(100.0 + 10_000)
    assert limits.check(LANE, 1.0, 100.5) is None  # a fresh start
