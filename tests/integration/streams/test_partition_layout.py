"""Changing WATCHFLOOR_PARTITIONS with work queued would strand it: the
streams of the old count are no longer read (accepted articles lost, and
resending them answers "duplicate"). Workers refuse until it is drained."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from watchfloor.services.cli.main import main
from watchfloor.shared.pipeline import stage
from watchfloor.shared.streams.partition_layout import (
    PartitionsChanged,
    recorded_partitions,
    settle_partitions,
)

pytestmark = pytest.mark.integration


async def test_fewer_partitions_are_refused_while_the_old_streams_hold_work(redis_client, keys):
    three = dataclasses.replace(keys, partitions=3)
    two = dataclasses.replace(keys, partitions=2)
    await settle_partitions(redis_client, three)
    assert await recorded_partitions(redis_client, keys) == 3
    # no partition 2 once there are two
    queued, group = stage("classify").reads(three, 2)
    await redis_client.xgroup_create(queued, group, id="0", mkstream=True)
    await redis_client.xadd(queued, {"__data__": "{}"})

    with pytest.raises(PartitionsChanged) as info:
        await settle_partitions(redis_client, two)
    message = str(info.value)
    assert "WATCHFLOOR_PARTITIONS is 2, but the pipeline's streams were made for 3" in message
    assert "articles:p2 (1)" in message and "WATCHFLOOR_PARTITIONS=3" in message

    # read but not acknowledged: still work
    entries = await redis_client.xreadgroup(group, "c1", {queued: ">"})
    with pytest.raises(PartitionsChanged):
        await settle_partitions(redis_client, two)

    # handled: the new count is recorded and used
    await redis_client.xack(queued, group, entries[0][1][0][0])
    await settle_partitions(redis_client, two)
    assert await recorded_partitions(redis_client, keys) == 2


async def test_a_worker_started_with_another_count_exits_2_naming_the_streams(
        redis_client, settings, keys):
    import os
    import subprocess
    import sys

    three = dataclasses.replace(keys, partitions=3)
    await settle_partitions(redis_client, three)
    await redis_client.xadd(three.stream("articles", 2), {"__data__": "{}"})  # never read
    env = {**os.environ, "WATCHFLOOR_REDIS_URL": settings.resolved_redis_url,
           "WATCHFLOOR_KEY_PREFIX": settings.key_prefix, "WATCHFLOOR_PARTITIONS": "1",
           "WATCHFLOOR_HEALTH_PORT": "0"}
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "watchfloor.services.cli.main", "worker",
                         "classifier"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "WATCHFLOOR_PARTITIONS is 1, but the pipeline's streams were made for 3" in done.stderr
    assert "Traceback" not in done.stderr


async def test_status_says_the_streams_were_made_for_another_count(redis_client, settings, keys,
                                                                  capsys):
    three = dataclasses.replace(keys, partitions=3)
    await settle_partitions(redis_client, three)
    await redis_client.xadd(three.stream("articles", 2), {"__data__": "{}"})
    args = ["status", "--redis-url", settings.resolved_redis_url, "--prefix", settings.key_prefix]
    assert await asyncio.to_thread(main, args) == 0
    out = capsys.readouterr().out
    assert "warning: WATCHFLOOR_PARTITIONS is 1, the streams were made for 3; they still hold " \
           "work: articles:p2 (1)" in out


async def test_the_first_start_of_this_version_checks_the_default_one_partition_streams(
        redis_client, keys):
    """No count recorded yet (a deployment from before): its streams were
    most likely made for the default, one partition."""
    one = dataclasses.replace(keys, partitions=1)
    await redis_client.xadd(one.stream("articles"), {"__data__": "{}"})  # never read
    with pytest.raises(PartitionsChanged, match="made for 1 and still hold work"):
        await settle_partitions(redis_client, dataclasses.replace(keys, partitions=2))
    assert await recorded_partitions(redis_client, keys) is None
    await settle_partitions(redis_client, one)
    assert await recorded_partitions(redis_client, keys) == 1


async def test_retries_waiting_in_the_old_layout_are_work_too(redis_client, keys):
    three = dataclasses.replace(keys, partitions=3)
    await settle_partitions(redis_client, three)
    await redis_client.zadd(three.retry_schedule_of(1), {"delivery-1": 4_000_000_000})
    with pytest.raises(PartitionsChanged, match=r"retry:due:p1 \(1\)"):
        await settle_partitions(redis_client, dataclasses.replace(keys, partitions=1))


async def test_replay_leaves_a_dead_letter_of_another_partition_count(redis_client, keys,
                                                                      settings, capsys):
    """Moved back onto a stream of the old count, it would be read by no one."""
    import json

    old_stream = dataclasses.replace(keys, partitions=3).stream("articles", 2)
    await redis_client.xadd(keys.dead_letters, {
        "stream": old_stream, "error": "x",
        "payload": json.dumps({"__data__": json.dumps({"id": "a1", "title": "t"})})})
    args = ["replay", "--redis-url", settings.resolved_redis_url, "--prefix", settings.key_prefix]
    assert await asyncio.to_thread(main, args) == 0
    out = capsys.readouterr().out
    assert "replayed 0 dead letter(s); 1 of those there at the start not replayed" in out
    assert "for a stream of another partition count" in out
    assert await redis_client.xlen(keys.dead_letters) == 1
    assert not await redis_client.exists(old_stream)


async def test_ingest_refuses_to_publish_where_no_worker_reads(redis_client, keys, settings,
                                                              tmp_path, capsys):
    await settle_partitions(redis_client, dataclasses.replace(keys, partitions=3))
    source = tmp_path / "a.jsonl"
    source.write_text('{"title": "Harbour reopens", "url": "https://port.example/1"}\n')
    args = ["ingest", str(source), "--redis-url", settings.resolved_redis_url,
            "--prefix", settings.key_prefix]
    assert await asyncio.to_thread(main, args) == 2  # WATCHFLOOR_PARTITIONS unset: 1
    assert "the workers' streams are made for 3: set WATCHFLOOR_PARTITIONS=3" in \
        capsys.readouterr().err
    assert not await redis_client.exists(keys.articles)
