"""Two `watchfloor replay` runs at once: each entry goes back once, and the
counts they print add up to what there was."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from watchfloor.services.notifier.delivery import fan_out
from watchfloor.services.notifier.replay import replay_failed_deliveries
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.shared.streams.deadletter import replay_dead_letters

from tests.unit.notifier.factories import make_alert, make_watchlist

pytestmark = pytest.mark.integration

def _watchlist() -> Watchlist:
    """The factories' watchlist (the alerts name it), with a target."""
    return make_watchlist().model_copy(update={"targets": Watchlist(id="w", name="W", targets=[
        {"type": "webhook", "url": "https://hooks.example.org/w",
         "secret": "whsec_" + "A" * 40}]).targets})


async def test_concurrent_replays_of_failed_deliveries_move_each_once(redis_client, keys) -> None:
    for n in range(8):
        (delivery,) = fan_out([make_alert(article_id=f"art-{n}")], [_watchlist()], now=time.time())
        await redis_client.xadd(keys.failed_deliveries, {"payload": delivery.model_dump_json(),
                                                         "reason": "exhausted: http_503"})
    counts = await asyncio.gather(replay_failed_deliveries(redis_client, keys),
                                  replay_failed_deliveries(redis_client, keys))
    streams = keys.streams("deliveries")
    back = sum([await redis_client.xlen(stream) for stream in streams])
    assert sum(counts) == 8 and back == 8  # was "8, 6": 14 for 8
    assert await redis_client.xlen(keys.failed_deliveries) == 0


async def test_concurrent_replays_of_dead_letters_move_each_once(redis_client, keys) -> None:
    for n in range(6):
        await redis_client.xadd(keys.dead_letters, {
            "stream": keys.articles, "error": "x",
            "payload": json.dumps({"__data__": json.dumps({"id": f"a{n}", "title": "t"})})})
    counts = await asyncio.gather(replay_dead_letters(redis_client, keys),
                                  replay_dead_letters(redis_client, keys))
    assert sum(counts) == 6 and await redis_client.xlen(keys.articles) == 6


async def test_replay_says_what_it_left(redis_client, keys, settings, capsys) -> None:
    from watchfloor.services.cli.main import main

    for n in range(3):
        await redis_client.xadd(keys.dead_letters, {
            "stream": keys.articles, "error": "x",
            "payload": json.dumps({"__data__": json.dumps({"id": f"a{n}", "title": "t"})})})
    code = await asyncio.to_thread(main, ["replay", "--limit", "1", "--redis-url",
                                          settings.resolved_redis_url,
                                          "--prefix", settings.key_prefix])
    assert code == 0
    out = capsys.readouterr().out
    assert "replayed 1 dead letter(s); 2 of those there at the start not replayed" in out
    assert f"`redis-cli XRANGE {keys.dead_letters} - +` lists them" in out  # no command does


async def test_unreadable_entries_do_not_use_up_the_limit(redis_client, keys) -> None:
    # more unreadable entries than a page, first: before, `--limit 2` read two
    # entries, both unreadable, and moved nothing however often it ran
    for n in range(120):
        await redis_client.xadd(keys.dead_letters, {"stream": keys.articles, "payload": "{"})
        await redis_client.xadd(keys.failed_deliveries, {"reason": f"garbled {n}"})
    for n in range(3):
        await redis_client.xadd(keys.dead_letters, {
            "stream": keys.articles, "error": "x",
            "payload": json.dumps({"__data__": json.dumps({"id": f"a{n}", "title": "t"})})})
        (delivery,) = fan_out([make_alert(article_id=f"art-{n}")], [_watchlist()], now=time.time())
        await redis_client.xadd(keys.failed_deliveries, {"payload": delivery.model_dump_json(),
                                                         "reason": "exhausted: http_503"})

    assert await replay_dead_letters(redis_client, keys, limit=2) == 2
    assert await redis_client.xlen(keys.articles) == 2
    assert await replay_failed_deliveries(redis_client, keys, limit=2) == 2
    # the unreadable ones stay for an operator to read, with the one not moved
    assert await redis_client.xlen(keys.dead_letters) == 121
    assert await redis_client.xlen(keys.failed_deliveries) == 121


async def test_a_replay_does_not_replay_again_what_failed_again_during_it(redis_client, keys):
    # a worker dead-letters each replayed entry again at once; before, the
    # same run met it at the end of the stream and replayed it again (1000
    # "replayed" for 250 entries)
    for n in range(3):
        await redis_client.xadd(keys.dead_letters, {
            "stream": keys.articles, "error": "x",
            "payload": json.dumps({"__data__": json.dumps({"id": f"a{n}", "title": "t"})})})
    real_xadd = redis_client.xadd

    async def failing_again(name, fields, *args, **kwargs):  # type: ignore[no-untyped-def]
        entry = await real_xadd(name, fields, *args, **kwargs)
        if name == keys.articles:  # the worker: straight back to the dead letters
            await real_xadd(keys.dead_letters, {"stream": keys.articles, "error": "again",
                                                "payload": json.dumps(fields)})
        return entry

    redis_client.xadd = failing_again
    try:
        assert await replay_dead_letters(redis_client, keys, limit=1000) == 3
    finally:
        del redis_client.xadd
    assert await redis_client.xlen(keys.dead_letters) == 3
