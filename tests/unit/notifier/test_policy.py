"""The one policy: status codes and transport failures to delivered / retry / give up."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from services.notifier.policy import (
    MAX_RETRY_AFTER_S,
    DeliveryResult,
    Verdict,
    classify_exception,
    classify_status,
    parse_retry_after,
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
    from services.notifier.policy import classify_response

    response = httpx.Response(429, headers={"Retry-After": "7"})
    assert classify_response(response, now=NOW).retry_after == 7.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("0", 0.0),
        ("-5", 0.0),
        ("1.5", 1.5),
        ("999999", MAX_RETRY_AFTER_S),
        (format_datetime(datetime.fromtimestamp(NOW + 120, UTC), usegmt=True), 120.0),
        (format_datetime(datetime.fromtimestamp(NOW - 120, UTC), usegmt=True), 0.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_custom_cap() -> None:
    assert parse_retry_after("600", now=NOW, cap=60) == 60


_REQUEST = httpx.Request("POST", "https://hooks.example.test/")


@pytest.mark.parametrize(
    ("exc", "verdict", "reason"),
    [
        (httpx.ConnectTimeout("t", request=_REQUEST), Verdict.RETRY, "timeout"),
        (httpx.ReadTimeout("t", request=_REQUEST), Verdict.RETRY, "timeout"),
        (httpx.PoolTimeout("t", request=_REQUEST), Verdict.RETRY, "timeout"),
        (httpx.ConnectError("refused", request=_REQUEST), Verdict.RETRY, "connect_error"),
        (httpx.ReadError("reset", request=_REQUEST), Verdict.RETRY, "network_error"),
        (httpx.RemoteProtocolError("eof", request=_REQUEST), Verdict.RETRY, "network_error"),
        (httpx.ProxyError("proxy", request=_REQUEST), Verdict.RETRY, "transport_error"),
        (httpx.UnsupportedProtocol("ftp", request=_REQUEST), Verdict.GIVE_UP, "invalid_url"),
        (httpx.InvalidURL("bad"), Verdict.GIVE_UP, "invalid_url"),
    ],
)
def test_exception_table(exc: Exception, verdict: Verdict, reason: str) -> None:
    assert classify_exception(exc) == DeliveryResult(verdict, reason)
