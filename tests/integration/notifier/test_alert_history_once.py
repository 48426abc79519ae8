"""Alert history holds each alert once, however often its batch is processed
(a crash before the acknowledgement, a reclaim, a replay), on a real Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from watchfloor.services.cli.alerts import recent_alerts
from watchfloor.services.notifier.active_watchlists import ActiveWatchlists
from watchfloor.services.notifier.alert_history import AlertHistory
from watchfloor.services.notifier.alerting import AlertRaiser
from watchfloor.shared.keys import Keys
from watchfloor.shared.pipeline import stage
from watchfloor.shared.schemas import Alert
from watchfloor.shared.streams.codec import decode
from watchfloor.shared.streams.consumer import Incoming

from tests.unit.notifier.factories import make_event, make_secret, make_watchlist

pytestmark = pytest.mark.integration
NOW = 1_950_000_000.0


def two_watchlists() -> ActiveWatchlists:
    second_target = [{"type": "webhook", "url": "https://hooks.example.test/b",
                      "secret": make_secret(2)}]
    return ActiveWatchlists(
        [make_watchlist("wl-a"), make_watchlist("wl-b", targets=second_target)], store=None
    )


def batch(*article_ids: str) -> list[Incoming[Any]]:
    return [Incoming(f"{n}-0", make_event(article_id=a), {}) for n, a in enumerate(article_ids, 1)]


async def history(redis: aioredis.Redis, keys: Keys) -> list[str]:
    return [decode(fields, Alert).id for _, fields in await redis.xrange(keys.alerts)]


async def alerts_counter(redis: aioredis.Redis, keys: Keys) -> int:
    return int(await redis.hget(keys.metrics, "alerts") or 0)


async def test_processing_the_same_batch_twice_records_each_alert_once(
    redis_client: aioredis.Redis, keys: Keys
) -> None:
    raiser = AlertRaiser(redis_client, keys, two_watchlists(), None, stage=stage("match"))
    first = await raiser.process_batch(batch("a1", "a2"), NOW)

    again = await raiser.process_batch(batch("a1", "a2"), NOW + 60)  # reprocessed

    raised = [a.id for a in first.alerts]
    assert len(raised) == 4 and [a.id for a in again.alerts] == raised
    assert await history(redis_client, keys) == raised
    assert await alerts_counter(redis_client, keys) == 4
    shown = await recent_alerts(redis_client, keys, watchlist=None, limit=100)
    assert sorted(a.id for a in shown) == sorted(raised)
    # a batch with one new article and one seen before adds only the new one's
    more = await raiser.process_batch(batch("a2", "a3"), NOW + 120)
    new = [a.id for a in more.alerts if a.article.id == "a3"]
    assert await history(redis_client, keys) == raised + new
    assert await alerts_counter(redis_client, keys) == 6


async def test_two_copies_processing_the_same_batch_at_once_record_it_once(
    redis_client: aioredis.Redis, keys: Keys
) -> None:
    copies = [AlertRaiser(redis_client, keys, two_watchlists(), None, stage=stage("match"))
              for _ in range(2)]

    results = await asyncio.gather(*(c.process_batch(batch("a1", "a2", "a3"), NOW)
                                     for c in copies))

    raised = {a.id for a in results[0].alerts}
    recorded = await history(redis_client, keys)
    assert len(recorded) == len(raised) == 6 and set(recorded) == raised
    assert await alerts_counter(redis_client, keys) == 6


async def test_the_history_and_its_ids_stay_bounded(
    redis_client: aioredis.Redis, keys: Keys
) -> None:
    recorder = AlertHistory(redis_client, keys, keys.alerts, maxlen=100)
    raiser = AlertRaiser(redis_client, keys, two_watchlists(), None, stage=stage("match"))
    alerts = (await raiser.process_batch(batch("a1"), NOW)).alerts
    await redis_client.delete(keys.alerts, keys.alert_ids, keys.metrics)
    many = [a.model_copy(update={"id": f"al_{n}"}) for n in range(300) for a in alerts[:1]]

    for start in range(0, 300, 50):
        await recorder.record(many[start:start + 50], NOW + start)

    assert await redis_client.zcard(keys.alert_ids) == 110  # the stream's bound + a tenth
    assert await redis_client.xlen(keys.alerts) < 300
    newest = await redis_client.zrange(keys.alert_ids, -1, -1)
    assert newest == [b"al_299"]


async def test_an_article_back_long_after_its_alert_is_not_sent_again(
    redis_client: aioredis.Redis, keys: Keys
) -> None:
    # ingest forgets an article after DEDUPE_TTL_S (30 days) and the delivered
    # markers after 7: an old feed item ingested again went out to every target
    # again, without a trace in the history
    raiser = AlertRaiser(redis_client, keys, two_watchlists(), None, stage=stage("match"))
    first = await raiser.process_batch(batch("a1"), NOW)
    assert len(first.deliveries) == 2
    soon = await raiser.process_batch(batch("a1"), NOW + 120)  # a reclaim: fanned out again
    assert len(soon.deliveries) == 2
    later = await raiser.process_batch(batch("a1"), NOW + 31 * 24 * 3600)
    assert later.alerts == [] and later.deliveries == []
    assert await alerts_counter(redis_client, keys) == 2


async def test_an_alert_whose_deliveries_were_never_written_is_still_sent_by_its_replay(
    redis_client: aioredis.Redis, keys: Keys
) -> None:
    # on a cluster (no transaction) the history's write can succeed while the
    # deliveries' fails (a node down); the entry goes to the dead letters, and
    # its replay, hours later, must send what never went. (On one Redis they
    # are one MULTI: refused whole, as under OOM.)
    raiser = AlertRaiser(redis_client, keys, two_watchlists(), None, stage=stage("match"),
                         cluster=True)
    broken = keys.stream("deliveries", keys.partition_of("a1"))
    await redis_client.set(broken, "not a stream")  # every XADD to it fails
    with pytest.raises(redis.exceptions.ResponseError):
        await raiser.process_batch(batch("a1"), NOW)
    await redis_client.delete(broken)
    replayed = await raiser.process_batch(batch("a1"), NOW + 2 * 3600)
    assert len(replayed.deliveries) == 2
    assert await redis_client.xlen(broken) == 2
    # and once sent, an old article back a month later is not sent again
    later = await raiser.process_batch(batch("a1"), NOW + 31 * 24 * 3600)
    assert later.deliveries == []
