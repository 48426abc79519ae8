"""Try before saving: what would this watchlist have alerted on over the last N days?

The watchlist is matched (the notifier's own ``WatchlistMatcher``) against
the classified articles still kept in the classified stream, newest first, at
most ``scan_limit`` of them; the result says how far back that reached and
how far back the stream goes, so an empty answer is never mistaken for "no
such news". Counted per article, per story (the notifier alerts once per
story) and, for ``alert_on: event``, by the throttle's own decisions taken in
order of time; mutes and snoozes are not applied.
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
from watchfloor.services.notifier.story_throttle import ThrottleReplay
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
    events: int = 0  # alerts alert_on: event would send
    shown: list[Alert] = field(default_factory=list)  # newest first
    scanned: int = 0
    reached: datetime | None = None  # the oldest article looked at
    capped: bool = False  # stopped at the scan limit before the N days


def match_page(matcher: WatchlistMatcher, entries: Sequence[tuple[Any, Any]]) -> list[Alert]:
    """The alerts the entries (raw stream entries, newest first) would raise."""
    alerts: list[Alert] = []
    for _, fields in entries:
        event = decode(fields, ClassifiedArticle)
        if not isinstance(event, MalformedEntry):
            alerts += matcher.match(event)
    return alerts


async def try_watchlist(redis: aioredis.Redis, keys: Keys, watchlist: Watchlist, *, days: int,
                        now: datetime, scan_limit: int = SCAN_LIMIT) -> TrialResult:
    result = TrialResult(days=days, retention=await classified_retention(redis, keys))
    matcher = WatchlistMatcher([watchlist])
    oldest = time_id(now - timedelta(days=days))
    stories: set[str] = set()
    raised: list[Alert] = []
    for stream in classified_streams(keys):  # each partition in turn, newest first
        await _scan(redis, stream, oldest, matcher, result, stories, raised, scan_limit)
    return _finish(result, stories, raised)


async def _scan(redis: aioredis.Redis, stream: str, oldest: str, matcher: WatchlistMatcher,
                result: TrialResult, stories: set[str], raised: list[Alert],
                scan_limit: int) -> None:
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
        for alert in await asyncio.to_thread(match_page, matcher, page):
            result.matched += 1
            stories.add(story_of(alert.article))
            # what the throttle reads, without the article's text
            raised.append(alert.model_copy(
                update={"article": alert.article.model_copy(update={"text": ""})}))
            if len(result.shown) < SHOWN:
                result.shown.append(alert)
        top = f"({as_str(page[-1][0])}"
    more = await redis.xrevrange(stream, max=top, min=oldest, count=1)
    result.capped = result.capped or bool(more)


def _finish(result: TrialResult, stories: set[str], raised: list[Alert]) -> TrialResult:
    result.stories = len(stories)
    replay = ThrottleReplay()
    result.events = sum(replay.decide(alert, by_event=True)[0].send
                        for alert in sorted(raised, key=lambda a: (a.created_at, a.id)))
    return result
