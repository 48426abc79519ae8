"""Deliveries survive edits of their target: a waiting retry, or a failed
delivery replayed after a fix, goes to the target's URL and secret as they are
*now*; a deleted target ends its deliveries as failed ``target_removed``;
deliveries queued by the previous version (schema 1) are still delivered or
failed clearly. On a real Redis and the real local webhook receiver, and (at
the end) through a running notifier worker and ``watchfloor replay``."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
from watchfloor.services.cli.main import main as cli_main
from watchfloor.services.notifier.app import notifier_parts
from watchfloor.services.notifier.delivery import DeliveryPipeline, OutcomeKind, fan_out
from watchfloor.services.notifier.directory import legacy_target_key
from watchfloor.services.notifier.replay import replay_failed_deliveries
from watchfloor.services.notifier.retry import RetrySchedule
from watchfloor.services.notifier.targets import make_http_client
from watchfloor.services.watchlists.configured import watchlist_tags
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.services.watchlists.store import WatchlistStore
from watchfloor.shared.schemas import Delivery
from watchfloor.shared.streams.codec import decode
from watchfloor.shared.streams.publish import publish
from watchfloor.shared.streams.worker import create_worker_app

from tests.integration.helpers import running, wait_until
from tests.unit.notifier.factories import make_alert, make_secret, make_watchlist

OLD_SECRET, NEW_SECRET = make_secret(11), make_secret(12)


@pytest.fixture
async def client(settings) -> AsyncIterator:
    async with make_http_client(settings) as http:
        yield http


def pipeline_for(redis_client, keys, settings, watchlists, client) -> DeliveryPipeline:
    return DeliveryPipeline(redis_client, keys, settings, watchlists, client, retry_jitter=0.0)


def hook_watchlist(receiver, path: str, secret: str, *, slack_path: str | None = None) -> Watchlist:
    receiver.secrets[path] = secret
    targets = [{"type": "webhook", "url": receiver.url(path), "secret": secret}]
    if slack_path is not None:
        targets.append({"type": "slack", "url": receiver.url(slack_path)})
    return make_watchlist(targets=targets)


async def next_from_schedule(redis_client, keys, settings) -> Delivery:
    """Move what waits in the retry schedule onto the stream, as the worker
    would when it is due, and read it back."""
    assert await RetrySchedule(redis_client, keys, settings).move_due(time.time() + 3600) == 1
    ((entry_id, fields),) = await redis_client.xrange(keys.deliveries)
    await redis_client.xdel(keys.deliveries, entry_id)
    return decode(fields, Delivery)


async def failed_reasons(redis_client, keys) -> list[str]:
    return [f[b"reason"].decode() for _, f in await redis_client.xrange(keys.failed_deliveries)]


async def test_a_waiting_retry_reaches_the_corrected_url_and_secret(
    redis_client, keys, settings, receiver, client
) -> None:
    """Issue 7: after the URL was fixed, the waiting retry ended
    'permanent: unknown_target'."""
    typo = hook_watchlist(receiver, "/hoook", OLD_SECRET)
    receiver.plan("/hoook", [503])
    delivery = fan_out([make_alert()], [typo], now=time.time())[0]
    first = await pipeline_for(redis_client, keys, settings, [typo], client).process(
        delivery, time.time())
    assert first.kind is OutcomeKind.RETRY_SCHEDULED

    fixed = hook_watchlist(receiver, "/hook", NEW_SECRET)  # URL and secret corrected
    retry = await next_from_schedule(redis_client, keys, settings)
    outcome = await pipeline_for(redis_client, keys, settings, [fixed], client).process(
        retry, time.time())

    assert outcome.kind is OutcomeKind.DELIVERED
    (request,) = receiver.delivered("/hook")
    assert request.verified is True  # signed with the new secret
    assert request.headers["webhook-id"] == delivery.id  # one id across the edit
    assert await failed_reasons(redis_client, keys) == []


async def test_replay_after_a_fix_resends_to_the_rotated_slack_url(
    redis_client, keys, settings, receiver, client
) -> None:
    """A revoked Slack URL answers 410; once the URL is rotated, replay reaches the new one."""
    revoked = hook_watchlist(receiver, "/hook", OLD_SECRET, slack_path="/slack/revoked")
    receiver.plan("/slack/revoked", [410])
    slack_delivery = fan_out([make_alert()], [revoked], now=time.time())[1]
    failed = await pipeline_for(redis_client, keys, settings, [revoked], client).process(
        slack_delivery, time.time())
    assert failed.reason == "permanent: http_410"

    rotated = hook_watchlist(receiver, "/hook", OLD_SECRET, slack_path="/slack/rotated")
    assert await replay_failed_deliveries(redis_client, keys) == 1
    ((_, fields),) = await redis_client.xrange(keys.deliveries)
    outcome = await pipeline_for(redis_client, keys, settings, [rotated], client).process(
        decode(fields, Delivery), time.time())

    assert outcome.kind is OutcomeKind.DELIVERED
    assert [r.path for r in receiver.delivered()] == ["/slack/rotated"]
    assert receiver.url("/slack") not in fields[b"__data__"].decode()  # never in a stream


async def test_a_target_deleted_while_its_retry_waits_fails_as_target_removed(
    redis_client, keys, settings, receiver, client
) -> None:
    both = hook_watchlist(receiver, "/hook", OLD_SECRET, slack_path="/slack")
    receiver.plan("/slack", [503])
    slack_delivery = fan_out([make_alert()], [both], now=time.time())[1]
    await pipeline_for(redis_client, keys, settings, [both], client).process(
        slack_delivery, time.time())

    webhook_only = both.model_copy(update={"targets": both.targets[:1]})
    retry = await next_from_schedule(redis_client, keys, settings)
    outcome = await pipeline_for(redis_client, keys, settings, [webhook_only], client).process(
        retry, time.time())

    assert outcome.reason == "permanent: target_removed"
    assert await failed_reasons(redis_client, keys) == ["permanent: target_removed"]
    assert [r.path for r in receiver.requests] == ["/slack"]  # the first attempt only


async def test_a_named_target_keeps_its_deliveries_when_others_are_added_before_it(
    redis_client, keys, settings, receiver, client
) -> None:
    named = make_watchlist(targets=[
        {"type": "webhook", "name": "desk", "url": receiver.url("/desk"), "secret": OLD_SECRET}])
    receiver.secrets["/desk"] = OLD_SECRET
    delivery = fan_out([make_alert()], [named], now=time.time())[0]
    grown = make_watchlist(targets=[
        {"type": "webhook", "url": receiver.url("/new"), "secret": NEW_SECRET},
        *[t.model_dump(mode="python") | {"secret": OLD_SECRET} for t in named.targets],
    ])

    outcome = await pipeline_for(redis_client, keys, settings, [grown], client).process(
        delivery, time.time())

    assert outcome.kind is OutcomeKind.DELIVERED
    assert [r.path for r in receiver.delivered()] == ["/desk"]


def schema1_payload(delivery: Delivery, index: int, key: str | None) -> str:
    """The JSON the previous version wrote for a delivery (schema 1)."""
    data = json.loads(delivery.model_dump_json(exclude={"target_name"}))
    data.update(schema_version=1, target_index=index, target_key=key)
    return json.dumps(data)


async def test_schema1_deliveries_waiting_in_redis_are_delivered_or_failed_clearly(
    redis_client, keys, settings, receiver, client
) -> None:
    watchlist = hook_watchlist(receiver, "/hook", OLD_SECRET, slack_path="/slack")
    webhook, slack = fan_out([make_alert()], [watchlist], now=time.time())
    # Queued as retries by the previous version: one for each target. Then
    # the Slack URL changed, so the old key of the Slack one matches nothing.
    await redis_client.hset(keys.retry_payloads, mapping={
        webhook.id: schema1_payload(webhook, 0, legacy_target_key(watchlist.targets[0])),
        slack.id: schema1_payload(slack, 1, legacy_target_key(watchlist.targets[1])),
    })
    await redis_client.zadd(keys.retry_schedule, {webhook.id: 0, slack.id: 0})
    edited = hook_watchlist(receiver, "/hook", OLD_SECRET, slack_path="/slack/rotated")
    assert await RetrySchedule(redis_client, keys, settings).move_due(time.time()) == 2
    waiting = sorted((decode(f, Delivery) for _, f in await redis_client.xrange(keys.deliveries)),
                     key=lambda d: d.target_index)
    assert [(d.schema_version, d.id) for d in waiting] == [(1, webhook.id), (1, slack.id)]

    outcomes = await pipeline_for(redis_client, keys, settings, [edited], client).process_batch(
        waiting, time.time())

    assert [o.kind for o in outcomes] == [OutcomeKind.DELIVERED, OutcomeKind.FAILED]
    assert outcomes[1].reason == "permanent: unknown_target"
    (request,) = receiver.delivered()
    assert request.path == "/hook" and request.headers["webhook-id"] == webhook.id
    ((_, failure),) = await redis_client.xrange(keys.failed_deliveries)
    assert failure[b"target"] == b"#1"  # kept with its alert, for an operator
    assert Delivery.model_validate_json(failure[b"payload"]).alert == slack.alert


# --- through a running notifier worker ------------------------------------------


async def test_a_running_notifier_follows_an_edit_made_through_the_api(
    redis_client, keys, settings, receiver
) -> None:
    """The URL is fixed through the watchlists store (as PUT /v1/watchlists
    does) while the retry waits: the worker sends the retry to the new URL;
    a Slack URL rotated after a 410 gets the replayed delivery."""
    settings = settings.model_copy(
        update={"watchlists_refresh_s": 0.1, "retry_schedule_s": [0.5, 0.5, 0.5]})
    store = WatchlistStore(redis_client, keys, known_tags=watchlist_tags(settings))
    typo = hook_watchlist(receiver, "/hoook", OLD_SECRET, slack_path="/slack/revoked")
    receiver.plan("/hoook", [503] * 10)
    receiver.plan("/slack/revoked", [410])
    await store.put(typo)
    webhook, slack = fan_out([make_alert()], [typo], now=time.time())
    app = create_worker_app(settings, [notifier_parts])

    async with running(app):
        await publish(redis_client, keys.deliveries, [webhook, slack])

        async def attempted() -> bool:
            paths = [r.path for r in receiver.requests]
            return "/hoook" in paths and await redis_client.xlen(keys.failed_deliveries) == 1
        await wait_until(attempted, what="the first attempts")
        await store.put(hook_watchlist(receiver, "/hook", NEW_SECRET, slack_path="/slack/new"))
        assert await asyncio.to_thread(receiver.wait_for, 1, 15, "/hook")

        code = await asyncio.to_thread(cli_main, [
            "replay", "--deliveries", "--redis-url", settings.resolved_redis_url,
            "--prefix", settings.key_prefix])
        assert code == 0
        assert await asyncio.to_thread(receiver.wait_for, 1, 15, "/slack/new")

    (fixed,) = receiver.delivered("/hook")
    assert fixed.verified and fixed.headers["webhook-id"] == webhook.id
    assert [r.path for r in receiver.delivered()] == ["/hook", "/slack/new"]
    assert await redis_client.xlen(keys.failed_deliveries) == 0
