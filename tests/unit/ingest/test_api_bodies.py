"""Request bodies the sender should not be able to turn into a 500, an
unbounded buffer or a stalled event loop: ``POST /v1/articles`` and
``PUT /v1/watchlists/{id}`` (the ingest worker's API)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request
from watchfloor.services.classifier.taxonomy import known_tag_ids
from watchfloor.services.ingest.api import create_api
from watchfloor.shared.json_input import MAX_JSON_DEPTH, json_depth
from watchfloor.shared.request_body import BoundedWork, RequestBodyError, read_capped
from watchfloor.shared.settings import Settings

from tests.unit.ingest.test_api import FakePublisher, FakeRedis
from tests.unit.watchlists.test_api import MemoryStore

JSON = {"content-type": "application/json"}
DEEP = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECTS = b'{"a":' * 10_000 + b"1" + b"}" * 10_000


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, max_body_bytes=64 << 10)


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def client(settings: Settings, publisher: FakePublisher) -> TestClient:
    store = MemoryStore(frozenset(known_tag_ids()))
    api = create_api(settings, FakeRedis(), publisher=publisher, watchlist_store=store)  # type: ignore[arg-type]
    return TestClient(api, raise_server_exceptions=False)


def assert_error(response: Any, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and message in body["error"]["message"]


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECTS, b'{"title": ' + DEEP + b"}"],
                         ids=["arrays", "objects", "inside-an-article"])
def test_json_nested_ten_thousand_deep_is_a_400_in_the_error_shape(
    client: TestClient, publisher: FakePublisher, body: bytes
) -> None:
    response = client.post("/v1/articles", content=body, headers=JSON)

    assert_error(response, 400, f"request body is nested too deeply: at most {MAX_JSON_DEPTH}")
    assert publisher.published == []


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECTS, b'{"name": "n", "match": ' + DEEP + b"}"],
                         ids=["arrays", "objects", "inside-a-watchlist"])
def test_a_deep_watchlist_is_a_400_in_the_error_shape(client: TestClient, body: bytes) -> None:
    response = client.put("/v1/watchlists/deep", content=body, headers=JSON)

    assert_error(response, 400, "request body is nested too deeply")


@pytest.mark.parametrize("field", ["id", "unknown_field"])
def test_a_number_too_long_to_convert_is_a_400_not_a_500(
    client: TestClient, publisher: FakePublisher, field: str
) -> None:
    body = b'[{"title": "Fine"}, {"title": "Odd", "' + field.encode() + b'": ' + b"9" * 5000 + b"}]"
    response = client.post("/v1/articles", content=body, headers=JSON)
    assert_error(response, 400, "request body is not valid JSON: a number has more than 4300 "
                                "digits (line 1, column ")
    assert publisher.published == []


def test_nesting_within_the_limit_is_judged_field_by_field(client: TestClient) -> None:
    nested = b"[" * (MAX_JSON_DEPTH - 2) + b"]" * (MAX_JSON_DEPTH - 2)
    response = client.post("/v1/articles", content=b'{"title": ' + nested + b"}", headers=JSON)

    assert_error(response, 422, "title")


def test_brackets_inside_strings_do_not_count_as_nesting(client: TestClient) -> None:
    text = "[" * 5000 + '\\"{' * 3000
    response = client.post("/v1/articles", content=f'{{"title": "T", "text": "{text}"}}'.encode(),
                           headers=JSON)

    assert response.status_code == 202


def test_a_body_over_the_configured_maximum_is_a_413(client: TestClient) -> None:
    big = b'{"title": "' + b"x" * (64 << 10) + b'"}'

    declared = client.post("/v1/articles", content=big, headers=JSON)
    streamed = client.post("/v1/articles", content=iter([big[:1000], big[1000:]]), headers=JSON)

    for response in (declared, streamed):
        assert_error(response, 413, "request body is larger than 64 KiB")


def test_a_watchlist_over_one_mebibyte_is_a_413(client: TestClient) -> None:
    response = client.put("/v1/watchlists/big", content=b" " * ((1 << 20) + 1), headers=JSON)

    assert_error(response, 413, "a watchlist is at most 1 MiB")


def test_a_body_without_length_is_refused_before_it_is_read_whole() -> None:
    sent: list[int] = []

    async def receive() -> dict[str, Any]:
        sent.append(1)
        return {"type": "http.request", "body": b"x" * 1024, "more_body": len(sent) < 1000}

    request = Request({"type": "http", "method": "POST", "headers": []}, receive)

    with pytest.raises(RequestBodyError) as refused:
        asyncio.run(read_capped(request, 4096))

    assert refused.value.status == 413
    assert len(sent) == 5  # the chunk that went over, and not one more


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read")

    headers = [(b"content-length", str(1 << 30).encode())]
    request = Request({"type": "http", "method": "POST", "headers": headers}, receive)

    with pytest.raises(RequestBodyError):
        asyncio.run(read_capped(request, 4096))


def test_bounded_work_runs_off_the_event_loop_and_at_most_limit_at_once() -> None:
    running: list[int] = []
    most = 0
    lock = threading.Lock()
    loop_thread = threading.get_ident()
    threads: set[int] = set()

    def parse() -> None:
        nonlocal most
        with lock:
            running.append(1)
            most = max(most, len(running))
            threads.add(threading.get_ident())
        time.sleep(0.02)
        with lock:
            running.pop()

    async def main() -> None:
        work = BoundedWork(2)
        await asyncio.gather(*(work.run(parse) for _ in range(8)))

    asyncio.run(main())

    assert most == 2
    assert loop_thread not in threads


@pytest.mark.parametrize(
    ("doc", "depth"),
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["[[[[", "\\"[[[", {"k]}": "{{"}]', 2),
        (b"[[]][[[]]]", 3),
    ],
)
def test_json_depth(doc: str | bytes, depth: int) -> None:
    assert json_depth(doc) == depth


def test_a_large_body_is_read_only_once_it_has_a_parse_slot(tmp_path: Path) -> None:
    # before: every post in flight (up to INGEST_MAX_IN_FLIGHT) held its whole
    # body before waiting for a slot: 8 posts of 32 MiB took the worker over 512 MiB
    settings = Settings(_env_file=None, data_dir=tmp_path, parse_concurrency=1)
    store = MemoryStore(frozenset(known_tag_ids()))
    api = create_api(settings, FakeRedis(), publisher=FakePublisher(), watchlist_store=store)  # type: ignore[arg-type]
    body = (b'{"title": "Drill ends", "url": "https://news.example.org/big", "text": "'
            + b"word " * 30_000 + b'"}')
    half = len(body) // 2
    release = asyncio.Event()
    b_read: list[float] = []

    def scope() -> dict[str, Any]:
        return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                "method": "POST", "scheme": "http", "path": "/v1/articles", "raw_path":
                b"/v1/articles", "root_path": "", "query_string": b"",
                "server": ("127.0.0.1", 8080), "client": ("127.0.0.1", 5000),
                "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]}

    async def main() -> list[int]:
        statuses: list[int] = []

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        parts_a = iter([(body[:half], True), (body[half:], False)])

        async def receive_a() -> dict[str, Any]:
            chunk, more = next(parts_a)
            if not more:
                await release.wait()  # a slow client: the second half comes later
            return {"type": "http.request", "body": chunk, "more_body": more}

        sent_b = False

        async def receive_b() -> dict[str, Any]:
            nonlocal sent_b
            b_read.append(time.monotonic())
            done, sent_b = sent_b, True
            return {"type": "http.request", "body": b"" if done else body, "more_body": False}

        first = asyncio.create_task(api(scope(), receive_a, send))
        await asyncio.sleep(0.2)
        second = asyncio.create_task(api(scope(), receive_b, send))
        await asyncio.sleep(0.3)
        waited = not b_read  # the second big post waits for the slot, unread
        release.set()
        await asyncio.gather(first, second)
        assert waited, "the second body was read while the first held the only slot"
        return statuses

    assert asyncio.run(main()) == [202, 202]


@pytest.mark.parametrize("which", ["small", "oversized"])
def test_a_small_or_oversized_post_does_not_wait_behind_a_slow_large_upload(
        tmp_path: Path, which: str) -> None:
    # a small body is read first, and one declared over the limit refused at
    # once: the parse place a slow large upload holds delays neither
    settings = Settings(_env_file=None, data_dir=tmp_path, parse_concurrency=1,
                        max_body_bytes=1 << 20)
    store = MemoryStore(frozenset(known_tag_ids()))
    publisher = FakePublisher()
    api = create_api(settings, FakeRedis(), publisher=publisher, watchlist_store=store)  # type: ignore[arg-type]
    large = b'{"title": "Drill ends", "url": "https://news.example.org/big", "text": "' \
        + b"word " * 30_000 + b'"}'
    small = b'{"title": "Drill ends", "url": "https://news.example.org/s", "text": "Short."}'
    release = asyncio.Event()

    def scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
        return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                "method": "POST", "scheme": "http", "path": "/v1/articles", "raw_path":
                b"/v1/articles", "root_path": "", "query_string": b"",
                "server": ("127.0.0.1", 8080), "client": ("127.0.0.1", 5000),
                "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                            *headers]}

    async def main() -> tuple[float, list[int]]:
        statuses: list[int] = []

        async def ignore(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        parts = iter([(large[:1000], True), (large[1000:], False)])

        async def slow() -> dict[str, Any]:
            chunk, more = next(parts)
            if not more:
                await release.wait()
            return {"type": "http.request", "body": chunk, "more_body": more}

        async def second() -> dict[str, Any]:
            return {"type": "http.request", "body": small, "more_body": False}

        declared = len(small) if which == "small" else 2 << 20
        upload = asyncio.create_task(api(
            scope([(b"content-length", str(len(large)).encode())]), slow, ignore))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await asyncio.wait_for(api(scope([(b"content-length", str(declared).encode())]),
                                   second, ignore), 5)
        took = time.monotonic() - started
        release.set()
        await upload
        return took, statuses

    took, statuses = asyncio.run(main())
    assert took < 2  # the oversized one waited for the upload's place before
    assert statuses[0] == (202 if which == "small" else 413)
