"""Senders, one per target type, all with one signature::

    async send(delivery, target, client, now) -> DeliveryResult

A sender builds the body, makes one POST and hands the answer to the policy.
It never retries and never sleeps: the delivery pipeline schedules retries.
Transport failures are expected outcomes, so they become results too; any
other exception is a bug and propagates.

One ``aiohttp.ClientSession`` per process (``make_http_client``, called in a
running event loop), with an explicit timeout budget, connection limits and
no redirects, is passed in. aiohttp costs a fraction of httpx's CPU per
request, and the notifier's throughput is bound by that CPU.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import aiohttp
from standardwebhooks.webhooks import Webhook
from watchfloor.services.notifier.payloads import slack_body, to_json, webhook_body
from watchfloor.services.notifier.policy import (
    SEND_ERRORS,
    DeliveryResult,
    classify_exception,
    classify_response,
)
from watchfloor.services.watchlists.model import SlackTarget, Target, WebhookTarget
from watchfloor.shared.schemas import Delivery
from watchfloor.shared.settings import Settings

USER_AGENT = "watchfloor-notifier/1"
#: At most this much of an answer's body is read (and dropped), so that its
#: connection can be reused; a longer body just costs the connection.
MAX_DRAIN_BYTES = 64 * 1024
_JSON_HEADERS = {"content-type": "application/json"}

Sender = Callable[[Delivery, Any, aiohttp.ClientSession, float], Awaitable[DeliveryResult]]


def http_timeout(settings: Settings) -> aiohttp.ClientTimeout:
    """``webhook_timeout_s`` bounds a whole send: waiting for a pooled
    connection, connecting, writing, and reading the answer."""
    timeout = settings.webhook_timeout_s
    # Connecting gets a shorter budget: a dead host should fail fast.
    return aiohttp.ClientTimeout(
        total=timeout, sock_connect=min(timeout, 3.0), sock_read=timeout
    )


def make_http_client(settings: Settings) -> aiohttp.ClientSession:
    """The process's one client; call it with the event loop running, close it
    with ``await client.close()`` (or use it as an ``async with``).

    Proxies from the environment (HTTP(S)_PROXY) and .netrc are not used
    (``trust_env=False``): every delivery goes straight to its target.
    """
    connector = aiohttp.TCPConnector(
        limit=settings.delivery_concurrency,
        limit_per_host=settings.delivery_concurrency,
        keepalive_timeout=30.0,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=http_timeout(settings),
        headers={"user-agent": USER_AGENT},
        # The body of an answer is drained, never used: do not ask for (or
        # spend CPU on) compression.
        skip_auto_headers=("accept-encoding",),
        auto_decompress=False,
        trust_env=False,
        raise_for_status=False,
    )


def signature_headers(secret: str, msg_id: str, now: float, body: str) -> dict[str, str]:
    """Standard Webhooks headers; the library signs, we never hand-roll HMAC."""
    timestamp = datetime.fromtimestamp(now, UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now)),
        "webhook-signature": _signer(secret).sign(msg_id, timestamp, body),
    }


async def _post(
    client: aiohttp.ClientSession, url: str, body: str, headers: dict[str, str], now: float
) -> DeliveryResult:
    try:
        async with client.post(
            url,
            data=body.encode(),
            headers=headers,
            # A signed POST is never re-sent to wherever a 3xx points.
            allow_redirects=False,
        ) as response:
            # The status decides: once it is in, the target has the delivery.
            result = classify_response(response, now=now)
            await _drain(response)
    except SEND_ERRORS as exc:
        return classify_exception(exc)
    return result


async def _drain(response: aiohttp.ClientResponse) -> None:
    """Read (a bounded part of) the body so the connection can be reused.
    A failure here does not change the result: the status is already in."""
    remaining = MAX_DRAIN_BYTES
    try:
        while remaining > 0:
            chunk = await response.content.read(remaining)
            if not chunk:
                return
            remaining -= len(chunk)
    except SEND_ERRORS:
        response.close()  # the connection is in an unknown state: drop it


@lru_cache(maxsize=256)
def _signer(secret: str) -> Webhook:
    """Decoding a whsec_ secret once per target, not once per delivery."""
    return Webhook(secret)


async def send_webhook(
    delivery: Delivery, target: WebhookTarget, client: aiohttp.ClientSession, now: float
) -> DeliveryResult:
    # The body is serialised once: the signature covers these exact bytes.
    body = to_json(webhook_body(delivery.alert, now=now))
    headers = signature_headers(target.secret.get_secret_value(), delivery.id, now, body)
    return await _post(client, target.url, body, _JSON_HEADERS | headers, now)


async def send_slack(
    delivery: Delivery, target: SlackTarget, client: aiohttp.ClientSession, now: float
) -> DeliveryResult:
    body = to_json(slack_body(delivery.alert))
    return await _post(client, target.url.get_secret_value(), body, _JSON_HEADERS, now)


SENDERS: dict[str, Sender] = {"webhook": send_webhook, "slack": send_slack}


async def send(
    delivery: Delivery, target: Target, client: aiohttp.ClientSession, now: float
) -> DeliveryResult:
    """Send with the sender for ``target.type``."""
    return await SENDERS[target.type](delivery, target, client, now)
