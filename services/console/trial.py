"""Try before saving: what would this watchlist have alerted on over the last N days?

The watchlist is matched (the notifier's own ``WatchlistMatcher``) against
the classified articles still kept in the classified stream, newest first, at
most ``scan_limit`` of them; the result says how far back that reached and
how far back the stream goes, so an empty answer is never mistaken for "no
such news". Counted per article, per story, and as the alerts the notifier
would send: its throttle's own rules replayed in order of time with its
windows (per story; for ``alert_on: event`` per event too); mutes and snoozes
are not applied.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from watchfloor.services.console.history import (
    Retention,
    classified_retention,
    classified_streams,
    entry_time,
    time_id,
)
from watchfloor.services.notifier.matching import WatchlistMatcher
from watchfloor.services.notifier.silences import story_of
from watchfloor.services.notifier.throttle_rules import (
    DEFAULT_EVENT_WINDOW_S,
    DEFAULT_WINDOW_S,
    Judged,
    ThrottleReplay,
    judged,
)
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.schemas import Alert, ClassifiedArticle
from watchfloor.shared.streams.codec import MalformedEntry, decode

if TYPE_CHECKING:
    import redis.asyncio as aioredis

SCAN_LIMIT = 20_000
SHOWN = 50
PAGE = 1000
MAX_DAYS = 90


@dataclass
class TrialResult:
    days: int
    retention: Retention
    matched: int = 0
    stories: int = 0
    expected: int = 0  # alerts the notifier would send (its throttle replayed)
    throttled: bool = True  # False: every version is sent (alert_on, or no story window)
    shown: list[Alert] = field(default_factory=list)  # newest first
    scanned: int = 0
    reached: datetime | None = None  # the oldest article looked at
    capped: bool = False  # stopped at the scan limit before the N days


@dataclass(frozen=True)
class ThrottleWindows:
    """The notifier's (``STORY_ALERT_WINDOW_S``, ``EVENT_ALERT_WINDOW_S``):
    what the trial replays its throttle with; a story window of 0 sends every
    version."""

    story_s: int = DEFAULT_WINDOW_S
    event_s: int = DEFAULT_EVENT_WINDOW_S


def match_page(matcher: WatchlistMatcher, entries: Sequence[tuple[Any, Any]]) -> list[Alert]:
    """The alerts the entries (raw stream entries, newest first) would raise."""
    alerts: list[Alert] = []
    for _, fields in entries:
        event = decode(fields, ClassifiedArticle)
        if not isinstance(event, MalformedEntry):
            alerts += matcher.match(event)
    return alerts


def _matched(matcher: WatchlistMatcher, entries: Sequence[tuple[Any, Any]],
             by_event: bool) -> list[tuple[Alert, Judged]]:
    """Each alert, with what the throttle decides it on (``by_event``: its event groups)."""
    return [(alert, judged(alert, by_event=by_event)) for alert in match_page(matcher, entries)]


async def try_watchlist(redis: aioredis.Redis, keys: Keys, watchlist: Watchlist, *, days: int,
                        now: datetime, scan_limit: int = SCAN_LIMIT,
                        windows: ThrottleWindows | None = None) -> TrialResult:
    result = TrialResult(days=days, retention=await classified_retention(redis, keys))
    matcher = WatchlistMatcher([watchlist])
    oldest = time_id(now - timedelta(days=days))
    stories: set[str] = set()
    raised: list[Judged] = []
    for stream in classified_streams(keys):  # each partition in turn, newest first
        await _scan(redis, stream, oldest, matcher, result, stories, raised, scan_limit,
                    by_event=watchlist.alert_on == "event")
    result.stories = len(stories)
    windows = windows or ThrottleWindows()
    if watchlist.alert_on == "every_version" or not windows.story_s:
        # each alert once: an article stored twice (a replayed dead letter) is sent once
        result.expected, result.throttled = len({j.alert_id for j in raised}), False
    else:  # the throttle's own decisions, in order of time, off the event loop
        result.expected = await asyncio.to_thread(_sent, raised, windows)
    return result


def _sent(raised: list[Judged], windows: ThrottleWindows) -> int:
    replay = ThrottleReplay(windows.story_s, windows.event_s)
    seen: set[str] = set()  # an article stored twice (a replayed dead letter) alerts once
    sent = 0
    for alert in sorted(raised, key=lambda j: (j.at, j.alert_id)):
        if alert.alert_id not in seen:
            seen.add(alert.alert_id)
            sent += replay.decide(alert)[0].send
    return sent


async def _scan(redis: aioredis.Redis, stream: str, oldest: str, matcher: WatchlistMatcher,
                result: TrialResult, stories: set[str], raised: list[Judged],
                scan_limit: int, *, by_event: bool) -> None:
    top = "+"
    while result.scanned < scan_limit:
        page = await redis.xrevrange(stream, max=top, min=oldest,
                                     count=min(PAGE, scan_limit - result.scanned))
        if not page:
            return
        result.scanned += len(page)
        reached = entry_time(as_str(page[-1][0]))
        result.reached = reached if result.reached is None else max(result.reached, reached)
        # decoding and matching a page is CPU work: off the event loop
        for alert, decided_on in await asyncio.to_thread(_matched, matcher, page, by_event):
            result.matched += 1
            stories.add(story_of(alert.article))
            raised.append(decided_on)
            if len(result.shown) < SHOWN:
                result.shown.append(alert)
        top = f"({as_str(page[-1][0])}"
    more = await redis.xrevrange(stream, max=top, min=oldest, count=1)
    result.capped = result.capped or bool(more)
