"""`watchfloor console user ...` and `watchfloor labels export` (commands run
their own event loop, so these tests are plain functions)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from watchfloor.services.cli.main import main
from watchfloor.services.console.accounts import AccountStore
from watchfloor.services.console.labels import Judgement, LabelStore
from watchfloor.shared.keys import Keys

from tests.redis_backend import async_redis, sync_redis
from tests.unit.console.factories import T0

pytestmark = pytest.mark.integration


@pytest.fixture
def on_redis(redis_url: str, keys: Keys):

    def run(work: Callable[[Any, Keys], Awaitable[Any]]) -> Any:
        async def go() -> Any:
            client = async_redis(redis_url)
            try:
                return await work(client, keys)
            finally:
                await client.aclose()

        return asyncio.run(go())

    yield run
    with sync_redis(redis_url) as client:
        for key in set(client.scan_iter(match=f"{keys.base}:*")):
            client.delete(key)


def test_user_add_prints_a_token_once_that_signs_in(redis_url, key_prefix, on_redis,
                                                    capsys) -> None:
    flags = ["--redis-url", redis_url, "--prefix", key_prefix]
    assert main(["console", "user", "add", "ada", "--role", "editor", *flags]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    account = on_redis(lambda r, k: AccountStore(r, k).authenticate("ada", token))
    assert account is not None and account.role == "editor"
    stored = on_redis(lambda r, k: r.hgetall(k.console_accounts))
    assert token not in str(stored)

    assert main(["console", "user", "add", "ada", *flags]) == 2
    assert "exists: use --replace" in capsys.readouterr().err
    assert main(["console", "user", "list", *flags]) == 0
    assert capsys.readouterr().out.startswith("ada\teditor")
    assert main(["console", "user", "remove", "ada", *flags]) == 0
    assert main(["console", "user", "remove", "ada", *flags]) == 1


def test_labels_export_writes_the_judgements_as_json_lines(redis_url, key_prefix, on_redis,
                                                           tmp_path, capsys) -> None:
    on_redis(lambda r, k: LabelStore(r, k).judge("u-1", "ada", Judgement("wrong", "sanctions"),
                                                 classifier_tags=["sanctions"], now=T0))
    out = tmp_path / "labels.jsonl"
    assert main(["labels", "export", "-o", str(out), "--redis-url", redis_url,
                 "--prefix", key_prefix]) == 0
    [record] = [json.loads(line) for line in out.read_text().splitlines()]
    assert (record["id"], record["labels"], record["annotator"]) == ("u-1", [], "ada")
    assert "1 label records written" in capsys.readouterr().err
