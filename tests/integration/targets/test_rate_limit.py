"""A target's rate: Slack (one a second by default) gets the first of a burst
at once, and the rest wait in the retry schedule, spread out, same attempt;
a target without a rate is not held back."""

from __future__ import annotations

import time

import pytest
from watchfloor.services.notifier.delivery import DeliveryPipeline, OutcomeKind, fan_out
from watchfloor.services.notifier.retry import RetrySchedule
from watchfloor.services.notifier.targets import make_http_client
from watchfloor.shared.schemas import Delivery
from watchfloor.shared.streams.codec import decode

from tests.unit.notifier.factories import make_alert, make_watchlist


async def test_a_burst_to_slack_is_spread_one_a_second_without_using_attempts(
    redis_client, keys, settings, receiver
) -> None:
    watchlist = make_watchlist(targets=[
        {"type": "slack", "url": receiver.url("/slack")},
        {"type": "teams", "name": "fast", "url": receiver.url("/fast")},  # no limit
    ])
    alerts = [make_alert(article_id=f"art-{n}", url=f"https://news.example.test/{n}")
              for n in range(3)]
    deliveries = fan_out(alerts, [watchlist], now=time.time())
    async with make_http_client(settings) as client:
        pipeline = DeliveryPipeline(redis_client, keys, settings, [watchlist], client,
                                    retry_jitter=0.0)
        now = time.time()
        outcomes = await pipeline.process_batch(deliveries, now)

    by_target = {}
    for delivery, outcome in zip(deliveries, outcomes, strict=True):
        by_target.setdefault(delivery.target_name, []).append(outcome)
    assert [o.kind for o in by_target["fast"]] == [OutcomeKind.DELIVERED] * 3
    slack = by_target["slack-1"]
    assert [o.kind for o in slack] == [OutcomeKind.DELIVERED, OutcomeKind.RATE_LIMITED,
                                       OutcomeKind.RATE_LIMITED]
    assert [o.due_at for o in slack[1:]] == pytest.approx([now + 1, now + 2], abs=0.01)
    assert sum(1 for r in receiver.requests if r.path == "/slack") == 1
    # Waiting in the schedule, same attempt, nothing counted as failed.
    retries = RetrySchedule(redis_client, keys, settings)
    assert await retries.move_due(now + 2.5, limit=10) == 2
    waiting = [decode(f, Delivery) for _, f in await redis_client.xrange(keys.deliveries)]
    assert {d.id for d in waiting} == {
        d.id for d, o in zip(deliveries, outcomes, strict=True)
        if o.kind is OutcomeKind.RATE_LIMITED}
    assert all(d.attempt == 1 for d in waiting)
    assert await redis_client.xlen(keys.failed_deliveries) == 0
