"""One alert per story per watchlist: later versions pass only with news.

Ingest gives every article a ``story_id`` (the first article of its story;
None means the article is its own story). Here, between matching and fan-out,
an alert is dropped when its watchlist already alerted on the same story
within the window, unless it carries a tag or a kind of figure none of those
alerts had: the second outlet's copy of "missile launched" is noise, the
version that adds "troops deployed" is news, and so is the one that first
gives their number ("30,000 troops": a kind of figure that counts the
event, not seen before).

Every decision is recorded per alert id, in one Redis hash per (watchlist,
story): a notifier batch that is redelivered after a crash finds its own
decisions and repeats them, so an alert that passed is never dropped on the
retry (delivery ids are stable, so resending is safe). Within one notifier
process the decisions are taken one batch at a time (the readers of several
partitions would otherwise both read an empty history). Two notifier copies
deciding on two versions of one story at the same instant may both send:
the cost is an extra alert, never a lost one.

The window runs from the story's first alert for that watchlist: a story
still running after it alerts again, once.

With ``alert_on: event`` a watchlist's alert is also judged against its
event groups (``event_groups.py``: per tag, the alerts about the same actors
within ``event_window_s``), so another outlet's wording of the same event is
held back too; its decision is recorded in each history. The rules are in
``throttle_rules.py``.

A dropped alert is never silent: it is logged, counted (``alerts_throttled``)
and recorded as a ``ThrottledAlert`` (which alert, watchlist, story, article,
why, and the alerts it repeats) in a bounded stream, recorded once even when
its batch is redelivered; ``throttled_alerts`` reads them back, for a story's
thread or a watchlist. A watchlist with ``alert_on: every_version`` is never
throttled (its alerts are still recorded in the story's history).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis
from watchfloor.services.notifier.throttle_rules import (
    DEFAULT_EVENT_WINDOW_S,
    DEFAULT_WINDOW_S,
    Decision,
    Judged,
    decide,
    held_by_events,
    judged,
    sent_before,
    story_of,
)
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.schemas import Alert
from watchfloor.shared.streams.codec import DATA_FIELD, decode

THROTTLED_MAXLEN = 50_000  # records of throttled alerts kept (about 500 bytes each)


class ThrottledAlert(BaseModel):
    """An alert the throttle held back: shown in its story's thread, never lost."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    schema_version: Literal[1] = 1
    alert_id: str
    watchlist_id: str
    story_id: str
    article_id: str
    title: str
    url: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    tags: list[str]
    reason: str
    repeat_of: list[str]  # the alerts already sent for this story (or event) and watchlist
    throttled_at: datetime  # when the alert was raised
    event_group: str | None = None  # alert_on: event: the groups (tag:actors) it repeats


_STORY_REPEAT = ("a version of a story this watchlist was already alerted on, "
                 "with no tag or kind of figure those alerts lacked")
_EVENT_REPEAT = ("another report of an event this watchlist was already alerted on "
                 "(the same actors within the event window), with no tag or kind of figure "
                 "those alerts lacked")


def throttled_record(alert: Alert, history: Mapping[str, Decision], *,
                     event: str | None = None,
                     groups: list[Mapping[str, Decision]] | None = None) -> ThrottledAlert:
    """Pure: the record of ``alert`` held back, given its story's history, or
    (``event`` naming them) the histories of the event groups that held it."""
    sent = sent_before(alert.id, [history] if groups is None else groups)
    article = alert.article
    return ThrottledAlert(
        alert_id=alert.id, watchlist_id=alert.watchlist_id, story_id=story_of(alert),
        article_id=article.id, title=article.title, url=article.url, source=article.source,
        published_at=article.published_at, tags=sorted({t.tag for t in alert.tags}),
        reason=_EVENT_REPEAT if event is not None else _STORY_REPEAT,
        repeat_of=sent, throttled_at=alert.created_at, event_group=event,
    )


def story_alerts_key(keys: Keys, watchlist_id: str, story_id: str) -> str:
    return keys.story_alerts(watchlist_id, story_id)


# One round trip records a batch's decisions. HSETNX: a decision taken
# meanwhile by another copy stands, and only the copy whose decision is
# recorded writes the throttled record (a redelivered batch adds none). The
# window runs from a story's (or event group's) first alert, so only a
# history without an expiry gets one (EXPIRE NX would do this, but needs
# Redis 7; the embedded one is 6.2) — decided here: a key that expired
# between our read and this write must not be left without a TTL.
# KEYS: one history per decision, then the throttled stream.
# ARGV: stream maxlen, the stream's data field, then per decision: its
# history's window in seconds, alert id, decision, throttled record JSON
# ("" when sent, and for the second history of an alert_on: event alert).
_RECORD = """
local stream = KEYS[#KEYS]
for i = 1, #KEYS - 1 do
  local at = 3 + (i - 1) * 4
  local set = redis.call('HSETNX', KEYS[i], ARGV[at + 1], ARGV[at + 2])
  if set == 1 and ARGV[at + 3] ~= '' then
    redis.call('XADD', stream, 'MAXLEN', '~', ARGV[1], '*', ARGV[2], ARGV[at + 3])
  end
  if redis.call('TTL', KEYS[i]) == -1 then
    redis.call('EXPIRE', KEYS[i], ARGV[at])
  end
end
return 0
"""


@dataclass(frozen=True)
class Throttled:
    """What ``StoryThrottle.filter`` did with a batch."""

    sent: list[Alert]  # to fan out, in order
    held: list[ThrottledAlert]  # held back, in order (redelivered ones too)


class StoryThrottle:
    """``await throttle.filter(alerts)``: the alerts to fan out, and those held back."""

    def __init__(self, redis: Redis, keys: Keys, window_s: int = DEFAULT_WINDOW_S,
                 *, event_window_s: int = DEFAULT_EVENT_WINDOW_S,
                 max_records: int = THROTTLED_MAXLEN) -> None:
        self._redis = redis
        self._keys = keys
        self._window_s = window_s
        self._event_window_s = event_window_s
        self._max_records = max_records
        self._record_script = redis.register_script(_RECORD)
        self._deciding = asyncio.Lock()  # read, decide, record: one batch at a time

    async def filter(self, alerts: list[Alert], *, every_version: Collection[str] = (),
                     by_event: Collection[str] = ()) -> Throttled:
        """Two round trips per batch: read the histories, record the decisions.
        ``every_version``: ids of the watchlists that want every version;
        ``by_event``: those that want one alert per event (``alert_on: event``)."""
        if not alerts:
            return Throttled([], [])
        async with self._deciding:
            return await self._filter(alerts, every_version, by_event)

    def _keys_of(self, alert: Judged) -> tuple[str, list[str]]:
        """The Redis keys of the alert's story history and of its event groups'."""
        return (story_alerts_key(self._keys, alert.watchlist_id, alert.story),
                [self._keys.event_alerts(alert.watchlist_id, group) for group, _ in alert.groups])

    async def _filter(self, alerts: list[Alert], every_version: Collection[str],
                      by_event: Collection[str]) -> Throttled:
        inputs = [judged(a, by_event=a.watchlist_id in by_event) for a in alerts]
        keys_of = [self._keys_of(j) for j in inputs]
        histories = await self._read(sorted({k for story, groups in keys_of
                                             for k in (story, *groups)}))
        result = Throttled([], [])
        recorded: list[tuple[str, int, str, Decision, str]] = []
        for alert, j, (story_key, group_keys) in zip(alerts, inputs, keys_of, strict=True):
            story = histories[story_key]
            groups = [(items, histories[key])
                      for (_, items), key in zip(j.groups, group_keys, strict=True)]
            decision = decide(j.alert_id, j.items, story, groups=groups,
                              every_version=alert.watchlist_id in every_version)
            held = None if decision.send else self._held(alert, j, story, groups)
            targets = [(story_key, self._window_s)] + [(k, self._event_window_s)
                                                        for k in group_keys]
            if all(alert.id not in histories[key] for key, _ in targets):
                for i, (key, window_s) in enumerate(targets):
                    record = held.model_dump_json() if held is not None and i == 0 else ""
                    recorded.append((key, window_s, alert.id, decision, record))
                    # Alerts later in this batch see this one.
                    histories[key][alert.id] = decision
            if held is None:
                result.sent.append(alert)
            else:
                result.held.append(held)
        await self._record(recorded)
        return result

    @staticmethod
    def _held(alert: Alert, j: Judged, story: Mapping[str, Decision],
              groups: list[tuple[frozenset[str], Mapping[str, Decision]]]) -> ThrottledAlert:
        """The record of a held alert: held by its story's rule, else by its groups'."""
        if not held_by_events(alert.id, j.items, story, groups):
            return throttled_record(alert, story)
        return throttled_record(alert, story, event=" ".join(group for group, _ in j.groups),
                                groups=[h for _, h in groups])

    async def _read(self, history_keys: list[str]) -> dict[str, dict[str, Decision]]:
        pipe = self._redis.pipeline(transaction=False)
        for key in history_keys:
            pipe.hgetall(key)
        replies = await pipe.execute()
        return {
            key: {as_str(k): Decision.decode(as_str(v)) for k, v in reply.items()}
            for key, reply in zip(history_keys, replies, strict=True)
        }

    async def _record(self, recorded: list[tuple[str, int, str, Decision, str]]) -> None:
        if not recorded:
            return
        args: list[Any] = [self._max_records, DATA_FIELD]
        for _, window_s, alert_id, decision, record in recorded:
            args += [window_s, alert_id, decision.encode(), record]
        await self._record_script(
            keys=[key for key, *_ in recorded] + [self._keys.throttled_alerts], args=args)


async def throttled_alerts(
    redis: Redis, keys: Keys, *, story_id: str | None = None, watchlist_id: str | None = None,
    repeating: Collection[str] = (), limit: int = 100,
) -> list[ThrottledAlert]:
    """The alerts the story throttle held back, newest first: all of them, or
    those of one story (as ``Alert.article.story_id or Alert.article.id``)
    or repeating one of the alerts ``repeating`` names (another outlet's
    report of their event), and/or of one watchlist; at most ``limit``. Reads
    the bounded record stream (the newest ``THROTTLED_MAXLEN``) page by page;
    unreadable entries are skipped."""
    repeating = frozenset(repeating)

    def wanted(record: ThrottledAlert) -> bool:
        if watchlist_id not in (None, record.watchlist_id):
            return False
        if story_id is None and not repeating:
            return True
        return record.story_id == story_id or not repeating.isdisjoint(record.repeat_of)

    found: list[ThrottledAlert] = []
    last = "+"
    while len(found) < limit:
        page = await redis.xrevrange(keys.throttled_alerts, max=last, count=500)
        if not page:
            break
        for _, fields in page:
            record = decode(fields, ThrottledAlert)
            if isinstance(record, ThrottledAlert) and wanted(record):
                found.append(record)
                if len(found) == limit:
                    break
        last = f"({as_str(page[-1][0])}"
    return found
