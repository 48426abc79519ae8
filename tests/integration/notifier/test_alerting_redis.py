"""The match stage (AlertRaiser) with the real story throttle, on a real Redis."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from watchfloor.services.cli.alerts import recent_alerts
from watchfloor.services.notifier.active_watchlists import ActiveWatchlists
from watchfloor.services.notifier.alerting import AlertRaiser
from watchfloor.services.notifier.story_throttle import StoryThrottle
from watchfloor.shared.keys import Keys
from watchfloor.shared.pipeline import stage
from watchfloor.shared.schemas import ClassifiedArticle, Delivery
from watchfloor.shared.streams.codec import decode
from watchfloor.shared.streams.consumer import Incoming

from tests.unit.notifier.factories import make_event, make_watchlist, tag

pytestmark = pytest.mark.integration
NOW = 1_950_000_000.0


def version(article_id: str, tags: list[str]) -> Incoming[ClassifiedArticle]:
    """A version of story "story-1"."""
    event = make_event(article_id=article_id, tags=[tag(t) for t in tags])
    article = event.article.model_copy(update={"story_id": "story-1"})
    return Incoming(f"{article_id}-0", event.model_copy(update={"article": article}), {})


async def test_story_versions_alert_once_unless_they_bring_news(
    redis_client: aioredis.Redis, keys: Keys
) -> None:
    raiser = AlertRaiser(
        redis_client, keys, ActiveWatchlists([make_watchlist("wl-a")], store=None),
        StoryThrottle(redis_client, keys, window_s=3600), stage=stage("match"),
    )
    v1 = version("1", ["missile_test"])
    first = await raiser.process_batch([v1], NOW)
    repeat = await raiser.process_batch([version("2", ["missile_test"])], NOW)
    news = await raiser.process_batch([version("3", ["missile_test", "troop_deployment"])], NOW)
    again = await raiser.process_batch([v1], NOW)  # the batch redelivered

    assert [len(r.alerts) for r in (first, repeat, news, again)] == [1, 0, 1, 1]
    assert repeat.throttled == 1 and again.alerts == first.alerts
    metrics = {k.decode(): int(v) for k, v in (await redis_client.hgetall(keys.metrics)).items()}
    assert metrics == {"alerts": 2, "alerts_throttled": 1}  # the redelivered alert counts once
    history = await recent_alerts(redis_client, keys, watchlist="wl-a", limit=10)
    assert [a.article.id for a in history] == ["3", "1"]  # and is in the history once
    deliveries = [decode(f, Delivery) for _, f in await redis_client.xrange(keys.deliveries)]
    assert [d.id for d in deliveries] == [d.id for r in (first, news, again) for d in r.deliveries]
    assert deliveries[0].id == deliveries[2].id  # the same delivery: sent once downstream
