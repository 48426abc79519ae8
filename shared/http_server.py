"""The uvicorn server a worker's HTTP endpoints run on (the ingest API, health).

uvicorn's own loop wakes ten times a second to see whether it should stop.
A wake-up of an otherwise idle process is not free: the CPU and its caches
come back from idle (0.2-0.8 ms of CPU a wake-up measured on the 2-core VM),
and an idle worker's ticking servers were most of its idle CPU. This server
wakes once a second (its Date header is refreshed then, as uvicorn does),
and at once when told to stop. It never takes the process's signals: the
worker app owns SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn


class WorkerHttpServer(uvicorn.Server):
    TICK_S = 1.0

    def __init__(self, config: uvicorn.Config) -> None:
        self._stop_requested = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        super().__init__(config)

    @property  # type: ignore[override]
    def should_exit(self) -> bool:
        return self._stop_requested.is_set()

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        if value:
            self._stop_requested.set()
        else:
            self._stop_requested.clear()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter += 10  # uvicorn refreshes the Date header on multiples of 10 ticks
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_requested.wait(), self.TICK_S)

    async def start(self, name: str, sockets: list[socket.socket] | None = None) -> str:
        """Serve in a task named ``name`` (on ``sockets``, else binding the
        config's host and port) and return its URL once it listens; an error
        at start-up (a port that cannot be bound) is raised here."""
        self._task = asyncio.create_task(self.serve(sockets=sockets), name=name)
        while not self.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError(f"{name} stopped during start-up")
            await asyncio.sleep(0.01)
        host, port = self.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def stop(self) -> None:
        """Stop serving and wait until the server has ended (no-op if never started)."""
        if self._task is None:
            return
        self.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
