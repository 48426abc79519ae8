"""Senders against httpx.MockTransport: headers, signature, bodies, failures."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from services.notifier.delivery import fan_out
from services.notifier.policy import DeliveryResult, Verdict
from services.notifier.targets import make_http_client, send
from shared.settings import Settings
from tests.unit.notifier.factories import make_alert, make_secret, make_watchlist

SECRET = make_secret(3)
SLACK_URL = "https://hooks.slack.example.test/services/T1/B1/tok"


def watchlist():
    return make_watchlist(
        targets=[
            {"type": "webhook", "url": "https://hooks.example.test/in", "secret": SECRET},
            {"type": "slack", "url": SLACK_URL},
        ]
    )


def deliveries():
    return fan_out([make_alert()], [watchlist()], now=time.time())


def client_answering(handler) -> httpx.AsyncClient:
    return make_http_client(Settings(_env_file=None), transport=httpx.MockTransport(handler))


async def test_webhook_is_signed_per_standard_webhooks() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    webhook_delivery = deliveries()[0]
    now = time.time()  # the verifier checks the timestamp against the clock
    async with client_answering(handler) as client:
        result = await send(webhook_delivery, watchlist().targets[0], client, now)

    assert result == DeliveryResult(Verdict.DELIVERED, "http_204", 204)
    (request,) = seen
    assert str(request.url) == "https://hooks.example.test/in"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == webhook_delivery.id
    assert request.headers["webhook-timestamp"] == str(int(now))
    assert request.headers["webhook-signature"].startswith("v1,")
    body = Webhook(SECRET).verify(request.content, dict(request.headers))
    assert (
        body["type"] == "watchfloor.alert" and body["data"]["alert_id"] == webhook_delivery.alert.id
    )
    with pytest.raises(Exception):  # noqa: B017 - any verification error
        Webhook(make_secret(4)).verify(request.content, dict(request.headers))


async def test_slack_posts_block_kit_without_signature() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok")

    async with client_answering(handler) as client:
        result = await send(deliveries()[1], watchlist().targets[1], client, time.time())

    assert result.verdict is Verdict.DELIVERED
    (request,) = seen
    assert str(request.url) == SLACK_URL
    assert "webhook-signature" not in request.headers
    body = json.loads(request.content)
    assert body["blocks"][0]["type"] == "header" and body["text"]


async def test_failures_become_results() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with client_answering(handler) as client:
        result = await send(deliveries()[0], watchlist().targets[0], client, time.time())
    assert result == DeliveryResult(Verdict.RETRY, "connect_error")


async def test_status_goes_through_the_policy() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"retry-after": "12"})

    async with client_answering(handler) as client:
        result = await send(deliveries()[1], watchlist().targets[1], client, time.time())
    assert result == DeliveryResult(Verdict.RETRY, "http_429", 429, 12.0)


async def test_redirects_are_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"location": "https://elsewhere.example.test/"})

    async with client_answering(handler) as client:
        result = await send(deliveries()[0], watchlist().targets[0], client, time.time())
    assert result.verdict is Verdict.GIVE_UP and result.reason == "http_307"


async def test_http_client_has_explicit_timeouts() -> None:
    settings = Settings(_env_file=None, webhook_timeout_s=2.5, delivery_concurrency=7)
    async with make_http_client(settings) as client:
        assert client.timeout.read == 2.5 and client.timeout.connect == 2.5
        assert client.follow_redirects is False
