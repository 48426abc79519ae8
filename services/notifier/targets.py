"""The notifier's side of sending: the HTTP client, and one attempt for a target.

What a target receives and how it is addressed belong to its type
(``services/targets/<type>.py``); here is what every type shares::

    async send(delivery, target, client, now) -> DeliveryResult

hands the delivery to the target's type with an ``HttpSendContext``: the way
out (one POST, no redirects) and the judge of the answer (``policy``). A send
never retries and never sleeps: the delivery pipeline schedules retries.
Transport failures are expected outcomes, so they become results too; any
other exception is a bug and propagates.

One ``aiohttp.ClientSession`` per process (``make_http_client``, called in a
running event loop), with an explicit timeout budget, connection limits and
no redirects, is passed in. aiohttp costs a fraction of httpx's CPU per
request, and the notifier's throughput is bound by that CPU. Its connector
applies the address guard (``shared.egress``): a target whose address is
loopback, private, link-local, multicast or reserved, and not opened by
``WATCHFLOOR_TARGET_ALLOWLIST``, is never connected to; the send ends
``give_up: blocked_address``.

Mail (the email target) goes out through a ``mail.Mailer`` made together
with the client, from the same settings (address policy, time budget):
``send`` finds the client's mailer, so whoever holds the client can send
both ways. A client not made by ``make_http_client`` has none, and a mail
send through it ends ``give_up: no_mail_transport``.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage

import aiohttp
from watchfloor.services.notifier.mail import Mailer
from watchfloor.services.notifier.policy import (
    SEND_ERRORS,
    DeliveryResult,
    Verdict,
    classify_exception,
    classify_response,
)
from watchfloor.services.targets import Target, type_of
from watchfloor.services.targets.base import MailServer
from watchfloor.shared.egress import aiohttp_guard
from watchfloor.shared.schemas import Delivery
from watchfloor.shared.settings import Settings

USER_AGENT = "watchfloor-notifier/1"
#: At most this much of an answer's body is read (and dropped), so that its
#: connection can be reused; a longer body just costs the connection.
MAX_DRAIN_BYTES = 64 * 1024
_JSON_HEADERS = {"content-type": "application/json"}
#: The mailer made with each client (see the module docstring).
_MAILERS: weakref.WeakKeyDictionary[aiohttp.ClientSession, Mailer] = weakref.WeakKeyDictionary()


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
        **aiohttp_guard(settings.address_policy),
    )
    client = aiohttp.ClientSession(
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
    _MAILERS[client] = Mailer(settings.address_policy, settings.webhook_timeout_s)
    return client


@dataclass(frozen=True, slots=True)
class HttpSendContext:
    """``base.SendContext`` over the process's HTTP client, for one attempt."""

    client: aiohttp.ClientSession
    now: float
    mailer: Mailer | None = None

    async def post_json(
        self, url: str, body: str, headers: Mapping[str, str]
    ) -> DeliveryResult:
        try:
            async with self.client.post(
                url,
                data=body.encode(),
                headers={**_JSON_HEADERS, **headers},
                # A signed POST is never re-sent to wherever a 3xx points.
                allow_redirects=False,
            ) as response:
                # The status decides: once it is in, the target has the delivery.
                result = classify_response(response, now=self.now)
                await _drain(response)
        except SEND_ERRORS as exc:
            return classify_exception(exc)
        return result

    async def send_mail(self, message: EmailMessage, server: MailServer) -> DeliveryResult:
        if self.mailer is None:
            return DeliveryResult(Verdict.GIVE_UP, "no_mail_transport")
        return await self.mailer.send(message, server)


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


async def send(
    delivery: Delivery, target: Target, client: aiohttp.ClientSession, now: float
) -> DeliveryResult:
    """One attempt, by the type ``target.type`` names."""
    context = HttpSendContext(client, now, _MAILERS.get(client) if client is not None else None)
    return await type_of(target).send(delivery, target, context)
