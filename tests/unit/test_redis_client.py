"""Redis clients built from the settings; commands packed by hiredis; replies read as text."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from redis.exceptions import DataError
from watchfloor.shared.redis_client import (
    blocking_redis_client,
    connection_class_for,
    hiredis_packed,
    redis_client,
)
from watchfloor.shared.redis_replies import as_str, as_str_dict
from watchfloor.shared.settings import Settings


def _kwargs(client) -> dict:  # type: ignore[no-untyped-def]
    return client.connection_pool.connection_kwargs


async def test_the_client_uses_the_configured_url_and_timeouts() -> None:
    settings = Settings(_env_file=None, redis_url="redis://:pw@db.internal:6380/3")
    client = redis_client(settings, connect_timeout_s=5, timeout_s=30)
    try:
        kwargs = _kwargs(client)
        assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("db.internal", 6380, 3)
        assert kwargs["password"] == "pw"
        assert (kwargs["socket_connect_timeout"], kwargs["socket_timeout"]) == (5, 30)
        assert "health_check_interval" not in kwargs
    finally:
        await client.aclose()


async def test_a_workers_client_checks_idle_connections_and_retries_a_timeout() -> None:
    client = redis_client(Settings(_env_file=None), long_lived=True)
    try:
        kwargs = _kwargs(client)
        assert kwargs["host"] == "127.0.0.1" and kwargs["port"] == 6379  # the local default
        assert kwargs["health_check_interval"] == 30 and kwargs["socket_keepalive"] is True
    finally:
        await client.aclose()


def test_the_blocking_client_for_quick_checks() -> None:
    settings = Settings(_env_file=None, redis_url="redis://db.internal:6390/0")
    client = blocking_redis_client(settings, connect_timeout_s=2, timeout_s=2)
    try:
        assert _kwargs(client)["port"] == 6390
        assert _kwargs(client)["socket_connect_timeout"] == 2
    finally:
        client.close()


def test_replies_read_as_text() -> None:
    assert as_str(b"1700000000000-0") == "1700000000000-0"
    assert as_str("already text") == "already text"
    assert as_str(b"caf\xff") == "caf\ufffd"  # a stray byte does not stop a listing
    assert as_str_dict({b"etag": b'"v1"', "url": "https://x.example/"}) == {
        "etag": '"v1"', "url": "https://x.example/"
    }


@pytest.mark.parametrize("args", [
    ("SET", "key", "value"),
    ("SCRIPT EXISTS", "a" * 40),
    (b"CONFIG GET", b"maxmemory"),
    ("ZADD", "z", 1733000000.123456, "member"),
    ("SET", "k", -3), ("SET", "k", 1e20), ("SET", "k", float("inf")),
    ("SET", b"k", b"\xff\x00"), ("SET", "k", "é"), ("SET", "k", bytearray(b"ab")),
    ("SET", "k", memoryview(b"cd")), ("XADD", "s", "*", "__data__", b"x" * 10_000),
])
def test_commands_packed_by_hiredis_are_the_bytes_redis_py_sends(args) -> None:
    packed = hiredis_packed(aioredis.Connection)()
    assert b"".join(packed.pack_command(*args)) == b"".join(
        aioredis.Connection().pack_command(*args))


def test_a_value_redis_cannot_take_is_a_data_error() -> None:
    with pytest.raises(DataError):
        hiredis_packed(aioredis.Connection)().pack_command("SET", "k", object())


async def test_clients_pack_with_hiredis_on_every_kind_of_url() -> None:
    for url, kind in [("redis://127.0.0.1:1/0", aioredis.Connection),
                      ("rediss://127.0.0.1:1/0", aioredis.SSLConnection),
                      ("unix:///tmp/redis.sock", aioredis.UnixDomainSocketConnection)]:
        client = redis_client(Settings(_env_file=None, redis_url=url))
        made = client.connection_pool.connection_class
        assert issubclass(made, kind) and made is hiredis_packed(kind)
        assert connection_class_for(url) is made
        await client.aclose()
