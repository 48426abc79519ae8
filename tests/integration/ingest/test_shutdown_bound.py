"""SIGTERM ends the ingest worker within GRACEFUL_TIMEOUT_S, whatever its
clients are doing: an orchestrator kills it after its grace period."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from watchfloor.services.bench.worker_proc import WorkerProcess, worker_env
from watchfloor.shared.redis_server import free_port

from tests.integration.helpers import sigterm_timed, wait_until

pytestmark = pytest.mark.integration

GRACEFUL_S = 1.0


async def test_a_slow_post_does_not_hold_the_ingest_worker_past_its_graceful_timeout(
    redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    port = free_port()
    env = worker_env(redis_url, key_prefix, "bounded", graceful_timeout_s=str(GRACEFUL_S),
                     http_port=str(port), body_idle_timeout_s="30")
    ingest = WorkerProcess("ingest", env, tmp_path).start()
    slow = socket.socket()
    try:
        async def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return True
            except OSError:
                return False

        await wait_until(listening, timeout=30, what="the ingest API")
        slow.connect(("127.0.0.1", port))
        # a client that announces 100,000 bytes and sends one, then nothing
        slow.sendall(b"POST /v1/articles HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n[")
        await asyncio.sleep(0.5)
        code, took = await sigterm_timed(ingest, 60)
    finally:
        slow.close()
        ingest.stop()
    assert code == 0, ingest.log_tail()
    # before: it waited for the body until the body deadline (6 x the idle
    # timeout: here 180 s), beyond any orchestrator's grace period
    assert took < GRACEFUL_S + 5, f"SIGTERM took {took:.1f} s"
