"""Requests that never finish their body cannot hold the ingest API's places:
a real worker process, its in-flight limit filled by stalled connections."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from watchfloor.services.bench.worker_proc import WorkerProcess, worker_env
from watchfloor.shared.redis_server import free_port

from tests.integration.ingest.test_big_posts import wait_healthy

pytestmark = pytest.mark.integration

ARTICLE = b'{"title": "Ferry service resumes", "text": "The ferry runs again."}'


async def stall(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A POST that announces 100 bytes, sends one and then nothing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /v1/articles HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{")
    await writer.drain()
    return reader, writer


async def read_answer(reader: asyncio.StreamReader) -> bytes:
    """One whole HTTP answer: its head, then the body its Content-Length
    announces (a single read may return the head alone)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    return head + await reader.readexactly(length)


async def test_stalled_bodies_get_408_and_free_their_places(
    redis_url: str, key_prefix: str, redis_client: object, tmp_path: Path
) -> None:
    port = free_port()
    env = worker_env(redis_url, key_prefix, "stalled", http_port=str(port), log_level="WARNING",
                     ingest_max_in_flight="2", body_idle_timeout_s="1")
    worker = WorkerProcess("ingest", env, tmp_path).start()
    stalled = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            await wait_healthy(http, worker)
            stalled = [await stall(port) for _ in range(2)]
            await asyncio.sleep(0.2)
            # both places taken: the limit answers as it should
            busy = await http.post("/v1/articles", content=ARTICLE,
                                   headers={"content-type": "application/json"})
            assert busy.status_code == 429
            answers = [await asyncio.wait_for(read_answer(reader), 10) for reader, _ in stalled]
            # before: no answer, and every later POST a 429, for as long as they stayed open
            assert all(a.startswith(b"HTTP/1.1 408 ") for a in answers), answers
            assert all(b"the request body stopped arriving" in a for a in answers)
            accepted = await http.post("/v1/articles", content=ARTICLE,
                                       headers={"content-type": "application/json"})
            assert accepted.status_code == 202, accepted.text
    finally:
        for _, writer in stalled:
            writer.close()
        worker.stop()


async def test_a_client_that_drops_mid_upload_or_sends_garbage_leaves_only_json_log_lines(
    redis_url: str, key_prefix: str, redis_client: object, tmp_path: Path
) -> None:
    import json

    port = free_port()
    env = worker_env(redis_url, key_prefix, "dropped", http_port=str(port), log_level="INFO")
    worker = WorkerProcess("ingest", env, tmp_path).start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            await wait_healthy(http, worker)
            _, writer = await stall(port)  # 1 byte of 100, then gone
            writer.close()
            _, garbage = await asyncio.open_connection("127.0.0.1", port)
            garbage.write(b"GARBAGE\r\n\r\n")
            await garbage.drain()
            await asyncio.sleep(0.5)
            garbage.close()
            accepted = await http.post("/v1/articles", content=ARTICLE,
                                       headers={"content-type": "application/json"})
            assert accepted.status_code == 202
    finally:
        worker.stop()
    lines = [line for line in worker.log_path.read_text().splitlines() if line.strip()]
    # before: "Exception in ASGI application", a 60-line traceback and
    # "Invalid HTTP request received." as plain text among the JSON lines
    not_json = []
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            not_json.append(line)
    assert not_json == [], not_json[:5]
    assert not any("Traceback" in line for line in lines)
