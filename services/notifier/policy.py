"""One policy: what an HTTP answer (or a failure to get one) means for a delivery.

=====================================  ==========  =====================
answer                                 verdict     reason (metric label)
=====================================  ==========  =====================
2xx                                    delivered   ``http_200`` ...
408, 429, 5xx                          retry       ``http_503`` ...
other 1xx/3xx/4xx (redirects are not   give_up     ``http_410`` ...
followed: a signed POST must not be
sent somewhere else silently)
timeout (connect, read, total)         retry       ``timeout``
connection refused / DNS / TLS failure retry       ``connect_error``
connection dropped, malformed answer   retry       ``network_error``
other transport failure (e.g. proxy)   retry       ``transport_error``
bad URL / unsupported scheme           give_up     ``invalid_url``
address refused by the guard           give_up     ``blocked_address``
(``shared.addresses``: not public,
not in WATCHFLOOR_TARGET_ALLOWLIST)
=====================================  ==========  =====================

A ``Retry-After`` on 429 and 503 is honoured (seconds or HTTP date), capped so
a receiver cannot park a delivery for days. Transport failures are aiohttp's
(the delivery client is an ``aiohttp.ClientSession``, see ``targets``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import aiohttp
from watchfloor.shared.addresses import blocked_cause
from watchfloor.shared.http import parse_retry_after

MAX_RETRY_AFTER_S = 3600.0  # how long a receiver may park a delivery
_RETRYABLE_STATUS = frozenset({408, 429})
_RETRY_AFTER_STATUS = frozenset({429, 503})


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    GIVE_UP = "give_up"


@dataclass(frozen=True)
class DeliveryResult:
    """What one send attempt came to. ``reason`` is a short metric label."""

    verdict: Verdict
    reason: str
    status_code: int | None = None
    retry_after: float | None = None  # seconds the receiver asked us to wait


def classify_status(
    status: int, headers: Mapping[str, str] | None = None, *, now: float
) -> DeliveryResult:
    reason = f"http_{status}"
    if 200 <= status < 300:
        return DeliveryResult(Verdict.DELIVERED, reason, status)
    if status in _RETRYABLE_STATUS or 500 <= status < 600:
        retry_after = None
        if status in _RETRY_AFTER_STATUS and headers is not None:
            retry_after = parse_retry_after(
                headers.get("retry-after"), now=now, cap=MAX_RETRY_AFTER_S
            )
        return DeliveryResult(Verdict.RETRY, reason, status, retry_after)
    return DeliveryResult(Verdict.GIVE_UP, reason, status)


def classify_response(response: aiohttp.ClientResponse, *, now: float) -> DeliveryResult:
    """The answer's status and (case-insensitive) headers through ``classify_status``."""
    return classify_status(response.status, response.headers, now=now)


#: What a sender catches around a request: aiohttp's transport failures, plus
#: the timeouts (``ClientTimeout`` raises the built-in TimeoutError).
SEND_ERRORS = (aiohttp.ClientError, TimeoutError)


def classify_exception(exc: BaseException) -> DeliveryResult:
    """Transport failures. Order matters: the aiohttp classes form a tree
    (a connect timeout is a ClientConnectionError and a TimeoutError)."""
    if blocked_cause(exc) is not None:
        return DeliveryResult(Verdict.GIVE_UP, "blocked_address")
    if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return DeliveryResult(Verdict.GIVE_UP, "invalid_url")
    if isinstance(exc, TimeoutError):
        return DeliveryResult(Verdict.RETRY, "timeout")
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return DeliveryResult(Verdict.RETRY, "transport_error")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return DeliveryResult(Verdict.RETRY, "connect_error")
    if isinstance(
        exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError | aiohttp.ClientResponseError
    ):
        return DeliveryResult(Verdict.RETRY, "network_error")
    return DeliveryResult(Verdict.RETRY, "transport_error")
