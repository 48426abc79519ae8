"""Paused targets: one that has failed every attempt for a long time waits for an operator.

A target that refuses everything for a day (``target_pause_after_s``) is
almost always gone or misconfigured; trying it on every retry schedule fills
the failed-deliveries list and the logs with the same error. Paused, its
deliveries are *held*, not attempted and not dropped, until someone resumes
it (``watchfloor targets resume``, the console, the API); then they all go
out again.

Redis, per target ("<watchlist id>/<target name>"; ``/`` cannot occur in a
watchlist id, so the split is unambiguous):

- ``targets:failing``        hash: target -> unix time of the first failed
  attempt of its current run of failures and how many failed since; a
  successful attempt deletes it.
- ``targets:paused``         hash: target -> ``TargetPause`` JSON.
- ``targets:held:<target>``  hash: delivery id -> delivery JSON, held while
  the target is paused (keyed by id: holding one twice keeps one).

A failed attempt queues ``_FAILED`` into the outcome's MULTI/EXEC: it starts
the run if none is open and pauses the target once the run is old enough, in
one step, so copies of the notifier agree. The delivery pipeline holds a
delivery whose target it knows to be paused (``PausedTargets.refresh``, a
periodic job of the notifier, every ``REFRESH_S``); a send already under way when the pause happens
finishes normally. ``resume`` is one script: the held deliveries go back to
the deliveries stream, and the pause and the failing run are cleared,
together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from watchfloor.shared.errors import InvalidInput
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_replies import as_str, parse_json_hash
from watchfloor.shared.schemas import Delivery
from watchfloor.shared.streams.codec import DATA_FIELD

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from redis.asyncio.client import Pipeline

#: How often a notifier re-reads which targets are paused.
REFRESH_S = 2.0

# KEYS: failing hash, paused hash. ARGV: target, now, pause_after_s, reason,
# min_attempts. The run is "<first failure>,<failed attempts>" (a bare
# number: one attempt). A target pauses once its run is pause_after_s old
# and holds at least min_attempts failures: two failures a day apart (a 4xx
# long ago, one 502 during a deploy now) are no day of failing every attempt.
# Returns 1 when this failure paused the target.
_FAILED = """
local now = tonumber(ARGV[2])
local first, count = ARGV[2], 1
local run = redis.call('HGET', KEYS[1], ARGV[1])
if run then
  local attempts
  first, attempts = string.match(run, '^([^,]+),?(.*)$')
  count = (tonumber(attempts) or 1) + 1
end
local since = tonumber(first) or now
-- the first failure's time kept as it was written (not rounded again)
redis.call('HSET', KEYS[1], ARGV[1], first .. ',' .. count)
if tonumber(ARGV[3]) > 0 and now - since >= tonumber(ARGV[3]) and count >= tonumber(ARGV[5])
   and redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then
  redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({
    paused_at = tonumber(ARGV[2]), failing_since = since, reason = ARGV[4]}))
  return 1
end
return 0
"""

# KEYS: paused hash, held hash, retry schedule zset, retry payloads hash,
# metrics hash. ARGV: target, delivery id, delivery JSON, now. Held only if
# the target is still paused: one resumed meanwhile (a notifier learns of it
# up to REFRESH_S later) gets it back as a retry due at once, and is counted
# as held only when it is (counted before, it went round and round).
_HOLD = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  if redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) == 1 then
    redis.call('HINCRBY', KEYS[5], 'delivery_held', 1)
  end
  return 1
end
redis.call('HSETNX', KEYS[4], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], 'NX', ARGV[4], ARGV[2])
return 0
"""

# KEYS: failing hash, paused hash, held hash, deliveries stream. ARGV: target,
# data field. Returns how many held deliveries went back to the stream.
_RESUME = """
local payloads = redis.call('HVALS', KEYS[3])
for _, payload in ipairs(payloads) do
  redis.call('XADD', KEYS[4], '*', ARGV[2], payload)
end
redis.call('DEL', KEYS[3])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
return #payloads
"""


def target_key(watchlist_id: str, target_name: str) -> str:
    return f"{watchlist_id}/{target_name}"


class TargetPause(BaseModel):
    """Why and since when a target is paused (unix seconds, as the script writes them)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    paused_at: float
    failing_since: float
    reason: str = ""


@dataclass(frozen=True)
class PausedTarget:
    """A paused target as ``status``, the console and the CLI show it."""

    watchlist_id: str
    target: str
    pause: TargetPause
    held: int  # deliveries waiting for the resume

    @property
    def paused_at(self) -> datetime:
        return datetime.fromtimestamp(self.pause.paused_at, UTC)

    @property
    def failing_since(self) -> datetime:
        return datetime.fromtimestamp(self.pause.failing_since, UTC)

    def as_dict(self) -> dict[str, object]:
        return {
            "watchlist_id": self.watchlist_id,
            "target": self.target,
            "paused_at": self.paused_at.isoformat(),
            "failing_since": self.failing_since.isoformat(),
            "last_reason": self.pause.reason,
            "held_deliveries": self.held,
        }


class PausedTargets:
    """What the delivery pipeline needs: record attempts, know who is paused, hold."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, *, pause_after_s: float,
                 min_attempts: int = 7) -> None:
        """``min_attempts``: failed attempts a run needs besides its age (one
        delivery's whole retry schedule, by default)."""
        self._redis = redis
        self._keys = keys
        self._after = pause_after_s
        self._min_attempts = min_attempts
        self._paused: frozenset[str] = frozenset()
        # Targets in a run of failures: only their successes need writing.
        self._failing: set[str] = set()

    async def refresh(self) -> None:
        """Re-read which targets are paused or failing (the notifier does,
        every ``REFRESH_S``)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hkeys(self._keys.targets_paused)
            pipe.hkeys(self._keys.targets_failing)
            paused, failing = await pipe.execute()
        self._paused = frozenset(as_str(f) for f in paused)
        self._failing = {as_str(f) for f in failing}

    def is_paused(self, watchlist_id: str, target_name: str) -> bool:
        return target_key(watchlist_id, target_name) in self._paused

    def queue_attempt(
        self, pipe: Pipeline, watchlist_id: str, target_name: str, *, ok: bool, now: float,
        reason: str,
    ) -> None:
        """The outcome of one attempt: a success ends the target's failing run;
        a failure starts one, or pauses the target once it is old enough."""
        target = target_key(watchlist_id, target_name)
        if ok:
            if target in self._failing:  # else nothing to end: no command on the busy path
                self._failing.discard(target)
                pipe.hdel(self._keys.targets_failing, target)
        else:
            self._failing.add(target)
            pipe.eval(_FAILED, 2, self._keys.targets_failing, self._keys.targets_paused,
                      target, repr(float(now)), repr(float(self._after)), reason,
                      str(self._min_attempts))

    def queue_hold(self, pipe: Pipeline, delivery: Delivery, *, now: float) -> None:
        """Held for the resume, if its target is still paused when this runs."""
        target = target_key(delivery.alert.watchlist_id, delivery.target_name or "")
        schedule = self._keys.retry_schedule_of(self._keys.partition_of(delivery.alert.article.id))
        pipe.eval(_HOLD, 5, self._keys.targets_paused, self._keys.held_deliveries(target),
                  schedule, self._keys.retry_payloads, self._keys.metrics,
                  target, delivery.id, delivery.model_dump_json(), repr(float(now)))


async def paused_targets(redis: aioredis.Redis, keys: Keys) -> list[PausedTarget]:
    """Every paused target with how many deliveries it holds, by name."""
    pauses = parse_json_hash(await redis.hgetall(keys.targets_paused), TargetPause)
    if not pauses:
        return []
    names = sorted(pauses)
    async with redis.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.hlen(keys.held_deliveries(name))
        held = await pipe.execute()
    found = []
    for name, count in zip(names, held, strict=True):
        watchlist_id, _, target = name.partition("/")
        found.append(PausedTarget(watchlist_id, target, pauses[name], int(count)))
    return found


async def resume_target(redis: aioredis.Redis, keys: Keys, watchlist_id: str, target_name: str) -> int:
    """Un-pause a target: its held deliveries go out again. How many; raises
    ``InvalidInput`` when the target is not paused."""
    target = target_key(watchlist_id, target_name)
    if not await redis.hexists(keys.targets_paused, target):
        paused = ", ".join(p.watchlist_id + " " + p.target for p in await paused_targets(redis, keys))
        raise InvalidInput(
            f"target {target_name!r} of watchlist {watchlist_id!r} is not paused"
            + (f" (paused: {paused})" if paused else " (no target is paused)")
        )
    # Held deliveries go back onto partition 0's stream: the delivery state
    # is one for all partitions, so whichever partition's reader sends them.
    moved = await redis.eval(
        _RESUME, 4, keys.targets_failing, keys.targets_paused, keys.held_deliveries(target),
        keys.deliveries, target, DATA_FIELD,
    )
    return int(moved)
