"""Fixtures for the ingest CLI tests on a real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from watchfloor.services.cli.main import main

from tests.redis_backend import sync_redis as sync_client


@pytest.fixture
def sync_redis(redis_url: str, redis_client: object) -> Iterator[redis.Redis]:
    # redis_client is requested for its clean-up of the test's keys.
    client = sync_client(redis_url)
    yield client
    client.close()


@pytest.fixture
def run(redis_url: str, key_prefix: str, monkeypatch: pytest.MonkeyPatch):
    # the test sites are on loopback
    monkeypatch.setenv("WATCHFLOOR_TARGET_ALLOWLIST", "127.0.0.0/8,::1/128")

    def run_ingest(*args: str | Path) -> int:
        return main(["ingest", *map(str, args), "--redis-url", redis_url, "--prefix", key_prefix])

    return run_ingest
