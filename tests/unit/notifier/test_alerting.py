"""The match stage (AlertRaiser) without Redis: fakeredis stands in."""

from __future__ import annotations

from typing import Any

import pytest
from fakeredis import FakeAsyncRedis
from structlog.testing import capture_logs
from watchfloor.services.cli.alerts import recent_alerts
from watchfloor.services.notifier.active_watchlists import ActiveWatchlists
from watchfloor.services.notifier.alerting import AlertRaiser
from watchfloor.services.notifier.story_throttle import Throttled, throttled_record
from watchfloor.shared.keys import Keys
from watchfloor.shared.pipeline import stage
from watchfloor.shared.schemas import Alert, ClassifiedArticle, Delivery
from watchfloor.shared.streams.codec import DATA_FIELD, decode
from watchfloor.shared.streams.consumer import Incoming, ItemFailure

from tests.unit.notifier.factories import make_event, make_secret, make_watchlist

KEYS = Keys("wf-unit")
NOW = 1_950_000_000.0


def incoming(entry_id: str, event: ClassifiedArticle) -> Incoming[ClassifiedArticle]:
    return Incoming(entry_id, event, {})


def two_targets() -> list[dict[str, Any]]:
    return [
        {"type": "webhook", "url": "https://hooks.example.test/one", "secret": make_secret(1)},
        {"type": "webhook", "url": "https://hooks.example.test/two", "secret": make_secret(2)},
    ]


@pytest.fixture
def redis() -> FakeAsyncRedis:
    return FakeAsyncRedis()


def raiser(redis: FakeAsyncRedis, throttle: Any = None, watchlists: Any = None) -> AlertRaiser:
    active = ActiveWatchlists(
        watchlists or [make_watchlist("wl-a"), make_watchlist("wl-b", targets=two_targets())],
        store=None,
    )
    return AlertRaiser(redis, KEYS, active, throttle, stage=stage("match"))


async def counters(redis: FakeAsyncRedis) -> dict[str, int]:
    return {k.decode(): int(v) for k, v in (await redis.hgetall(KEYS.metrics)).items()}


async def test_alerts_are_recorded_counted_and_fanned_out(redis) -> None:
    batch = [incoming("1-0", make_event(article_id="a1")),
             incoming("2-0", make_event(article_id="a2", tags=[]))]  # untagged: no alert

    result = await raiser(redis).process_batch(batch, NOW)

    assert [(a.watchlist_id, a.article.id) for a in result.alerts] == [("wl-a", "a1"), ("wl-b", "a1")]
    assert result.failures == [] and result.throttled == 0
    assert await counters(redis) == {"alerts": 2}
    # one delivery per (alert, target), on the deliver stage's stream
    published = [decode(f, Delivery) for _, f in await redis.xrange(KEYS.deliveries)]
    assert published == result.deliveries
    assert [(d.alert.watchlist_id, d.target_name) for d in published] == [
        ("wl-a", "webhook-1"), ("wl-b", "webhook-1"), ("wl-b", "webhook-2")]


async def test_alert_history_is_written_through_the_codec_and_read_by_watchfloor_alerts(redis):
    result = await raiser(redis).process_batch([incoming("1-0", make_event(article_id="a1"))], NOW)

    entries = await redis.xrange(KEYS.alerts)
    assert [set(fields) for _, fields in entries] == [{DATA_FIELD.encode()}] * 2
    assert [decode(fields, Alert) for _, fields in entries] == result.alerts
    shown = await recent_alerts(redis, KEYS, watchlist="wl-b", limit=10)
    assert [a.id for a in shown] == [result.alerts[1].id]


async def test_a_matching_error_sends_only_that_entry_to_dead_letters(redis) -> None:
    active = ActiveWatchlists([make_watchlist("wl-a")], store=None)
    alerting = AlertRaiser(redis, KEYS, active, None, stage=stage("match"))
    real = active.matcher

    class Breaks:
        def match(self, event: ClassifiedArticle) -> list[Alert]:
            if event.article.id == "bad":
                raise ValueError("rule blew up")
            return real.match(event)

    active.matcher = Breaks()  # type: ignore[assignment]
    batch = [incoming("1-0", make_event(article_id="bad")),
             incoming("2-0", make_event(article_id="good"))]

    with capture_logs() as logs:
        result = await alerting.process_batch(batch, NOW)

    assert result.failures == [ItemFailure("1-0", "matching error: ValueError('rule blew up')")]
    assert [a.article.id for a in result.alerts] == ["good"]
    errors = [e for e in logs if e["log_level"] == "error"]
    assert [(e["event"], e["article_id"]) for e in errors] == [("watchlist_matching_failed", "bad")]


class DropArticle:
    """A throttle that holds back the alerts on one article."""

    def __init__(self, article_id: str) -> None:
        self.article_id = article_id
        self.seen: list[str] = []
        self.every_version: set[str] = set()
        self.by_event: set[str] = set()

    async def filter(self, alerts: list[Alert], *, every_version: Any = (),
                     by_event: Any = ()) -> Throttled:
        self.seen += [a.id for a in alerts]
        self.every_version |= set(every_version)
        self.by_event |= set(by_event)
        return Throttled([a for a in alerts if a.article.id != self.article_id],
                         [throttled_record(a, {}) for a in alerts
                          if a.article.id == self.article_id])


async def test_throttled_alerts_are_counted_logged_and_never_sent(redis) -> None:
    throttle = DropArticle("a2")
    batch = [incoming("1-0", make_event(article_id="a1")),
             incoming("2-0", make_event(article_id="a2"))]

    with capture_logs() as logs:
        result = await raiser(redis, throttle, [make_watchlist("wl-a")]).process_batch(batch, NOW)

    assert len(throttle.seen) == 2
    assert [a.article.id for a in result.alerts] == ["a1"]
    assert result.throttled == 1
    assert await counters(redis) == {"alerts": 1, "alerts_throttled": 1}
    assert [decode(f, Alert).article.id for _, f in await redis.xrange(KEYS.alerts)] == ["a1"]
    assert [d.alert.article.id for d in result.deliveries] == ["a1"]
    events = [(e["event"], e.get("article_id")) for e in logs if e["event"].startswith("alert_")]
    assert events == [("alert_throttled", "a2"), ("alert_raised", "a1")]


async def test_the_throttle_is_told_which_watchlists_want_every_version_or_event(redis) -> None:
    throttle = DropArticle("none")
    every = make_watchlist("wl-every").model_copy(update={"alert_on": "every_version"})
    by_event = make_watchlist("wl-event").model_copy(update={"alert_on": "event"})
    watchlists = [make_watchlist("wl-story"), every, by_event]
    await raiser(redis, throttle, watchlists).process_batch(
        [incoming("1-0", make_event(article_id="a1"))], NOW)
    assert throttle.every_version == {"wl-every"}
    assert throttle.by_event == {"wl-event"}


async def test_a_batch_without_alerts_writes_nothing(redis) -> None:
    result = await raiser(redis).process_batch(
        [incoming("1-0", make_event(article_id="a1", tags=[]))], NOW)

    assert result.alerts == [] and result.deliveries == []
    assert not await redis.exists(KEYS.alerts)
    assert not await redis.exists(KEYS.deliveries)
    assert await counters(redis) == {}  # most articles alert no one: no round trip for them
