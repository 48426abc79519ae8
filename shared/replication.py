"""Writes confirmed by a replica before the work they record is acknowledged.

Redis replicates asynchronously: a master can acknowledge a write and die
before its replica has it, and the replica promoted in its place (a cluster
failover) then lacks it. Where that would lose work or send a webhook twice,
the write is confirmed first: ``async with replicated(redis, probe, ...)``
around the write, and on leaving it a small write to the same master (the
``probe`` key, in the same hash slot) followed by WAIT on the same
connection. A replica's acknowledged offset covers everything its master
wrote before, so the probe confirms the writes made inside the block. When
fewer replicas than asked confirm in time, ``ReplicationNotConfirmed`` (a
RedisError, so every caller already treats it as transient) is raised: the
work is not acknowledged and is done again, and the ids that make a repeat
harmless (dedupe keys, alert and delivery ids, delivered markers) do the rest.

``replicas`` 0 turns it off (a single Redis without replicas).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError
from watchfloor.shared.settings import Settings

PROBE_TTL_MS = 60_000


class ReplicationNotConfirmed(RedisError):
    """Fewer replicas than asked confirmed a write in time."""


@dataclass(frozen=True)
class Replication:
    """How many replicas must confirm a write, and how long to wait for them."""

    replicas: int = 0
    timeout_ms: int = 1000

    @classmethod
    def from_settings(cls, settings: Settings) -> Replication:
        return cls(settings.resolved_wait_replicas, settings.redis_wait_timeout_ms)


NO_REPLICATION = Replication()


@contextlib.asynccontextmanager
async def replicated(redis: Any, probe: str, replication: Replication) -> AsyncIterator[None]:
    """Confirm the writes made inside the block by ``replication.replicas``
    replicas of the master that holds ``probe``'s slot (see the module's docstring)."""
    replicas, timeout_ms = replication.replicas, replication.timeout_ms
    if replicas <= 0:
        yield
        return
    # The master as it is before the writes: should a failover move the slot
    # meanwhile, the probe goes to the old master and fails, never confirming
    # writes on one master by the replication of another.
    node = None
    if isinstance(redis, RedisCluster):
        await redis.initialize()  # knows the slots (a no-op once it does)
        node = redis.get_node_from_key(probe)
    yield
    await confirm(redis, probe, node, replicas=replicas, timeout_ms=timeout_ms)


async def confirm(redis: Any, probe: str, node: Any, *, replicas: int, timeout_ms: int) -> None:
    on_node: dict[str, Any] = {"target_nodes": node} if node is not None else {}
    async with redis.pipeline(transaction=False) as pipe:
        pipe.execute_command("SET", probe, "1", "PX", PROBE_TTL_MS, **on_node)
        pipe.execute_command("WAIT", replicas, timeout_ms, **on_node)
        _, acked = await pipe.execute()
    if int(acked) < replicas:
        raise ReplicationNotConfirmed(
            f"{acked} of {replicas} replica(s) confirmed the write within {timeout_ms} ms"
        )
