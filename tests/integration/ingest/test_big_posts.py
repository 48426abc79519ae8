"""Four concurrent posts of the maximum size to a real ingest worker process:
every post is answered, /healthz keeps answering while they are parsed, and
the worker's peak memory stays within its deploy limit (512 MiB)."""

from __future__ import annotations

import asyncio
import json
import random
import sys
from pathlib import Path

import httpx
import pytest
from watchfloor.services.bench.worker_proc import WorkerProcess, worker_env
from watchfloor.shared.redis_server import free_port
from watchfloor.shared.settings import Settings

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]

DEPLOY_LIMIT_MIB = 512
POSTS = 4
# Curly quotes and an accent: text that is not ASCII takes twice the memory.
WORDS = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
    "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
    "sierra", "tango", "uniform", "victor", "whiskey", "xray", "officials’", "“quoted”", "café",
]


def maximum_body(limit: int, articles: int) -> bytes:
    """A batch of ``articles`` invented articles just under ``limit`` bytes."""
    rnd = random.Random(7)
    per_article = limit // articles - 128  # room for the title, URL and JSON around
    items = []
    for i in range(articles):
        words: list[str] = []
        size = 0
        while size < per_article - 16:
            word = rnd.choice(WORDS)
            words.append(word)
            size += len(word.encode()) + 1
        items.append({"title": f"Invented headline {i}", "text": " ".join(words),
                      "url": f"https://news.example.test/big/{i}"})
    body = json.dumps(items, ensure_ascii=False).encode()
    assert limit * 0.95 < len(body) <= limit, len(body)
    return body


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


async def wait_healthy(http: httpx.AsyncClient, worker: WorkerProcess) -> None:
    for _ in range(300):
        assert worker.alive(), worker.log_tail()
        try:
            if (await http.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"the ingest API never answered: {worker.log_tail()}")


async def test_four_maximum_posts_at_once_stay_within_the_memory_limit_and_healthz_answers(
    redis_url: str, key_prefix: str, redis_client: object, tmp_path: Path
) -> None:
    defaults = Settings(_env_file=None)
    body = maximum_body(defaults.max_body_bytes, defaults.max_batch_articles)
    port = free_port()
    # Story clustering off: it adds time (its signatures), not memory.
    env = worker_env(redis_url, key_prefix, "big-posts", http_port=str(port),
                     log_level="WARNING", story_clustering="false")
    worker = WorkerProcess("ingest", env, tmp_path).start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=300) as http:
            await wait_healthy(http, worker)
            posting = asyncio.gather(*(
                http.post("/v1/articles", content=body,
                          headers={"content-type": "application/json"})
                for _ in range(POSTS)
            ))
            answers: list[tuple[int, dict[str, str]]] = []
            while not posting.done():
                reply = await http.get("/healthz")
                if not posting.done():  # answered while the posts were being handled
                    answers.append((reply.status_code, reply.json()))
                await asyncio.sleep(0.1)
            replies = await posting
        peak = peak_rss_mib(worker.pid)
    finally:
        worker.stop()

    assert [r.status_code for r in replies] == [202] * POSTS, worker.log_tail()
    assert sum(r.json()["new"] for r in replies) == defaults.max_batch_articles  # 3 duplicates
    assert answers, "/healthz never answered while the posts were handled"
    assert (200, {"status": "ok"}) in answers
    assert peak < DEPLOY_LIMIT_MIB, f"peak RSS {peak:.0f} MiB"
    print(f"\npeak RSS of the ingest worker: {peak:.0f} MiB for {POSTS} posts of "
          f"{len(body) / 2**20:.1f} MiB; /healthz answered {len(answers)} times meanwhile")
