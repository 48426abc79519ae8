"""The hot path of a consumer: its new entries, read by a plain XREADGROUP loop.

At a paced rate every read brings one entry, and FastStream's per-message
machinery (middlewares, context, log context, a deep copy of the stream's
settings per read) cost more CPU than the stage's own work: about a fifth
of a classifier's or a notifier's at 100 articles/s. ``StreamReader`` does
what FastStream's batch subscriber did for the reader, with the same
outcomes:

- XREADGROUP ``>`` with COUNT (the batch size) and BLOCK (the poll interval);
- the batch is handled by ``process`` (``consumer._process``: bad entries
  to dead letters, the handler, its failures); unless the consumer
  ``acks_itself`` the whole batch is acknowledged when it returns;
- an error in the handler leaves the batch pending for the reclaimer; a
  failed read is logged and tried again after a second;
- NOGROUP, or UNBLOCKED for a read waiting when the stream went (the group
  was lost: a Redis restart without persistence, a FLUSHALL) stops the
  reader and calls ``on_lost_group`` (the worker re-creates the group and
  starts the reader again);
- ``stop`` lets a batch being handled finish (up to ``graceful_timeout_s``);
  a read in progress is cancelled;
- a batch's transaction (its writes and XACK, see ``acknowledge``) goes with
  the next read (``next_read``): one round trip per batch instead of two.
  The last batch's goes on its own when the reader stops. On a work queue
  (``trims_acknowledged``), once ``TRIM_AFTER_ENTRIES`` entries have been
  handled since the last trim, the transaction also trims the entries every
  group has acknowledged (``groups.trim_acknowledged_command``): a burst
  leaves no more than that behind, where the periodic pass (every
  ``maintenance_interval_s``) left up to that long of it; at a paced rate
  the script (~7 microseconds of Redis CPU) runs once per that many entries.
- a batch whose writes Redis refused (out of memory, read-only) gives its
  delivery back (``refusals``): it is reclaimed, but that attempt does not
  bring it closer to the dead letters.

FastStream still runs the app, the reclaimers and the lifecycle.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from watchfloor.shared.logging import get_logger
from watchfloor.shared.streams.codec import decode
from watchfloor.shared.streams.groups import trim_acknowledged_command
from watchfloor.shared.streams.next_read import (
    Command,
    TransactionOutcome,
    WritesWithNextRead,
    transaction_then,
)
from watchfloor.shared.streams.refusals import give_back_deliveries, refuses_writes
from watchfloor.shared.tasks import cancel_until_done

log = get_logger("watchfloor.streams")

RETRY_READ_S = 1.0
TRIM_AFTER_ENTRIES = 100
Entries = list[tuple[Any, dict[Any, Any], Any]]  # (entry id, fields, decoded message)


def _group_lost(message: str) -> bool:
    """NOGROUP; or UNBLOCKED: the stream (and its groups with it) was deleted
    while this read waited on it."""
    return "NOGROUP" in message or message.startswith("UNBLOCKED")


class StreamReader:
    """Reads ``stream`` through ``group`` as ``consumer_name``, a batch at a time."""

    def __init__(
        self, redis: Callable[[], Redis], *, stream: str, group: str, consumer_name: str,
        model: type[Any], batch_size: int, block_ms: int, acks_itself: bool,
        process: Callable[[Entries], Awaitable[None]], graceful_timeout_s: float,
        on_lost_group: Callable[[], None], trims_acknowledged: bool = False,
    ) -> None:
        self._redis = redis
        self._stream, self._group, self._consumer = stream, group, consumer_name
        self._model = model
        self._batch_size, self._block_ms = batch_size, block_ms
        self._acks_itself = acks_itself
        self._process = process
        self._graceful_timeout_s = graceful_timeout_s
        self._on_lost_group = on_lost_group
        self._task: asyncio.Task[None] | None = None
        self._handling = False
        self._writes = WritesWithNextRead()
        self._written_for: list[Any] = []  # the entries of the batch whose writes wait
        self._trim: Command | None = (trim_acknowledged_command(stream) if trims_acknowledged
                                      else None)
        self._handled_since_trim = 0
        self._read: Command = ("XREADGROUP", "GROUP", group, consumer_name, "COUNT", batch_size,
                               "BLOCK", block_ms, "STREAMS", stream, ">")
        self.running = False
        self.title_ = f"{group}:{stream}:read"

    @property
    def trims_acknowledged(self) -> bool:
        return self._trim is not None

    async def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self.running = True
        self._task = asyncio.create_task(self._run(), name=self.title_)

    async def stop(self) -> None:
        self.running = False
        task, self._task = self._task, None
        if task is None:
            return
        if self._handling:  # the batch in hand finishes; the loop then ends
            await asyncio.wait({task}, timeout=self._graceful_timeout_s)
        await cancel_until_done([task])  # a read in progress
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    async def _run(self) -> None:
        try:
            while self.running:
                reply = await self._next_read()
                if reply:
                    await self._handle(reply[0][1])
        finally:
            await self._send_last_writes()

    async def _next_read(self) -> Any:
        """The next batch (None when the read timed out or failed), with the
        last batch's writes when there are some."""
        writes, written_for = self._writes.take(), self._written_for
        if writes and self._trim is not None and self._handled_since_trim >= TRIM_AFTER_ENTRIES:
            writes.append(self._trim)  # after the batch's XACK
            self._handled_since_trim = 0
        try:
            if writes:
                outcome, reply = await transaction_then(self._redis(), writes, self._read)
                await self._report(outcome, len(writes), written_for)
                if isinstance(reply, ResponseError):
                    raise reply
                return reply
            return await self._redis().xreadgroup(
                self._group, self._consumer, {self._stream: ">"},
                count=self._batch_size, block=self._block_ms)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if isinstance(exc, ResponseError) and _group_lost(str(exc)):
                log.error("consumer_group_missing", stream=self._stream, group=self._group)
                self.running = False
                self._on_lost_group()
                return None
            if writes and not isinstance(exc, ResponseError):
                self._unconfirmed(writes, exc)
            # Redis unreachable or refusing: try again
            log.error("stream_read_failed", stream=self._stream, error=repr(exc))
            await asyncio.sleep(RETRY_READ_S)
            return None

    async def _send_last_writes(self) -> None:
        writes = self._writes.take()
        if not writes:
            return
        try:
            outcome, _ = await transaction_then(self._redis(), writes, ("PING",))
        except Exception as exc:
            self._unconfirmed(writes, exc)
            return
        await self._report(outcome, len(writes), self._written_for)

    def _unconfirmed(self, writes: list[Command], exc: Exception) -> None:
        """The connection failed: the writes may or may not have run, and
        entries they did not acknowledge are reclaimed."""
        log.error("batch_writes_unconfirmed", stream=self._stream, group=self._group,
                  commands=len(writes), error=repr(exc))

    async def _report(self, outcome: TransactionOutcome, commands: int,
                      entry_ids: list[Any]) -> None:
        if outcome.refused is not None:  # nothing ran: the entries are reclaimed later
            log.error("batch_writes_refused", stream=self._stream, group=self._group,
                      commands=commands, error=str(outcome.refused))
            if refuses_writes(outcome.refused):
                await self._give_back(entry_ids)
        for failure in outcome.failed:
            log.error("batch_write_failed", stream=self._stream, group=self._group,
                      error=str(failure))

    async def _handle(self, raw: list[tuple[Any, dict[Any, Any]]]) -> None:
        entries = [(entry_id, fields, decode(fields, self._model)) for entry_id, fields in raw]
        self._handled_since_trim += len(entries)
        self._written_for = [e[0] for e in entries]
        self._handling = True
        try:
            with self._writes.collecting():
                await self._process(entries)
            if not self._acks_itself:
                await self._redis().xack(self._stream, self._group, *(e[0] for e in entries))
        except Exception as exc:  # transient: the batch stays pending and is reclaimed
            log.error("batch_failed", stream=self._stream, group=self._group,
                      entries=len(entries), error=repr(exc), exc_info=True)
            if refuses_writes(exc):
                await self._give_back(self._written_for)
        finally:
            self._handling = False

    async def _give_back(self, entry_ids: list[Any]) -> None:
        # read with ">": this was each entry's first delivery
        await give_back_deliveries(self._redis(), self._stream, self._group, self._consumer,
                                   entry_ids, deliveries_before=0)
