"""The delivery pipeline on a real Redis and the real local webhook receiver."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator

import pytest
import structlog
from watchfloor.services.notifier.delivery import DeliveryPipeline, OutcomeKind, fan_out
from watchfloor.services.notifier.retry import RetrySchedule
from watchfloor.services.notifier.targets import make_http_client
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.shared.schemas import Delivery
from watchfloor.shared.streams.codec import decode

from tests.unit.notifier.factories import make_alert, make_secret, make_watchlist

SECRET = make_secret(9)


@pytest.fixture
async def client(settings) -> AsyncIterator:
    async with make_http_client(settings) as http:
        yield http


def watchlist_for(receiver, path: str = "/hook", *, slack_path: str | None = None) -> Watchlist:
    receiver.secrets[path] = SECRET
    targets = [{"type": "webhook", "url": receiver.url(path), "secret": SECRET}]
    if slack_path:
        targets.append({"type": "slack", "url": receiver.url(slack_path)})
    return make_watchlist(targets=targets)


def pipeline_for(redis_client, keys, settings, watchlists, client) -> DeliveryPipeline:
    return DeliveryPipeline(redis_client, keys, settings, watchlists, client, retry_jitter=0.0)


def first_delivery(watchlist: Watchlist) -> Delivery:
    return fan_out([make_alert()], [watchlist], now=time.time())[0]


async def read_deliveries(redis_client, keys) -> list[Delivery]:
    return [decode(f, Delivery) for _, f in await redis_client.xrange(keys.deliveries)]


async def failed_entries(redis_client, keys) -> list[dict[str, str]]:
    return [
        {k.decode(): v.decode() for k, v in fields.items()}
        for _, fields in await redis_client.xrange(keys.failed_deliveries)
    ]


async def test_webhook_delivered_once_with_verified_signature(
    redis_client, keys, settings, receiver, client
) -> None:
    watchlist = watchlist_for(receiver)
    pipeline = pipeline_for(redis_client, keys, settings, [watchlist], client)
    delivery = first_delivery(watchlist)

    outcome = await pipeline.process(delivery, time.time())
    again = await pipeline.process(delivery, time.time())  # a redelivered stream entry

    assert outcome.kind is OutcomeKind.DELIVERED and outcome.reason == "http_200"
    assert again.kind is OutcomeKind.ALREADY_DELIVERED
    (request,) = receiver.requests
    assert request.verified is True
    assert request.headers["webhook-id"] == delivery.id
    assert request.json()["data"]["alert_id"] == delivery.alert.id
    assert await redis_client.exists(keys.delivered(delivery.id)) == 1
    assert 0 < await redis_client.ttl(keys.delivered(delivery.id)) <= settings.delivered_ttl_s
    assert await redis_client.exists(keys.sending(delivery.id)) == 0  # lease released
    ((_, logged),) = await redis_client.xrange(keys.delivered_log)
    assert logged[b"delivery_id"] == delivery.id.encode()
    assert await redis_client.hget(keys.metrics, "delivered") == b"1"


async def test_503_503_200_is_retried_then_delivered_once(
    redis_client, keys, settings, receiver, client
) -> None:
    watchlist = watchlist_for(receiver)
    receiver.plan("/hook", [503, 503, 200])
    pipeline = pipeline_for(redis_client, keys, settings, [watchlist], client)
    retries = RetrySchedule(redis_client, keys, settings)
    delivery = first_delivery(watchlist)

    kinds = []
    for expected_attempt in (1, 2, 3):
        assert delivery.attempt == expected_attempt
        now = time.time()
        outcome = await pipeline.process(delivery, now)
        kinds.append(outcome.kind)
        if outcome.kind is OutcomeKind.RETRY_SCHEDULED:
            # Schedule from settings: [0.2, 0.4] seconds. Nothing moves early.
            assert outcome.due_at == pytest.approx(
                now + settings.retry_schedule_s[expected_attempt - 1]
            )
            assert await retries.move_due(now, limit=10) == 0
            assert await retries.move_due(outcome.due_at, limit=10) == 1
            (delivery,) = await read_deliveries(redis_client, keys)
            await redis_client.delete(keys.deliveries)  # as if consumed and acked

    assert kinds == [
        OutcomeKind.RETRY_SCHEDULED,
        OutcomeKind.RETRY_SCHEDULED,
        OutcomeKind.DELIVERED,
    ]
    assert [r.status for r in receiver.requests] == [503, 503, 200]
    assert len(receiver.delivered("/hook")) == 1
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery.id}
    assert all(r.verified for r in receiver.requests)
    assert await retries.pending_count() == 0
    metrics = await redis_client.hgetall(keys.metrics)
    assert metrics[b"delivery_retried"] == b"2" and metrics[b"delivery_retried:http_503"] == b"2"


async def test_410_is_not_retried_and_is_recorded(
    redis_client, keys, settings, receiver, client
) -> None:
    watchlist = watchlist_for(receiver)
    receiver.plan("/hook", [410])
    pipeline = pipeline_for(redis_client, keys, settings, [watchlist], client)
    delivery = first_delivery(watchlist)

    outcome = await pipeline.process(delivery, time.time())

    assert outcome.kind is OutcomeKind.FAILED and outcome.reason == "permanent: http_410"
    assert await RetrySchedule(redis_client, keys, settings).pending_count() == 0
    (failed,) = await failed_entries(redis_client, keys)
    assert failed["reason"] == "permanent: http_410"
    assert failed["delivery_id"] == delivery.id and failed["alert_id"] == delivery.alert.id
    assert failed["watchlist_id"] == "wl-test" and failed["target"] == "webhook-1"
    assert failed["attempts"] == "1"
    assert Delivery.model_validate_json(failed["payload"]) == delivery
    assert SECRET not in str(failed)
    assert await redis_client.hget(keys.metrics, "delivery_failed:http_410") == b"1"


async def test_exhausted_schedule_is_recorded_with_reason(
    redis_client, keys, settings, receiver, client
) -> None:
    watchlist = watchlist_for(receiver)
    receiver.plan("/hook", [503, 503, 503, 503])
    pipeline = pipeline_for(redis_client, keys, settings, [watchlist], client)
    delivery = first_delivery(watchlist)
    last_attempt = len(settings.retry_schedule_s) + 1  # 3 with the test schedule

    outcome = await pipeline.process(
        delivery.model_copy(update={"attempt": last_attempt}), time.time()
    )

    assert outcome.kind is OutcomeKind.FAILED and outcome.reason == "exhausted: http_503"
    (failed,) = await failed_entries(redis_client, keys)
    assert failed["reason"] == "exhausted: http_503" and failed["attempts"] == str(last_attempt)
    assert await RetrySchedule(redis_client, keys, settings).pending_count() == 0


async def test_already_delivered_is_not_sent(
    redis_client, keys, settings, receiver, client
) -> None:
    watchlist = watchlist_for(receiver)
    pipeline = pipeline_for(redis_client, keys, settings, [watchlist], client)
    delivery = first_delivery(watchlist)
    await redis_client.set(keys.delivered(delivery.id), "1")

    outcome = await pipeline.process(delivery, time.time())

    assert outcome.kind is OutcomeKind.ALREADY_DELIVERED
    assert receiver.requests == []


async def test_lease_held_elsewhere_defers_with_a_recheck(
    redis_client, keys, settings, receiver, client
) -> None:
    watchlist = watchlist_for(receiver)
    pipeline = pipeline_for(redis_client, keys, settings, [watchlist], client)
    delivery = first_delivery(watchlist)
    await redis_client.set(keys.sending(delivery.id), "other-copy", ex=30)

    now = time.time()
    outcome = await pipeline.process(delivery, now)

    assert outcome.kind is OutcomeKind.IN_PROGRESS and outcome.due_at > now
    assert receiver.requests == []
    assert await redis_client.get(keys.sending(delivery.id)) == b"other-copy"  # not ours to free
    retries = RetrySchedule(redis_client, keys, settings)
    assert await retries.pending_count() == 1
    await redis_client.delete(keys.sending(delivery.id))  # the holder died
    await retries.move_due(outcome.due_at, limit=10)
    (recheck,) = await read_deliveries(redis_client, keys)
    assert recheck.attempt == delivery.attempt  # a re-check is not a new attempt
    assert (await pipeline.process(recheck, time.time())).kind is OutcomeKind.DELIVERED


async def test_a_removed_target_is_a_permanent_failure(
    redis_client, keys, settings, receiver, client
) -> None:
    watchlist = watchlist_for(receiver, slack_path="/slack")
    slack_delivery = fan_out([make_alert()], [watchlist], now=time.time())[1]
    without_slack = watchlist.model_copy(update={"targets": watchlist.targets[:1]})

    outcome = await pipeline_for(redis_client, keys, settings, [without_slack], client).process(
        slack_delivery, time.time()
    )
    gone = await pipeline_for(redis_client, keys, settings, [], client).process(
        first_delivery(watchlist), time.time()
    )

    assert outcome.reason == gone.reason == "permanent: target_removed"
    assert [(f["reason"], f["attempts"]) for f in await failed_entries(redis_client, keys)] == [
        ("permanent: target_removed", "0"),  # given up before any send
        ("permanent: target_removed", "0"),
    ]
    assert receiver.requests == []
    metrics = await redis_client.hgetall(keys.metrics)
    assert metrics[b"delivery_failed:target_removed"] == b"2"


async def test_slack_message_is_posted(redis_client, keys, settings, receiver, client) -> None:
    watchlist = watchlist_for(receiver, slack_path="/slack")
    pipeline = pipeline_for(redis_client, keys, settings, [watchlist], client)
    webhook_delivery, slack_delivery = fan_out([make_alert()], [watchlist], now=time.time())

    outcome = await pipeline.process(slack_delivery, time.time())

    assert outcome.kind is OutcomeKind.DELIVERED
    (request,) = receiver.delivered("/slack")
    assert request.verified is None and "webhook-signature" not in {
        k.lower() for k in request.headers
    }
    body = request.json()
    assert body["text"].startswith("[Test watchlist]")
    assert body["blocks"][0]["text"]["text"] == "Test watchlist"
    assert webhook_delivery.id != slack_delivery.id


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_connection_refused_is_retried(redis_client, keys, settings, client) -> None:
    secret = make_secret(2)
    url = f"http://127.0.0.1:{_closed_port()}/hook"
    watchlist = make_watchlist(targets=[{"type": "webhook", "url": url, "secret": secret}])
    pipeline = pipeline_for(redis_client, keys, settings, [watchlist], client)

    outcome = await pipeline.process(first_delivery(watchlist), time.time())

    assert outcome.kind is OutcomeKind.RETRY_SCHEDULED and outcome.reason == "connect_error"
    assert await RetrySchedule(redis_client, keys, settings).pending_count() == 1


async def test_logs_carry_ids_and_never_secrets(
    redis_client, keys, settings, receiver, client
) -> None:
    watchlist = watchlist_for(receiver)
    receiver.plan("/hook", [503])
    pipeline = pipeline_for(redis_client, keys, settings, [watchlist], client)
    delivery = first_delivery(watchlist)

    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars]
    ) as logs:
        await pipeline.process(delivery, time.time())

    (event,) = logs
    assert event["event"] == "delivery_retry_scheduled" and event["reason"] == "http_503"
    assert event["delivery_id"] == delivery.id
    assert event["watchlist_id"] == "wl-test" and event["article_id"] == "art-001"
    assert SECRET not in str(logs) and receiver.url("/hook") not in str(logs)


async def test_a_waiting_delivery_finds_its_target_after_the_targets_are_reordered(
    redis_client, keys, settings, receiver, client
) -> None:
    watchlist = watchlist_for(receiver, "/first", slack_path="/second")
    slack_delivery = fan_out([make_alert()], [watchlist], now=time.time())[1]
    # The watchlist is edited while the delivery waits: its targets swap places.
    edited = watchlist.model_copy(update={"targets": list(reversed(watchlist.targets))})

    outcome = await pipeline_for(redis_client, keys, settings, [edited], client).process(
        slack_delivery, time.time()
    )

    assert outcome.kind == OutcomeKind.DELIVERED
    assert [r.path for r in receiver.requests] == ["/second"]
    assert slack_delivery.model_dump_json().find(receiver.url("/second")) == -1  # URL not carried
