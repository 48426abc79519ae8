"""A Redis Cluster client whose commands wait for a connection.

redis-py's asyncio cluster client has no pool that waits: past
``max_connections`` to one node a command fails at once, and a burst of a few
hundred concurrent commands also ended in ConnectionError and AttributeError
from connections torn down under it. ``BoundedRedisCluster`` lets at most
``max_connections`` commands (a pipeline counts as one) run at a time across
all nodes, so no node's pool overflows, and a command that finds them all
busy waits up to ``wait_timeout_s`` for its turn, like the single-Redis
client's ``BlockingConnectionPool``. A wait that runs out raises
MaxConnectionsError, which ``redis_client.pool_exhausted`` recognises: this
process is overloaded, Redis may be well.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio.cluster import ClusterPipeline, RedisCluster
from redis.exceptions import MaxConnectionsError


class BoundedRedisCluster(RedisCluster):
    def __init__(self, *args: Any, max_connections: int, wait_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(*args, max_connections=max_connections, **kwargs)
        self._turns = asyncio.Semaphore(max_connections)
        self._first = asyncio.Lock()
        self._wait_timeout_s = wait_timeout_s

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold one of the ``max_connections`` places while a command runs."""
        try:
            await asyncio.wait_for(self._turns.acquire(), self._wait_timeout_s)
        except TimeoutError:
            raise MaxConnectionsError(
                f"no free Redis connection within {self._wait_timeout_s} s") from None
        try:
            yield
        finally:
            self._turns.release()

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        await self.connected()
        async with self.turn():
            return await super().execute_command(*args, **kwargs)

    async def connected(self) -> None:
        """Learn the cluster's nodes with one command before running others: many
        first commands at once failed in redis-py while it set the nodes up."""
        if self._initialize:
            async with self._first:
                if self._initialize:
                    await self.initialize()
                    await super().execute_command("PING")

    def pipeline(self, transaction: Any | None = None, shard_hint: Any | None = None) -> ClusterPipeline:
        if shard_hint:
            return super().pipeline(transaction, shard_hint)  # refused by redis-py, as it says
        return _BoundedPipeline(self, transaction)


class _BoundedPipeline(ClusterPipeline):
    cluster_client: BoundedRedisCluster

    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True) -> list[Any]:
        await self.cluster_client.connected()
        async with self.cluster_client.turn():
            return await super().execute(raise_on_error, allow_redirections)
