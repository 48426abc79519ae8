"""The one policy: status codes and transport failures to delivered / retry / give up."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from types import SimpleNamespace

import aiohttp
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from watchfloor.services.notifier.policy import (
    MAX_RETRY_AFTER_S,
    DeliveryResult,
    Verdict,
    classify_exception,
    classify_status,
)

NOW = 1_900_000_000.0


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.DELIVERED),
        (202, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (408, Verdict.RETRY),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (502, Verdict.RETRY),
        (503, Verdict.RETRY),
        (504, Verdict.RETRY),
        (301, Verdict.GIVE_UP),
        (400, Verdict.GIVE_UP),
        (401, Verdict.GIVE_UP),
        (403, Verdict.GIVE_UP),
        (404, Verdict.GIVE_UP),
        (410, Verdict.GIVE_UP),
        (413, Verdict.GIVE_UP),
    ],
)
def test_status_table(status: int, verdict: Verdict) -> None:
    result = classify_status(status, {}, now=NOW)
    assert result == DeliveryResult(verdict, f"http_{status}", status)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_honoured_on_429_and_503(status: int) -> None:
    result = classify_status(status, {"retry-after": "42"}, now=NOW)
    assert result.verdict is Verdict.RETRY and result.retry_after == 42.0


def test_retry_after_ignored_on_other_statuses() -> None:
    assert classify_status(500, {"retry-after": "42"}, now=NOW).retry_after is None


def test_retry_after_headers_are_case_insensitive_on_responses() -> None:
    from watchfloor.services.notifier.policy import classify_response

    # What an aiohttp.ClientResponse carries: .status and case-insensitive headers.
    response = SimpleNamespace(
        status=429, headers=CIMultiDictProxy(CIMultiDict({"Retry-After": "7"}))
    )
    assert classify_response(response, now=NOW).retry_after == 7.0  # type: ignore[arg-type]


def test_a_long_retry_after_is_capped_at_the_notifiers_limit() -> None:
    result = classify_status(429, {"retry-after": "999999"}, now=NOW)
    assert result.retry_after == MAX_RETRY_AFTER_S
    later = format_datetime(datetime.fromtimestamp(NOW + 120, UTC), usegmt=True)
    assert classify_status(503, {"retry-after": later}, now=NOW).retry_after == 120.0


_KEY = SimpleNamespace(host="hooks.example.test", port=443, ssl=True)
_REFUSED = OSError(111, "Connection refused")


@pytest.mark.parametrize(
    ("exc", "verdict", "reason"),
    [
        (TimeoutError(), Verdict.RETRY, "timeout"),  # ClientTimeout.total
        (aiohttp.ConnectionTimeoutError("t"), Verdict.RETRY, "timeout"),
        (aiohttp.SocketTimeoutError("t"), Verdict.RETRY, "timeout"),
        (aiohttp.ServerTimeoutError("t"), Verdict.RETRY, "timeout"),
        (aiohttp.ClientConnectorError(_KEY, _REFUSED), Verdict.RETRY, "connect_error"),
        (aiohttp.ClientConnectorDNSError(_KEY, OSError(-2, "nx")), Verdict.RETRY, "connect_error"),
        (aiohttp.ClientConnectorSSLError(_KEY, OSError(1, "tls")), Verdict.RETRY, "connect_error"),
        (aiohttp.ServerDisconnectedError(), Verdict.RETRY, "network_error"),
        (aiohttp.ClientOSError(104, "reset"), Verdict.RETRY, "network_error"),
        (aiohttp.ClientPayloadError("eof"), Verdict.RETRY, "network_error"),
        (aiohttp.ClientResponseError(None, (), message="bad"), Verdict.RETRY, "network_error"),
        (aiohttp.ClientProxyConnectionError(_KEY, _REFUSED), Verdict.RETRY, "transport_error"),
        (aiohttp.ClientError("other"), Verdict.RETRY, "transport_error"),
        (aiohttp.NonHttpUrlClientError("ftp://x/"), Verdict.GIVE_UP, "invalid_url"),
        (aiohttp.InvalidUrlClientError("http://"), Verdict.GIVE_UP, "invalid_url"),
        (aiohttp.InvalidURL("bad"), Verdict.GIVE_UP, "invalid_url"),
    ],
)
def test_exception_table(exc: Exception, verdict: Verdict, reason: str) -> None:
    assert classify_exception(exc) == DeliveryResult(verdict, reason)
