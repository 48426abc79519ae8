"""`watchfloor deliveries --failed` on failures the real delivery pipeline recorded."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
from watchfloor.services.cli.main import main
from watchfloor.services.notifier.targets import make_http_client

from tests.integration.notifier.test_delivery import (
    SECRET,
    first_delivery,
    pipeline_for,
    watchlist_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def http(settings) -> AsyncIterator:
    async with make_http_client(settings) as client:
        yield client


async def run(settings, *args: str) -> int:
    """The command runs its own event loop: off this test's loop."""
    cli = ["--redis-url", settings.resolved_redis_url, "--prefix", settings.key_prefix]
    return await asyncio.to_thread(main, ["deliveries", *args, *cli])


async def test_failed_deliveries_are_listed_newest_first_with_their_reasons(
        redis_client, keys, settings, receiver, http, capsys):
    gone, bad = watchlist_for(receiver, "/gone"), watchlist_for(receiver, "/bad")
    receiver.plan("/gone", [410])
    receiver.plan("/bad", [400])
    first, second = first_delivery(gone), first_delivery(bad)
    await pipeline_for(redis_client, keys, settings, [gone], http).process(first, time.time())
    await pipeline_for(redis_client, keys, settings, [bad], http).process(second, time.time())

    assert await run(settings, "--failed") == 0
    text = capsys.readouterr().out
    assert await run(settings, "--failed", "--json") == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert await run(settings, "--failed", "--limit", "1") == 0
    one = capsys.readouterr().out

    assert [(d["reason"], d["delivery_id"]) for d in lines] == [
        ("permanent: http_400", second.id), ("permanent: http_410", first.id)]
    newest = lines[0]
    # by its name in the watchlist (or, in entries from before targets had names, its place)
    assert newest["watchlist"] == "wl-test" and newest["target"] in {"webhook-1", "target #0"}
    assert newest["alert_id"] == second.alert.id and newest["attempts"] == 1
    assert newest["article_id"] == second.alert.article.id and newest["at"].endswith("Z")
    assert f"[wl-test] {newest['target']}: permanent: http_400 after 1 attempt\n" in text
    assert "watchfloor replay --deliveries" in text
    assert "(1 newest of 2 failed deliveries; --limit N for more)" in one
    for shown in (text, one, json.dumps(lines)):
        assert receiver.url("") not in shown and SECRET not in shown


async def test_no_failed_deliveries_is_said_plainly(settings, capsys):
    assert await run(settings, "--failed") == 0
    assert capsys.readouterr().out == "no failed deliveries\n"


async def test_a_delivered_alert_is_listed_with_its_headline(
        redis_client, keys, settings, receiver, http, capsys):
    # before: "title": null for every delivery that succeeded
    ok = watchlist_for(receiver, "/ok")
    delivery = first_delivery(ok)
    await pipeline_for(redis_client, keys, settings, [ok], http).process(delivery, time.time())
    assert await run(settings, "--json") == 0
    out = capsys.readouterr().out  # the pipeline's log lines too
    (line,) = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert line["title"] == delivery.alert.article.title and line["title"]
