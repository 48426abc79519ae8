"""Partitions and hash tags: every key a script or MULTI/EXEC touches
together sits in one cluster slot, partitions spread over the slot ranges,
an article's path stays in one partition, and one partition on a single
Redis keeps the names of earlier versions."""

from __future__ import annotations

from collections import Counter

import pytest
from pydantic import ValidationError
from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot
from watchfloor.services.classifier.app import classifier_parts
from watchfloor.services.notifier.app import notifier_parts
from watchfloor.shared import pipeline
from watchfloor.shared.keys import Keys, short_name
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.worker import Runtime

TAGGED = Keys("wf", partitions=3)


def slot(key: str) -> int:
    return key_slot(key.encode())


def one_slot(*keys: str) -> bool:
    return len({slot(k) for k in keys}) == 1


def test_one_partition_on_a_single_redis_keeps_the_old_names() -> None:
    keys = Keys("watchfloor")
    assert (keys.articles, keys.classified, keys.deliveries, keys.metrics, keys.retry_schedule) == (
        "watchfloor:articles", "watchfloor:classified", "watchfloor:deliveries",
        "watchfloor:metrics", "watchfloor:retry:due",
    )
    assert keys.partition_of("u-anything") == 0


def test_settings_come_from_the_documented_variables() -> None:
    settings = Settings(_env_file=None)
    assert (settings.redis_cluster, settings.partitions) == (False, 1)
    env = {"WATCHFLOOR_REDIS_CLUSTER": "true", "WATCHFLOOR_PARTITIONS": "3"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        settings = Settings(_env_file=None)
    assert (settings.redis_cluster, settings.partitions) == (True, 3)
    assert Keys.for_settings(settings) == Keys("watchfloor", partitions=3, cluster=True)
    with pytest.raises(ValidationError):
        Settings(_env_file=None, partitions=0)


def test_on_a_cluster_every_key_carries_a_hash_tag() -> None:
    keys = Keys("wf", cluster=True)
    names = [keys.articles, keys.metrics, keys.seen_article("a"), keys.delivered("d"),
             keys.watchlists, keys.story_buckets(1, 7), keys.alerts, keys.dead_letters]
    assert all(name.startswith("{wf}:") for name in names)
    assert one_slot(*names)  # one partition: everything may be written together


def test_each_stage_has_one_stream_per_partition() -> None:
    assert len(pipeline.consumed(TAGGED)) == 9
    for name in ("articles", "classified", "deliveries"):
        streams = TAGGED.streams(name)
        assert len(set(streams)) == 3
        assert [short_name(s, "wf") for s in streams] == [f"{name}:p{p}" for p in range(3)]
    assert TAGGED.streams("alerts") == ["{wf}:alerts"]
    assert pipeline.streams(TAGGED)[:3] == TAGGED.streams("articles")


def test_the_classified_partitions_fall_in_different_slot_ranges() -> None:
    for partitions in (2, 3, 5):
        keys = Keys("wf", partitions=partitions)
        shares = [slot(s) * partitions // REDIS_CLUSTER_HASH_SLOTS for s in keys.streams("classified")]
        assert shares == list(range(partitions))


def test_keys_written_by_one_script_or_transaction_share_a_slot() -> None:
    keys = TAGGED
    for p in range(3):
        # ingest: dedupe-and-publish script
        assert one_slot(keys.seen_article("a"), keys.seen_content("h"),
                        keys.stream("articles", p), keys.metrics)
        # notifier: retry mover script; outcome MULTI/EXEC (markers, leases,
        # logs, retry schedule, counters, XACK) and failed-delivery replay
        assert one_slot(keys.retry_schedule_of(p), keys.retry_payloads, keys.stream("deliveries", p),
                        keys.delivered("d"), keys.sending("d"), keys.delivered_log,
                        keys.failed_deliveries, keys.metrics, *keys.retry_schedules())
    # story index script, alert history script, story throttle script
    assert one_slot(keys.story_buckets(1, 7), keys.story_buckets(2, 8), keys.story_article("a"))
    assert one_slot(keys.alerts, keys.alert_ids, keys.metrics)
    assert one_slot(keys.story_alerts("w", "s"), keys.event_alerts("w", "missile_test:kp"),
                    keys.throttled_alerts)
    # paused targets: failed-attempt, hold and resume scripts (with the outcome MULTI/EXEC)
    assert one_slot(keys.targets_failing, keys.targets_paused, keys.held_deliveries("w/t"),
                    keys.retry_schedule_of(2), keys.retry_payloads, keys.stream("deliveries", 1),
                    keys.delivered("d"))
    # watchlists, console labels, feed state: MULTI/EXEC
    assert one_slot(keys.watchlists, keys.watchlists_version, keys.feeds, keys.feed_state("f"),
                    keys.console_labels, keys.feed_lease("f"))


def test_articles_spread_over_partitions_and_keep_theirs() -> None:
    ids = [f"u-{n:06d}" for n in range(3000)]
    counts = Counter(TAGGED.partition_of(i) for i in ids)
    assert set(counts) == {0, 1, 2}
    assert min(counts.values()) > 800  # roughly even
    assert [Keys("wf", partitions=3).partition_of(i) for i in ids[:50]] == [
        TAGGED.partition_of(i) for i in ids[:50]]  # a pure function of the id
    with pytest.raises(ValueError, match="partition 3 out of range"):
        TAGGED.stream("articles", 3)


def test_workers_consume_every_partition(tmp_path: object) -> None:
    settings = Settings(_env_file=None, partitions=3, key_prefix="wf")
    runtime = Runtime(settings)
    classifier = classifier_parts(runtime, classifier=object())
    assert [c.stream for c in classifier.consumers] == TAGGED.streams("articles")
    notifier = notifier_parts(runtime, watchlists=[])
    assert [c.stream for c in notifier.consumers] == (
        TAGGED.streams("classified") + TAGGED.streams("deliveries"))
