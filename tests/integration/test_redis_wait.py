"""A worker started before its Redis (a deployment starting all at once)
waits for it when WATCHFLOOR_REDIS_WAIT_S says so, instead of exiting to be
restarted with back-off; without it, it says so in one line and exits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from watchfloor.services.bench.worker_proc import WorkerProcess, worker_env
from watchfloor.shared.redis_server import LocalRedisServer, free_port

pytestmark = pytest.mark.integration


def test_a_worker_waits_for_a_redis_that_starts_after_it(tmp_path: Path) -> None:
    port = free_port()
    server = LocalRedisServer(tmp_path / "redis", port=port, persist=False)
    env = worker_env(f"redis://127.0.0.1:{port}/0", "wait", "waiting", redis_wait_s="60",
                     redis_cluster="false")
    worker = WorkerProcess("classifier", env, tmp_path).start()
    try:
        time.sleep(3)
        assert worker.alive(), worker.log_tail()  # before: exit code 2 at once
        assert "redis_not_answering_yet" in worker.log_tail()
        server.start()
        deadline = time.monotonic() + 30
        while "worker_started" not in worker.log_tail(20_000) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "redis_answers" in worker.log_tail(20_000), worker.log_tail()
        assert worker.stop(20) == 0
    finally:
        worker.stop()
        server.stop()


def test_sigterm_while_waiting_ends_the_worker_cleanly(tmp_path: Path) -> None:
    env = worker_env(f"redis://127.0.0.1:{free_port()}/0", "wait", "waiting", redis_wait_s="60",
                     redis_cluster="false")
    worker = WorkerProcess("classifier", env, tmp_path).start()
    try:
        time.sleep(3)
        assert worker.alive(), worker.log_tail()
        assert worker.stop(10) == 0
    finally:
        worker.stop()


def test_without_a_wait_a_worker_says_redis_does_not_answer_and_exits_2(tmp_path: Path) -> None:
    env = worker_env(f"redis://127.0.0.1:{free_port()}/0", "wait", "waiting",
                     redis_cluster="false")
    worker = WorkerProcess("classifier", env, tmp_path).start()
    deadline = time.monotonic() + 30
    while worker.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert worker.stop(5) == 2
    assert "cannot reach Redis at redis://127.0.0.1:" in worker.log_tail()
