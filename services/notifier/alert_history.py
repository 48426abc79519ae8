"""The alert history: one entry per alert id, however often a batch is seen.

A batch of the classified stream is processed again after a crash, a
reclaim or a ``replay``, and raises the same alerts again (their ids are
stable). The history is the match stage's history stream (what ``watchfloor
alerts`` and the console read); beside it a sorted set of the alert ids it
holds (``Keys.alert_ids``, scored by when each was recorded) guards it:
one Lua script adds an alert to the stream only if its id is not in the set,
then adds the id, and counts only the alerts it added. Redis runs the script
as one command, so two notifier copies processing the same batch at once
still add each alert once; the stream is written before the id, so an error
part way can leave an alert to be added on the retry, never marked but
missing.

Both are bounded: the stream to ``maxlen`` entries (approximately, as
before), the set to a tenth more than that, so it still knows every id the
stream may hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_client import queue_script
from watchfloor.shared.schemas import Alert
from watchfloor.shared.streams.codec import DATA_FIELD, encode

if TYPE_CHECKING:
    import redis.asyncio as aioredis

# KEYS: history stream, recorded alert ids (sorted set), metrics hash
# ARGV: stream maxlen, id set bound, score (now), stream field, then
#       alert id and alert JSON for each alert
# Returns the number of alerts added (also added to the "alerts" counter).
_RECORD = """
local added = 0
for i = 5, #ARGV, 2 do
  if not redis.call('ZSCORE', KEYS[2], ARGV[i]) then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', ARGV[4], ARGV[i + 1])
    redis.call('ZADD', KEYS[2], ARGV[3], ARGV[i])
    added = added + 1
  end
end
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[2])
if excess > 0 then
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1)
end
redis.call('HINCRBY', KEYS[3], 'alerts', added)
return added
"""


class AlertHistory:
    """``history.record(alerts, now, client=pipeline)`` adds the alerts not
    recorded yet to ``stream`` and counts them."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, stream: str, *, maxlen: int) -> None:
        self._keys = keys
        self._stream = stream
        self._maxlen = maxlen
        self._id_bound = maxlen + maxlen // 10
        self._script = redis.register_script(_RECORD)

    async def record(
        self, alerts: Sequence[Alert], now: float, *, client: Any = None
    ) -> Any:
        """The number of alerts added; inside a pipeline (``client``), its
        place in the pipeline's results."""
        args: list[Any] = [self._maxlen, self._id_bound, now, DATA_FIELD]
        for alert in alerts:
            args += [alert.id, encode(alert)[DATA_FIELD]]
        keys = [self._stream, self._keys.alert_ids, self._keys.metrics]
        if client is None:
            return await self._script(keys=keys, args=args)
        queue_script(client, self._script, keys=keys, args=args)
        return client
