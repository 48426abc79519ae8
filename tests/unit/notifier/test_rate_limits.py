"""Per-target rates: a send over the rate gets a time to come back, in order."""

from __future__ import annotations

from watchfloor.services.notifier.rate_limits import IDLE_S, RateLimits

LANE = ("wl", "slack-1")


def test_no_rate_never_holds_a_send_back() -> None:
    limits = RateLimits()
    assert all(limits.check(LANE, None, 100.0, f"d{n}") is None for n in range(100))


def test_one_a_second_lets_the_first_through_and_spreads_the_rest() -> None:
    limits = RateLimits()
    assert limits.check(LANE, 1.0, 100.0, "d0") is None
    assert [limits.check(LANE, 1.0, 100.0, f"d{n}") for n in (1, 2, 3)] == [101.0, 102.0, 103.0]


def test_a_delivery_coming_back_at_its_time_is_sent() -> None:
    limits = RateLimits()
    assert limits.check(LANE, 1.0, 100.0, "d0") is None
    due = limits.check(LANE, 1.0, 100.2, "d1")
    assert due == 101.0
    assert limits.check(LANE, 1.0, due, "d1") is None
    assert limits.check(LANE, 2.0, 103.0, "d2") is None
    assert limits.check(LANE, 2.0, 103.1, "d3") == 103.5


def test_turned_away_deliveries_go_out_oldest_first_while_new_ones_keep_coming() -> None:
    # A burst of five at one a second, then a new alert every second. Before,
    # each new one took the free slot and the burst went to the back again
    # each time it came back: never sent while the flow lasted.
    limits = RateLimits()
    due = {f"b{n}": limits.check(LANE, 1.0, 100.0, f"b{n}") for n in range(5)}
    sent: list[tuple[float, str]] = []
    now = 100.0
    for second in range(1, 12):
        now = 100.0 + second
        fresh = f"new{second}"
        # what comes back now, then the new alert of this second
        for delivery in [d for d, at in due.items() if at is not None and at <= now]:
            due[delivery] = limits.check(LANE, 1.0, now, delivery)
            if due[delivery] is None:
                sent.append((now, delivery))
        due[fresh] = limits.check(LANE, 1.0, now + 0.5, fresh)
        if due[fresh] is None:
            sent.append((now + 0.5, fresh))
    order = [d for _, d in sent]
    assert order[:5] == ["b1", "b2", "b3", "b4", "new1"]  # b0 went at 100.0
    assert order == sorted(order, key=lambda d: (not d.startswith("b"), int(d.strip("bnew"))))
    times = [at for at, _ in sent]
    assert all(later - earlier >= 0.5 for earlier, later in zip(times, times[1:], strict=False))


def test_a_delivery_back_early_keeps_its_place() -> None:
    limits = RateLimits()
    assert limits.check(LANE, 1.0, 100.0, "d0") is None
    assert limits.check(LANE, 1.0, 100.0, "d1") == 101.0
    assert limits.check(LANE, 1.0, 100.5, "d1") == 101.0  # not 102: no new slot
    assert limits.check(LANE, 1.0, 100.6, "d2") == 102.0


def test_deliveries_back_late_go_one_interval_apart_not_all_at_once() -> None:
    # a busy notifier: five held deliveries and a new one, all seen at t=10
    limits = RateLimits()
    assert limits.check(LANE, 1.0, 0.0, "d0") is None
    assert [limits.check(LANE, 1.0, 0.0, f"d{n}") for n in range(1, 6)] == [1.0, 2, 3, 4, 5]
    sends = []
    pending = {f"d{n}": 10.0 for n in range(1, 6)} | {"new": 10.0}
    now = 10.0
    while pending and now < 30:
        for delivery in sorted(d for d, at in pending.items() if at <= now):
            due = limits.check(LANE, 1.0, now, delivery)
            if due is None:
                sends.append(now)
                del pending[delivery]
            else:
                pending[delivery] = due
        now = round(now + 0.25, 2)
    assert len(sends) == 6
    assert all(later - earlier >= 1.0 for earlier, later in zip(sends, sends[1:], strict=False))


def test_targets_have_their_own_rates() -> None:
    limits = RateLimits()
    assert limits.check(LANE, 1.0, 100.0, "d0") is None
    assert limits.check(("wl", "slack-2"), 1.0, 100.0, "d1") is None


def test_idle_lanes_and_slots_never_claimed_are_forgotten() -> None:
    limits = RateLimits()
    limits.check(LANE, 1.0, 100.0, "d0")
    assert limits.check(LANE, 1.0, 100.0, "d1") == 101.0  # another copy sends it
    limits.prune(102.0 + IDLE_S + 1)
    assert limits.check(LANE, 1.0, 100.5, "d2") is None  # a fresh start
