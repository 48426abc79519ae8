"""next_due: when the next attempt is due, or that the schedule is used up."""

from __future__ import annotations

import pytest
from watchfloor.services.notifier.retry import next_due

SCHEDULE = [1.0, 5.0, 30.0]
NOW = 1000.0


@pytest.mark.parametrize(("attempt", "due"), [(1, 1001.0), (2, 1005.0), (3, 1030.0)])
def test_follows_the_schedule(attempt: int, due: float) -> None:
    assert next_due(attempt, SCHEDULE, NOW) == due


@pytest.mark.parametrize("attempt", [4, 10, 0])
def test_exhausted(attempt: int) -> None:
    assert next_due(attempt, SCHEDULE, NOW) is None


def test_empty_schedule_means_no_retries() -> None:
    assert next_due(1, [], NOW) is None


def test_retry_after_is_a_floor() -> None:
    assert next_due(1, SCHEDULE, NOW, retry_after=60.0) == 1060.0
    assert next_due(3, SCHEDULE, NOW, retry_after=2.0) == 1030.0


def test_retry_after_does_not_extend_the_schedule() -> None:
    assert next_due(4, SCHEDULE, NOW, retry_after=1.0) is None


@pytest.mark.parametrize(("draw", "due"), [(0.0, 1004.0), (0.5, 1005.0), (1.0, 1006.0)])
def test_jitter_spreads_within_the_fraction(draw: float, due: float) -> None:
    assert next_due(2, SCHEDULE, NOW, jitter=0.2, rng=lambda: draw) == pytest.approx(due)


def test_jitter_never_undercuts_retry_after() -> None:
    assert next_due(2, SCHEDULE, NOW, retry_after=5.0, jitter=0.5, rng=lambda: 0.0) == 1005.0
