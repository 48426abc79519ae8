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
