"""Senders, one per target type, all with one signature::

    async send(delivery, target, client, now) -> DeliveryResult

A sender builds the body, makes one POST and hands the answer to the policy.
It never retries and never sleeps: the delivery pipeline schedules retries.
Transport failures are expected outcomes, so they become results too; any
other exception is a bug and propagates.

One ``httpx.AsyncClient`` per process (``make_http_client``), with explicit
timeouts and connection limits, is passed in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from services.notifier.payloads import slack_body, to_json, webhook_body
from services.notifier.policy import (
    SEND_ERRORS,
    DeliveryResult,
    classify_exception,
    classify_response,
)
from services.notifier.watchlists import SlackTarget, Target, WebhookTarget
from shared.schemas import Delivery
from shared.settings import Settings

USER_AGENT = "watchfloor-notifier/1"

Sender = Callable[[Delivery, Any, httpx.AsyncClient, float], Awaitable[DeliveryResult]]


def make_http_client(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The process's one client. ``transport`` is the test seam (httpx.MockTransport)."""
    timeout = settings.webhook_timeout_s
    return httpx.AsyncClient(
        # Connecting gets a shorter budget: a dead host should fail fast.
        timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
        limits=httpx.Limits(
            max_connections=settings.delivery_concurrency,
            max_keepalive_connections=settings.delivery_concurrency,
            keepalive_expiry=30.0,
        ),
        # A signed POST is never re-sent to wherever a 3xx points.
        follow_redirects=False,
        headers={"user-agent": USER_AGENT},
        transport=transport,
    )


def signature_headers(secret: str, msg_id: str, now: float, body: str) -> dict[str, str]:
    """Standard Webhooks headers; the library signs, we never hand-roll HMAC."""
    timestamp = datetime.fromtimestamp(now, UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now)),
        "webhook-signature": Webhook(secret).sign(msg_id, timestamp, body),
    }


async def _post(
    client: httpx.AsyncClient, url: str, body: str, headers: dict[str, str], now: float
) -> DeliveryResult:
    try:
        response = await client.post(
            url,
            content=body.encode(),
            headers={"content-type": "application/json", **headers},
        )
    except SEND_ERRORS as exc:
        return classify_exception(exc)
    return classify_response(response, now=now)


async def send_webhook(
    delivery: Delivery, target: WebhookTarget, client: httpx.AsyncClient, now: float
) -> DeliveryResult:
    # The body is serialised once: the signature covers these exact bytes.
    body = to_json(webhook_body(delivery.alert, now=now))
    headers = signature_headers(target.secret.get_secret_value(), delivery.id, now, body)
    return await _post(client, target.url, body, headers, now)


async def send_slack(
    delivery: Delivery, target: SlackTarget, client: httpx.AsyncClient, now: float
) -> DeliveryResult:
    body = to_json(slack_body(delivery.alert))
    return await _post(client, target.url.get_secret_value(), body, {}, now)


SENDERS: dict[str, Sender] = {"webhook": send_webhook, "slack": send_slack}


async def send(
    delivery: Delivery, target: Target, client: httpx.AsyncClient, now: float
) -> DeliveryResult:
    """Send with the sender for ``target.type``."""
    return await SENDERS[target.type](delivery, target, client, now)
