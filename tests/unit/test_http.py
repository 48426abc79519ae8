"""Retry-After in both forms with each caller's cap; the API error body."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from watchfloor.shared.http import error_body, parse_retry_after

NOW = 1_900_000_000.0
CAP = 3600.0


def http_date(offset_s: float) -> str:
    return format_datetime(datetime.fromtimestamp(NOW + offset_s, UTC), usegmt=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("soon", None),
        ("tomorrow-ish", None),
        ("nan", None),
        ("0", 0.0),
        ("120", 120.0),
        (" 120 ", 120.0),
        ("-5", 0.0),
        ("1.5", 1.5),
        ("999999", CAP),
        ("inf", CAP),
        (http_date(120), 120.0),
        (http_date(-120), 0.0),  # a date already past: no wait
        (http_date(86_400), CAP),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW, cap=CAP) == expected


def test_each_caller_chooses_its_cap() -> None:
    assert parse_retry_after("600", now=NOW, cap=60) == 60
    assert parse_retry_after("600", now=NOW, cap=6 * 3600) == 600
    assert parse_retry_after(http_date(7200), now=NOW, cap=6 * 3600) == 7200


def test_a_date_without_a_zone_is_utc() -> None:
    # RFC 5322 "-0000": parsed without tzinfo; it means UTC, not local time.
    stamp = datetime.fromtimestamp(NOW + 300, UTC).strftime("%a, %d %b %Y %H:%M:%S -0000")
    assert parse_retry_after(stamp, now=NOW, cap=CAP) == 300.0


def test_error_body_has_problems_only_when_there_are_some() -> None:
    assert error_body("nope") == {"error": {"message": "nope"}}
    assert error_body("nope", []) == {"error": {"message": "nope"}}
    problem = {"index": 2, "field": "title", "message": "is required"}
    assert error_body("bad batch", [problem]) == {
        "error": {"message": "bad batch", "problems": [problem]}
    }
