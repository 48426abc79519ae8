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


async def group_exists(redis: Redis, stream: str, group: str) -> bool:
    """Read only, so Redis answers it while refusing writes (XGROUP CREATE
    is refused then, even for a group that exists)."""
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:  # no such stream
        return False
    return any(as_str(g["name"]) == group for g in groups)


def id_order(entry_id: str) -> tuple[int, int]:
    """A stream entry id as a key that sorts the way Redis orders ids."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


# Keep at most ARGV[1] entries of KEYS[1] (0: no bound), but never drop one a
# group still needs: below the oldest entry pending in some group, or not yet
# delivered to one. With no group nothing is trimmed (a group created later
# from 0 would miss them). One script, so that a reader can also send it in
# its batch's transaction, after the batch's XACK (``reader.TRIM_AFTER_ENTRIES``):
# a work queue then holds little that every group is done with between the
# periodic passes. Returns the entries removed.
_TRIM_ACKNOWLEDGED = """
local maxlen = tonumber(ARGV[1])
if redis.call('XLEN', KEYS[1]) <= maxlen then return 0 end
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local floor_ms, floor_seq
local function lower(ms, seq)
  if floor_ms == nil or ms < floor_ms or (ms == floor_ms and seq < floor_seq) then
    floor_ms, floor_seq = ms, seq
  end
end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return 0 end
for _, group in ipairs(groups) do
  local info = {}
  for i = 1, #group, 2 do info[group[i]] = group[i + 1] end
  if tonumber(info['pending']) > 0 then
    lower(parse(redis.call('XPENDING', KEYS[1], info['name'])[2]))
  else  -- the entry after the last one delivered
    local ms, seq = parse(info['last-delivered-id'])
    lower(ms, seq + 1)
  end
end
if maxlen > 0 then
  local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', maxlen)
  lower(parse(newest[#newest][1]))
end
return redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d-%d', floor_ms, floor_seq))
"""


def trim_acknowledged_command(stream: str, maxlen: int = 0) -> tuple[str | int, ...]:
    """The command that trims ``stream`` (see ``trim_acknowledged``), to send
    in a transaction (EVAL: Redis caches the script)."""
    return ("EVAL", _TRIM_ACKNOWLEDGED, 1, stream, maxlen)


async def trim_acknowledged(redis: Redis, stream: str, maxlen: int) -> int:
    """Keep at most ``maxlen`` entries, but never drop one a group has not acked.
    ``maxlen`` 0: keep only what some group still needs (a work queue)."""
    return int(await redis.execute_command(*trim_acknowledged_command(stream, maxlen)))


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
