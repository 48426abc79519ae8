"""A batch's writes and its acknowledgement, in one round trip where that is safe.

A consumer that ``acks_itself`` queues the writes that record a batch's work
on the pipeline ``recorded_then_acked`` yields; on leaving, the writes go and
the batch's entries are acknowledged. On a single Redis without replication
both go in one MULTI/EXEC: one round trip instead of two (at a paced rate
every batch holds one entry, and a round trip costs more CPU than the work).
A transaction Redis refuses (out of memory, read-only, a failing disk, an
unknown command) acknowledges nothing. A write that fails only when it runs
(a key of the wrong type, a script error) raises but no longer holds the
acknowledgement back, as it did when the XACK came after the reply.
Run by a stream reader's handler, the transaction goes with the reader's
next read instead (``next_read``): it still runs as it arrives, and what
Redis answers to it is logged when the read's reply comes.
When writes must be confirmed by replicas first (``replicated``), or on a
cluster (the entries and the writes are in other slots), the entries are
acknowledged after the writes are confirmed, in a command of their own.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

from watchfloor.shared.replication import Replication, replicated
from watchfloor.shared.streams.next_read import WritesWithNextRead


@contextlib.asynccontextmanager
async def recorded_then_acked(
    redis: Any, source: tuple[str, str], entry_ids: Sequence[str], *,
    probe: str, replication: Replication, cluster: bool,
) -> AsyncIterator[Any]:
    """Yields a pipeline for the batch's writes; ``source`` is (stream, group)
    of the entries ``entry_ids``. Nothing is acknowledged if the block raises."""
    stream, group = source
    together = replication.replicas <= 0 and not cluster
    async with replicated(redis, probe, replication), \
            redis.pipeline(transaction=together) as pipe:
        yield pipe
        if together and entry_ids:
            pipe.xack(stream, group, *entry_ids)
        if len(pipe):
            queue = WritesWithNextRead.current() if together else None
            if queue is not None:  # the reader sends them with its next read
                queue.add([args for args, _options in pipe.command_stack])
            else:
                await pipe.execute()
    if not together and entry_ids:
        await redis.xack(stream, group, *entry_ids)
