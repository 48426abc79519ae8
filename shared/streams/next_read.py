"""A batch's writes sent with the reader's next XREADGROUP: one round trip
where there were two.

At a paced rate every batch holds one entry, and each round trip wakes the
worker and Redis once more: on a virtual machine a wake-up costs more CPU
than the stage's own work. So, on a single Redis without replication (where
``recorded_then_acked`` sends a batch's writes and its XACK in one
MULTI/EXEC), the reader does not wait for that transaction's reply before
its next read: it sends MULTI, the writes, EXEC and the XREADGROUP together
and reads the replies in order. Redis runs the transaction as soon as it
arrives, so the writes are not later for it; only their confirmation is.

The outcomes are those of the transaction sent alone:

- refused when queued (out of memory, an unknown command): nothing is
  written or acknowledged, and the entries are reclaimed later;
- a write failing when it runs (a key of the wrong type): logged, the rest
  applied, the entries acknowledged;
- a connection lost: the writes may or may not have run; the entries are
  acknowledged only if they did, and reclaimed otherwise.

An outcome other than success is logged when the read's reply arrives.
Handlers are unchanged: ``recorded_then_acked`` hands its transaction to the
``WritesWithNextRead`` of the reader running the handler, when there is one
(the reclaimer's handler calls, one entry at a time, send theirs at once).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

Command = tuple[Any, ...]

_CURRENT: contextvars.ContextVar[WritesWithNextRead | None] = contextvars.ContextVar(
    "watchfloor_writes_with_next_read", default=None)


class WritesWithNextRead:
    """The transactions queued by the handler of the batch in hand, for the
    reader to send with its next read (``take``)."""

    def __init__(self) -> None:
        self._commands: list[Command] = []
        self._open = False

    @staticmethod
    def current() -> WritesWithNextRead | None:
        """The queue of the reader running this handler, else None. A task
        the handler started, still running after it returned, finds it
        closed: its writes go at once, not after the reader's next wait."""
        queue = _CURRENT.get()
        return queue if queue is not None and queue._open else None

    @contextlib.contextmanager
    def collecting(self) -> Iterator[None]:
        """While the reader runs a handler: its transactions come here."""
        token = _CURRENT.set(self)
        self._open = True
        try:
            yield
        finally:
            self._open = False
            _CURRENT.reset(token)

    def add(self, commands: Sequence[Command]) -> None:
        """One transaction's commands. A handler that records more than one
        has them sent in one MULTI/EXEC (a refusal then holds back all)."""
        self._commands.extend(commands)

    def take(self) -> list[Command]:
        commands, self._commands = self._commands, []
        return commands


@dataclass(frozen=True)
class TransactionOutcome:
    """What became of a transaction whose reply came with a read."""

    refused: ResponseError | None = None  # nothing ran (nor was acknowledged)
    failed: tuple[ResponseError, ...] = ()  # commands that failed when they ran


async def transaction_then(redis: Redis, commands: Sequence[Command],
                           then: Command) -> tuple[TransactionOutcome, Any]:
    """Send MULTI, ``commands``, EXEC and ``then`` in one round trip; return
    the transaction's outcome and ``then``'s reply, parsed as redis-py would.

    An error reply to ``then`` (NOGROUP, say) is returned as its reply, a
    ResponseError. A lost connection raises: the transaction's outcome is
    then unknown. A cancelled wait (a blocking ``then``) closes the
    connection, so no reply is left on it for the next user.
    """
    pool = redis.connection_pool
    connection = await pool.get_connection()
    try:
        await connection.send_packed_command(
            connection.pack_commands([("MULTI",), *commands, ("EXEC",), then]))
        outcome = await _read_transaction(connection, len(commands))
        try:
            reply = await connection.read_response()
        except ResponseError as exc:  # an answer: the connection is in step
            return outcome, exc
    except BaseException:
        await connection.disconnect()
        raise
    finally:
        await pool.release(connection)
    callback = redis.response_callbacks.get(str(then[0]).upper())
    return outcome, (callback(reply) if callback is not None else reply)


async def _read_transaction(connection: Any, queued: int) -> TransactionOutcome:
    refusals: list[ResponseError] = []
    await connection.read_response()  # MULTI: OK
    for _ in range(queued):
        try:
            await connection.read_response()  # QUEUED
        except ResponseError as exc:  # refused when queued: EXEC will abort
            refusals.append(exc)
    try:
        replies = await connection.read_response()
    except ResponseError as exc:  # EXECABORT
        return TransactionOutcome(refused=refusals[0] if refusals else exc)
    return TransactionOutcome(failed=tuple(r for r in replies or () if isinstance(r, ResponseError)))
