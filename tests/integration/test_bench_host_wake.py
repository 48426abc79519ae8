"""The bench's host reference for the paced figures: what a wake-up costs."""

from __future__ import annotations

import pytest
from watchfloor.services.bench.host_wake import wake_cost


def test_wake_cost_is_the_idle_ping_less_the_back_to_back_one(redis_url: str) -> None:
    cost = wake_cost(redis_url, count=30, interval_s=0.002)
    warm, idle = cost["ping_cpu_us_back_to_back"], cost["ping_cpu_us_after_idle"]
    assert warm > 0 and idle > 0  # every PING costs this process some CPU
    assert cost["wake_cpu_us"] == pytest.approx(max(idle - warm, 0.0), abs=0.11)
