"""One alert per story per watchlist: later versions pass only with news.

Ingest gives every article a ``story_id`` (the first article of its story;
None means the article is its own story). Here, between matching and fan-out,
an alert is dropped when its watchlist already alerted on the same story
within the window, unless it carries a tag none of those alerts had: the
second outlet's copy of "missile launched" is noise, the version that adds
"troops deployed" is news.

Every decision is recorded per alert id, in one Redis hash per (watchlist,
story): a notifier batch that is redelivered after a crash finds its own
decisions and repeats them, so an alert that passed is never dropped on the
retry (delivery ids are stable, so resending is safe). Two notifier copies
deciding on two versions of one story at the same instant may both send:
the cost is an extra alert, never a lost one.

The window runs from the story's first alert for that watchlist: a story
still running after it alerts again, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from redis.asyncio import Redis
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.schemas import Alert

DEFAULT_WINDOW_S = 24 * 3600


@dataclass(frozen=True)
class Decision:
    send: bool
    tags: frozenset[str]  # the alert's tags, kept so later versions compare to them

    def encode(self) -> str:
        return ("send:" if self.send else "drop:") + ",".join(sorted(self.tags))

    @classmethod
    def decode(cls, value: str) -> Decision:
        verdict, _, tags = value.partition(":")
        return cls(verdict == "send", frozenset(tags.split(",")) - {""})


def decide(alert_id: str, tags: frozenset[str], history: Mapping[str, Decision]) -> Decision:
    """Pure: what to do with one alert, given the decisions already taken for
    its (watchlist, story), keyed by alert id."""
    earlier = history.get(alert_id)
    if earlier is not None:
        return earlier  # a redelivered alert: same answer as the first time
    already_sent = frozenset().union(*(d.tags for d in history.values() if d.send))
    is_first = not any(d.send for d in history.values())
    return Decision(send=is_first or not tags <= already_sent, tags=tags)


def story_of(alert: Alert) -> str:
    return alert.article.story_id or alert.article.id


def story_alerts_key(keys: Keys, watchlist_id: str, story_id: str) -> str:
    return keys.story_alerts(watchlist_id, story_id)


_EXPIRE_IF_UNSET = """
for _, key in ipairs(KEYS) do
  if redis.call('TTL', key) == -1 then
    redis.call('EXPIRE', key, ARGV[1])
  end
end
return 0
"""


class StoryThrottle:
    """``await throttle.filter(alerts)``: the alerts to fan out, in order."""

    def __init__(self, redis: Redis, keys: Keys, window_s: int = DEFAULT_WINDOW_S) -> None:
        self._redis = redis
        self._keys = keys
        self._window_s = window_s
        self._expire_if_unset = redis.register_script(_EXPIRE_IF_UNSET)

    async def filter(self, alerts: list[Alert]) -> list[Alert]:
        """Two round trips per batch: read the histories, record the decisions."""
        if not alerts:
            return []
        history_keys = sorted(
            {story_alerts_key(self._keys, a.watchlist_id, story_of(a)) for a in alerts}
        )
        histories = await self._read(history_keys)

        kept: list[Alert] = []
        recorded: list[tuple[str, str, Decision]] = []
        # The window runs from the story's first alert: only a new history
        # gets an expiry (EXPIRE NX needs Redis 7; the embedded one is 6.2).
        new_histories = {key for key, history in histories.items() if not history}
        for alert in alerts:
            key = story_alerts_key(self._keys, alert.watchlist_id, story_of(alert))
            history = histories[key]
            decision = decide(alert.id, frozenset(t.tag for t in alert.tags), history)
            if alert.id not in history:
                recorded.append((key, alert.id, decision))
                # Alerts later in this batch see this one.
                history[alert.id] = decision
            if decision.send:
                kept.append(alert)
        await self._record(recorded, new_histories)
        return kept

    async def _read(self, history_keys: list[str]) -> dict[str, dict[str, Decision]]:
        pipe = self._redis.pipeline(transaction=False)
        for key in history_keys:
            pipe.hgetall(key)
        replies = await pipe.execute()
        return {
            key: {as_str(k): Decision.decode(as_str(v)) for k, v in reply.items()}
            for key, reply in zip(history_keys, replies, strict=True)
        }

    async def _record(
        self, recorded: list[tuple[str, str, Decision]], new_histories: set[str]
    ) -> None:
        if not recorded:
            return
        pipe = self._redis.pipeline(transaction=False)
        for key, alert_id, decision in recorded:
            # NX on the field: a decision taken meanwhile by another copy stands.
            pipe.hsetnx(key, alert_id, decision.encode())
        await pipe.execute()
        # The window runs from a story's first alert, so only a history without
        # an expiry gets one — decided in Redis: a key that expired between our
        # read and the write above must not be left without a TTL (EXPIRE NX
        # would do this, but needs Redis 7).
        touched = sorted({key for key, _, _ in recorded} | new_histories)
        await self._expire_if_unset(keys=touched, args=[self._window_s])
