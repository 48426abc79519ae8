"""Redis refusing writes is not the entry's fault: such attempts do not count.

While Redis refuses writes (out of memory under ``noeviction``, a replica
made read-only, a failing disk: MISCONF), every attempt at an entry fails
whatever the entry holds: it stays pending and is reclaimed, and each
reclaim counts as one more delivery. Past ``max_deliveries`` the entry
would go to the dead letters as soon as Redis accepts writes again, though
nothing was wrong with it. So an attempt whose writes Redis refused gives
its delivery back: XCLAIM ... RETRYCOUNT sets the entry's count to what it
was before the attempt (XCLAIM is one of the commands Redis still runs while
it refuses writes; XGROUP CREATE is not).
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import OutOfMemoryError, ReadOnlyError, RedisError, ResponseError
from watchfloor.shared.logging import get_logger

log = get_logger("watchfloor.streams")


def refuses_writes(exc: BaseException | None) -> bool:
    """Whether ``exc`` is Redis refusing writes for a while (not a bug, not
    a lost connection)."""
    if isinstance(exc, OutOfMemoryError | ReadOnlyError):
        return True
    # redis-py has no class of its own for MISCONF; in a pipeline's error the
    # reply follows the command's description; a script's write refused is a
    # plain error that quotes the refusal ("... -OOM command not allowed ...")
    if not isinstance(exc, ResponseError):
        return False
    message = str(exc)
    return "MISCONF " in message or "OOM command not allowed" in message \
        or "-READONLY " in message


async def give_back_deliveries(redis: Redis, stream: str, group: str, consumer: str,
                               entry_ids: Sequence[str], deliveries_before: int) -> None:
    """Set the delivery count of ``entry_ids`` (pending on ``consumer``) back
    to ``deliveries_before``. Entries acknowledged meanwhile are left alone.
    A failure is logged: the attempt then counts, as it would have anyway."""
    if not entry_ids:
        return
    try:
        await redis.xclaim(stream, group, consumer, 0, list(entry_ids),
                           retrycount=max(deliveries_before, 0), justid=True)
    except RedisError as exc:
        log.warning("delivery_not_given_back", stream=stream, group=group,
                    entries=len(entry_ids), error=repr(exc))
        return
    log.info("delivery_given_back", stream=stream, group=group, entries=len(entry_ids),
             reason="redis refused the writes")
