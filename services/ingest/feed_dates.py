"""A feed entry's date as a UTC time.

feedparser reads a zone name it does not know ("CEST", "MSK") as UTC and
drops "GMT+3" altogether: an item published at 23:30 in Berlin was stamped
with the wrong hour, and often the wrong UTC day, which the duplicate check
and the story facts compare. The zone names feeds use are read here; any
other is left to feedparser as before (a date a few hours off still gives a
flash without a link its day: without one, next month's flash with the same
headline was its duplicate). A date without any zone is read as UTC.
"""

from __future__ import annotations

import calendar
import email.utils
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

# Hours east of UTC. RFC 822's own names keep their RFC 822 meaning (CST is
# US Central); "IST" (India, Ireland, Israel) is left out as ambiguous.
_ZONE_HOURS = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "MET": 1,
    "CEST": 2, "MEST": 2, "SAST": 2, "EET": 2, "EEST": 3, "MSK": 3, "TRT": 3, "AST": -4,
    "ADT": -3, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8,
    "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "PKT": 5, "ICT": 7, "WIB": 7, "HKT": 8,
    "SGT": 8, "AWST": 8, "JST": 9, "KST": 9, "ACST": 9.5, "AEST": 10, "AEDT": 11,
    "NZST": 12, "NZDT": 13, "MEZ": 1, "MESZ": 2,
}
_UTC_NAMES = frozenset({"UT", "UTC", "GMT", "Z"})
# "... 23:30:00 CEST", "... 10:00 GMT+3", "... 01:00 UTC+05:30": a name after
# the time (an ISO "T23:30:00Z" has no space before its Z and is left to feedparser)
_NAMED_ZONE = re.compile(r"\d:\d\d(?::\d\d)?\s+(?P<name>[A-Za-z]{1,5})"
                         r"(?:\s*(?P<sign>[+-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d\d))?)?\s*$")


def entry_date(entry: Any) -> str | None:
    """The entry's published (else updated) time in UTC, ISO 8601."""
    for key in ("published", "updated"):
        raw = entry.get(key)
        raw = raw.strip() if isinstance(raw, str) else ""
        named = _NAMED_ZONE.search(raw)
        when = _with_named_zone(raw[:named.start("name")], named) if named else None
        if when is None and (parsed := entry.get(f"{key}_parsed")):
            when = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
        if when is None and raw:
            when = _without_zone(raw)
        if when is not None:
            return when.isoformat()
    return None


def _with_named_zone(head: str, named: re.Match[str]) -> datetime | None:
    """The date in a zone of ``_ZONE_HOURS`` (RFC 822 "Tue, 07 May 2024
    10:00:00" or ISO "2024-05-07 10:00:00" before it); None for another zone."""
    hours = _ZONE_HOURS.get(named["name"].upper())
    if hours is None:
        return None
    offset = timedelta(hours=hours)
    if named["sign"]:
        shift = timedelta(hours=int(named["hours"]), minutes=int(named["minutes"] or 0))
        shift = shift if named["sign"] == "+" else -shift
        # "GMT+3" counts from GMT; "EST -0500" (strftime's "%Z %z") is the
        # zone's own offset written out again
        offset = offset + shift if named["name"].upper() in _UTC_NAMES else shift
    try:
        if fields := email.utils.parsedate_tz(head):
            local = datetime(*fields[:6])
        else:
            local = datetime.fromisoformat(head.strip())
        return local.replace(tzinfo=timezone(offset)).astimezone(UTC)
    except ValueError:  # not a date, a day or an offset out of range
        return None


def _without_zone(raw: str) -> datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        try:
            when = datetime.fromisoformat(raw)
        except ValueError:
            return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
