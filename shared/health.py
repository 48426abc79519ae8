"""Health of one worker process: ``/livez`` and ``/readyz`` on its own port.

- ``GET /livez``  200 while the process's event loop answers. The server
  runs on that loop, so a loop stuck in a handler fails the probe: restart.
- ``GET /readyz`` 200 when the worker is running, Redis answers, every
  consumer group it reads exists and its subscriber is consuming; else 503
  with the problems listed. A Redis outage makes a worker unready, never
  dead: it recovers on its own once Redis is back (``streams/worker.py``).
- ``GET /metrics`` this process's Prometheus metrics (latency histograms,
  webhook request durations, process collectors: ``streams/metrics.py``).

Served with uvicorn (``shared/http_server.py``: it never takes the process's
signals, and wakes once a second when idle) on a socket bound first
(``shared/listen.py``): a busy port is a clear error. Neither answer carries
a URL or a secret.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from watchfloor.shared.http_server import WorkerHttpServer
from watchfloor.shared.listen import listen_socket
from watchfloor.shared.logging import get_logger
from watchfloor.shared.redis_client import REDIS_FAILURES
from watchfloor.shared.streams.metrics import CONTENT_TYPE, render_process_metrics

log = get_logger("watchfloor.health")

READY_TIMEOUT_S = 2.0  # a probe's Redis round trips, together


@dataclass(frozen=True)
class WorkerState:
    """What the worker app says of itself (no I/O)."""

    parts: Sequence[str]
    phase: str  # starting | running | stopping
    consumed: Sequence[tuple[str, str]]  # (stream, consumer group)
    consuming: bool  # every subscriber is running


@dataclass
class Readiness:
    ready: bool
    problems: list[str] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)

    def body(self, state: WorkerState) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "not_ready", "parts": list(state.parts),
                "phase": state.phase, "groups": self.groups, "problems": self.problems}


async def check_readiness(redis: aioredis.Redis, state: WorkerState,
                          timeout_s: float = READY_TIMEOUT_S) -> Readiness:
    """A PING, then one XINFO GROUPS per stream read in one pipeline."""
    problems: list[str] = []
    if state.phase != "running":
        problems.append(f"worker {state.phase}")
    if not state.consuming:
        problems.append("a subscriber is stopped (consumer group being re-created?)")
    replies: list[Any] | None = None
    try:
        async with asyncio.timeout(timeout_s):
            await redis.ping()  # on its own: a cluster pipeline refuses PING
            async with redis.pipeline(transaction=False) as pipe:
                for stream, _ in state.consumed:
                    pipe.xinfo_groups(stream)
                replies = await pipe.execute(raise_on_error=False)
    except (*REDIS_FAILURES, TimeoutError) as exc:
        problems.append(f"Redis not answering ({type(exc).__name__})")
    groups = []
    for index, (stream, group) in enumerate(state.consumed):
        exists = None if replies is None else _has_group(replies[index], group)
        if exists is False:
            problems.append(f"consumer group {group!r} missing on {stream}")
        groups.append({"stream": stream, "group": group, "exists": exists})
    return Readiness(not problems, problems, groups)


def _has_group(reply: Any, group: str) -> bool:
    if isinstance(reply, Exception):  # no such stream
        return False
    names = {g.get("name", g.get(b"name")) for g in reply}
    return group in names or group.encode() in names


def health_app(redis: aioredis.Redis, state: Callable[[], WorkerState]) -> Starlette:
    async def livez(_: Request) -> JSONResponse:
        return JSONResponse({"status": "alive", "phase": state().phase})

    async def readyz(_: Request) -> JSONResponse:
        now = state()
        readiness = await check_readiness(redis, now)
        return JSONResponse(readiness.body(now), status_code=200 if readiness.ready else 503)

    async def metrics(_: Request) -> Response:
        return Response(render_process_metrics(), media_type=CONTENT_TYPE)

    return Starlette(routes=[Route("/livez", livez), Route("/readyz", readyz),
                             Route("/metrics", metrics)])


class HealthServer:
    """``/livez``, ``/readyz`` and ``/metrics`` on ``host:port`` (0: a free port)."""

    def __init__(self, host: str, port: int, redis: aioredis.Redis,
                 state: Callable[[], WorkerState]) -> None:
        self._host, self._port = host, port
        self._redis = redis
        self._state = state
        self._server: WorkerHttpServer | None = None
        self.url: str | None = None

    async def start(self) -> str:
        """Listen (``PortUnavailable`` if the port is taken); return the URL."""
        sock = listen_socket(self._host, self._port, "WATCHFLOOR_HEALTH_PORT")
        config = uvicorn.Config(health_app(self._redis, self._state), log_config=None,
                                access_log=False, lifespan="off")
        self._server = WorkerHttpServer(config)
        self.url = await self._server.start("health", sockets=[sock])
        log.info("health_listening", url=self.url, paths=["/livez", "/readyz", "/metrics"])
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop()
        await self._redis.aclose()
