"""Consumer groups: create from the beginning, trim safely, forget dead consumers."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from watchfloor.shared.redis_replies import as_str


async def ensure_group(redis: Redis, stream: str, group: str) -> bool:
    """Create ``group`` on ``stream`` at id 0 (the backlog counts). True if created."""
    try:
        await redis.xgroup_create(name=stream, groupname=group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" in str(exc):
            return False
        raise
    return True


def id_order(entry_id: str) -> tuple[int, int]:
    """A stream entry id as a key that sorts the way Redis orders ids."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _next_id(entry_id: str) -> str:
    ms, seq = id_order(entry_id)
    return f"{ms}-{seq + 1}"


async def acknowledged_floor(redis: Redis, stream: str) -> str | None:
    """The lowest id some group still needs; entries below it are acked by all.

    None when the stream has no group (then nothing may be trimmed: a group
    created later from 0 would miss them).
    """
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:
        return None
    if not groups:
        return None
    floor: tuple[int, int] | None = None
    for group in groups:
        name = as_str(group["name"])
        candidate = _next_id(as_str(group["last-delivered-id"]))
        if int(group.get("pending", 0)):
            summary = await redis.xpending(stream, name)
            if summary and summary.get("min"):
                candidate = as_str(summary["min"])
        as_tuple = id_order(candidate)
        if floor is None or as_tuple < floor:
            floor = as_tuple
    assert floor is not None
    return f"{floor[0]}-{floor[1]}"


# ``acknowledged_floor`` and the XTRIM of a work queue as one script, so that a
# reader can send it in its batch's transaction, after the batch's XACK
# (``reader.TRIM_AFTER_ENTRIES``): the queue then holds little that every
# group is done with, where the periodic pass (every ``maintenance_interval_s``)
# left up to that long of a burst behind. KEYS[1]: the stream. Returns the
# entries removed.
_TRIM_ACKNOWLEDGED = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return 0 end
local floor_ms, floor_seq
for _, group in ipairs(groups) do
  local info = {}
  for i = 1, #group, 2 do info[group[i]] = group[i + 1] end
  local ms, seq
  if tonumber(info['pending']) > 0 then
    ms, seq = string.match(redis.call('XPENDING', KEYS[1], info['name'])[2], '^(%d+)-(%d+)$')
    seq = tonumber(seq)
  else
    ms, seq = string.match(info['last-delivered-id'], '^(%d+)-(%d+)$')
    seq = tonumber(seq) + 1
  end
  if floor_ms == nil or tonumber(ms) < tonumber(floor_ms)
      or (tonumber(ms) == tonumber(floor_ms) and seq < floor_seq) then
    floor_ms, floor_seq = ms, seq
  end
end
return redis.call('XTRIM', KEYS[1], 'MINID', floor_ms .. '-' .. string.format('%d', floor_seq))
"""


def trim_acknowledged_command(stream: str) -> tuple[str | int, ...]:
    """The command that trims ``stream`` (a work queue) to what some group
    still needs, to send in a transaction (EVAL: Redis caches the script)."""
    return ("EVAL", _TRIM_ACKNOWLEDGED, 1, stream)


async def trim_acknowledged(redis: Redis, stream: str, maxlen: int) -> int:
    """Keep at most ``maxlen`` entries, but never drop one a group has not acked.
    ``maxlen`` 0: keep only what some group still needs (a work queue)."""
    length = await redis.xlen(stream)
    if length <= maxlen:
        return 0
    floor = await acknowledged_floor(redis, stream)
    if floor is None:
        return 0
    min_id = floor
    if maxlen:
        newest = await redis.xrevrange(stream, count=maxlen)
        min_id = min(floor, as_str(newest[-1][0]), key=id_order)
    return int(await redis.xtrim(stream, minid=min_id, approximate=False))


async def forget_dead_consumers(
    redis: Redis, stream: str, group: str, *, idle_ms: int, keep: str
) -> list[str]:
    """Delete consumers idle for ``idle_ms`` that hold nothing (XINFO grows forever)."""
    removed: list[str] = []
    try:
        consumers = await redis.xinfo_consumers(stream, group)
    except ResponseError:
        return removed
    for consumer in consumers:
        name = as_str(consumer["name"])
        if name == keep or int(consumer.get("pending", 0)) or int(consumer.get("idle", 0)) < idle_ms:
            continue
        await redis.xgroup_delconsumer(stream, group, name)
        removed.append(name)
    return removed
