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
What an SMTP answer means (the email target) is the second table, below.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import aiohttp
import aiosmtplib
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


# --- SMTP (the email target) ----------------------------------------------------
#
# =====================================  ==========  =====================
# answer                                 verdict     reason
# =====================================  ==========  =====================
# 4xx reply (greylisting, mailbox busy)  retry       ``smtp_451`` ...
# 5xx reply (refused, auth failed)       give_up     ``smtp_550`` ...
# every recipient refused                retry if    ``smtp_450`` (first
#                                        any 4xx     4xx), else ``smtp_550``
# server lacks STARTTLS/AUTH asked for   give_up     ``smtp_not_supported``
# timeout                                retry       ``timeout``
# connection refused / dropped / TLS     retry       ``connect_error`` /
#                                                    ``network_error``
# address refused by the guard           give_up     ``blocked_address``
# =====================================  ==========  =====================


def classify_smtp_reply(code: int) -> DeliveryResult:
    """An SMTP reply code that ended a send: 4xx transient, 5xx permanent."""
    verdict = Verdict.RETRY if 400 <= code < 500 else Verdict.GIVE_UP
    return DeliveryResult(verdict, f"smtp_{code}", code)


def classify_smtp_exception(exc: BaseException) -> DeliveryResult:
    """What an ``aiosmtplib`` (or connection) failure means for a delivery."""
    if blocked_cause(exc) is not None:
        return DeliveryResult(Verdict.GIVE_UP, "blocked_address")
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        transient = [c for c in codes if 400 <= c < 500]
        return classify_smtp_reply(transient[0] if transient else max(codes, default=550))
    if isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code >= 400:
        return classify_smtp_reply(exc.code)
    if isinstance(exc, TimeoutError):
        return DeliveryResult(Verdict.RETRY, "timeout")
    if isinstance(exc, aiosmtplib.SMTPNotSupported) or (
        # aiosmtplib says so for STARTTLS and AUTH with a bare SMTPException
        type(exc) is aiosmtplib.SMTPException and "not supported" in str(exc)
    ):
        return DeliveryResult(Verdict.GIVE_UP, "smtp_not_supported")
    if isinstance(exc, aiosmtplib.SMTPConnectError | ssl.SSLError | socket.gaierror):
        return DeliveryResult(Verdict.RETRY, "connect_error")
    return DeliveryResult(Verdict.RETRY, "network_error")


#: What a mail send catches: aiosmtplib's failures, connection and TLS
#: errors, timeouts (``ssl.SSLError`` and ``socket.gaierror`` are OSErrors).
SMTP_SEND_ERRORS = (aiosmtplib.SMTPException, OSError, TimeoutError)
