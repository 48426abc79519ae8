"""The partition count the pipeline's streams were made for, kept in Redis.

Stream names depend on ``WATCHFLOOR_PARTITIONS`` (``shared/keys.py``): a
worker started with another count reads other streams, and the work queued
in the old ones would never be handled (accepted articles lost, and resending
them answers "duplicate"). So the count is recorded the first time a worker
starts, and a worker started with another one refuses to run while the
streams of the recorded count still hold work; once they are drained, the
new count is recorded and used.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from redis.exceptions import RedisError
from watchfloor.shared import pipeline
from watchfloor.shared.errors import ConfigError
from watchfloor.shared.keys import Keys, short_name
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.streams.refusals import refuses_writes
from watchfloor.shared.streams.status import group_lag


class PartitionsChanged(ConfigError):
    """WATCHFLOOR_PARTITIONS differs from the one the queued work was made for."""


def layout_key(keys: Keys) -> str:
    """Named without the partitions' hash tags: the same for every count."""
    return f"{keys.prefix}:partitions"


async def recorded_partitions(redis: Any, keys: Keys) -> int | None:
    value = await redis.get(layout_key(keys))
    try:
        return int(as_str(value)) if value is not None else None
    except ValueError:
        return None


async def work_left(redis: Any, keys: Keys) -> dict[str, int]:
    """Work not yet done in ``keys``' layout, per key holding some: stream
    entries never delivered to a group or not acknowledged, and deliveries
    scheduled for a retry."""
    left: dict[str, int] = {}
    for stream, group in pipeline.consumed(keys):
        if not await redis.exists(stream):
            continue
        groups = {as_str(g["name"]): g for g in await redis.xinfo_groups(stream)}
        info = groups.get(group)
        if info is None:  # never read: all of it is waiting
            count = int(await redis.xlen(stream))
        else:
            if info.get("lag") is None:  # unknown after a trim: what the stream holds is the bound
                lag = await redis.xlen(stream)
            else:
                lag = await group_lag(redis, stream, info)
            count = int(lag or 0) + int(info.get("pending") or 0)
        if count:
            left[stream] = left.get(stream, 0) + count
    for schedule in keys.retry_schedules():  # deliveries waiting for their next attempt
        if count := int(await redis.zcard(schedule)):
            left[schedule] = count
    return left


async def partitions_state(redis: Any, keys: Keys) -> dict[str, Any]:
    """The configured count, the one the streams were made for, and, when
    they differ, the work the streams of the recorded one still hold (the
    workers refuse to start until it is drained)."""
    recorded = await recorded_partitions(redis, keys)
    state: dict[str, Any] = {"configured": keys.partitions, "recorded": recorded}
    if recorded is not None and recorded != keys.partitions:
        left = await work_left(redis, dataclasses.replace(keys, partitions=recorded))
        state["work_left_in_recorded"] = {short_name(s, keys.prefix): n for s, n in left.items()}
    return state


# Set the count only if it is still the one read (a worker starting at the
# same time with another count may have set its own): "" for none recorded.
_SWAP = """
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
"""


async def settle_partitions(redis: Any, keys: Keys) -> None:
    """Record ``keys.partitions``, or raise ``PartitionsChanged`` when another
    count was recorded and its streams still hold work. With none recorded
    (the first start of this version), the one-partition streams (the
    default's) are checked the same way. While Redis refuses writes the
    check still runs and the count is recorded at a later start."""
    for _ in range(3):
        recorded = await recorded_partitions(redis, keys)
        if recorded == keys.partitions:
            return
        before = recorded if recorded is not None else 1
        if before != keys.partitions:
            left = await work_left(redis, dataclasses.replace(keys, partitions=before))
            if left:
                shown = ", ".join(f"{short_name(s, keys.prefix)} ({n})" for s, n in left.items())
                raise PartitionsChanged(
                    f"WATCHFLOOR_PARTITIONS is {keys.partitions}, but the pipeline's streams "
                    f"were made for {before} and still hold work not yet handled: {shown}. "
                    f"Run the workers with WATCHFLOOR_PARTITIONS={before} until `watchfloor "
                    "status` shows them drained, then change it (stream names depend on it)")
        try:
            swapped = await redis.eval(_SWAP, 1, layout_key(keys),
                                       "" if recorded is None else str(recorded),
                                       str(keys.partitions))
        except RedisError as exc:
            if refuses_writes(exc):
                return  # out of memory, read-only: the worker waits for writes next
            raise
        if swapped:
            return
    raise PartitionsChanged(  # pragma: no cover - three concurrent changes in a row
        "WATCHFLOOR_PARTITIONS: workers with different counts are starting at once; "
        "start them with one count")
