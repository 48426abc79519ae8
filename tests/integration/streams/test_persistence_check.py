"""At start-up a worker checks that Redis persists (AOF or RDB) and warns,
naming what a restart would lose, when it does not: against real
redis-servers started with and without persistence, and with CONFIG
renamed away (as managed Redis often does)."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from structlog.testing import capture_logs
from watchfloor.shared.redis_server import find_redis_server, free_port
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.worker import WorkerParts, create_worker_app

from tests.integration.helpers import running

pytestmark = pytest.mark.integration

NO_PERSISTENCE = ["--appendonly", "no", "--save", ""]
AOF = ["--appendonly", "yes", "--save", ""]
# (two arguments: redis-server 6.2, which make test falls back to, ignores "60 1000")
RDB = ["--appendonly", "no", "--save", "60", "1000"]
NO_CONFIG = ["--rename-command", "CONFIG", ""]


@contextlib.contextmanager
def redis_server(data_dir: Path, *args: str) -> Iterator[str]:
    """A private redis-server with these options; its URL."""
    data_dir.mkdir(parents=True)
    port = free_port()
    proc = subprocess.Popen(
        [find_redis_server(prefer_path=True), "--port", str(port), "--bind", "127.0.0.1",
         "--dir", str(data_dir), "--daemonize", "no", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port, socket_connect_timeout=0.5)
        for _ in range(200):
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                proc.poll()
                assert proc.returncode is None, "redis-server exited"
                time.sleep(0.05)
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


async def start_up_warnings(url: str, tmp_path: Path) -> list[dict]:
    settings = Settings(_env_file=None, redis_url=url, redis_cluster=False, partitions=1,
                        key_prefix="persist-check",
                        data_dir=tmp_path / "data", http_port=0)
    app = create_worker_app(settings, [lambda runtime: WorkerParts(name="idle")])
    with capture_logs() as logs:
        async with running(app):
            pass
    return [e for e in logs if e["event"].startswith("redis_persistence")]


async def test_a_redis_without_persistence_gets_a_loud_warning(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis", *NO_PERSISTENCE) as url:
        [warning] = await start_up_warnings(url, tmp_path)

    assert warning["event"] == "redis_persistence_off"
    assert warning["log_level"] == "warning"
    for lost in ("scheduled delivery retries", "dedupe keys",
                 "pending stream entries and consumer groups"):
        assert lost in warning["detail"]
    assert "appendonly yes" in warning["fix"]
    assert warning["redis"] == url


@pytest.mark.parametrize("options", [AOF, RDB], ids=["aof", "rdb"])
async def test_a_persistent_redis_gets_no_warning(tmp_path: Path, options: list[str]) -> None:
    with redis_server(tmp_path / "redis", *options) as url:
        assert await start_up_warnings(url, tmp_path) == []


async def test_without_config_the_check_falls_back_to_info(tmp_path: Path) -> None:
    with redis_server(tmp_path / "off", *NO_PERSISTENCE, *NO_CONFIG) as url:
        [unknown] = await start_up_warnings(url, tmp_path)
    with redis_server(tmp_path / "aof", *AOF, *NO_CONFIG) as url:
        assert await start_up_warnings(url, tmp_path) == []

    assert unknown["event"] == "redis_persistence_unknown"
    assert "scheduled delivery retries" in unknown["detail"]
