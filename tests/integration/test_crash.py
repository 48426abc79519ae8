"""A classifier process is SIGKILLed while it holds pending entries: its work
is reclaimed by the other copy, every article still reaches the notifier, and
the receiver gets each alert exactly once."""

from __future__ import annotations

import collections
import time

import pytest
import redis
from watchfloor.services.bench.worker_proc import WorkerProcess, worker_env
from watchfloor.shared.pipeline import stage
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.schemas import ClassifiedArticle
from watchfloor.shared.streams.codec import decode
from watchfloor.shared.streams.groups import id_order

from tests.integration.faults import (
    SECRET,
    delivered_article_ids,
    missile_article,
    publish_articles,
    write_watchlists,
)
from tests.redis_backend import sync_redis

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CLASSIFIER_GROUP = stage("classify").group

ARTICLES = 600


def test_killed_classifier_loses_nothing_and_duplicates_nothing(
    redis_url, key_prefix, keys, receiver, tmp_path
):
    receiver.secrets = {"/alerts": SECRET}
    client = sync_redis(redis_url)
    extra = {"watchlists_file": str(write_watchlists(tmp_path)), "batch_size": "25"}
    env = lambda name: {**worker_env(redis_url, key_prefix, name, **extra),  # noqa: E731
                        "RECEIVER": receiver.url("")}
    # long articles, so a batch takes long enough to be caught holding entries
    publish_articles(client, keys.articles, [missile_article(i, 60) for i in range(ARTICLES)])

    victim = WorkerProcess("classifier", env("crash-victim"), tmp_path, "-victim")
    survivor = WorkerProcess("classifier", env("crash-survivor"), tmp_path, "-survivor")
    notifier = WorkerProcess("notifier", env("crash-notifier"), tmp_path)
    procs = [victim, survivor, notifier]
    try:
        for proc in procs:
            proc.start()

        held: list = []
        deadline = time.monotonic() + 60
        while not held and time.monotonic() < deadline:
            try:
                held = client.xpending_range(keys.articles, CLASSIFIER_GROUP, "-", "+", 1000,
                                             consumername="crash-victim")
            except redis.ResponseError:  # group not created yet
                held = []
            if not victim.alive():
                break
            time.sleep(0.005)
        assert held, "the victim never held pending entries:\n" + victim.log_tail()
        victim.kill()
        held_ids = {e["message_id"] for e in held}

        assert receiver.wait_for(ARTICLES, timeout=90), (
            f"{len(receiver.delivered())}/{ARTICLES} delivered\n" + survivor.log_tail())
        time.sleep(2)  # room for a duplicate to show up

        counts = collections.Counter(delivered_article_ids(receiver))
        assert len(counts) == ARTICLES
        assert max(counts.values()) == 1, [a for a, n in counts.items() if n > 1][:5]
        assert all(r.verified for r in receiver.delivered())
        still_pending = client.xpending_range(keys.articles, CLASSIFIER_GROUP, "-", "+", 1000)
        assert not {e["message_id"] for e in still_pending} & held_ids
        assert client.xlen(keys.dead_letters) == 0
    finally:
        for proc in procs:
            proc.stop()
        client.close()


def test_sigterm_stops_cleanly_and_the_rest_is_finished_by_a_new_copy(
    redis_url, key_prefix, keys, receiver, tmp_path
):
    receiver.secrets = {"/alerts": SECRET}
    client = sync_redis(redis_url)
    extra = {"watchlists_file": str(write_watchlists(tmp_path)), "batch_size": "25"}
    env = lambda name: {**worker_env(redis_url, key_prefix, name, **extra),  # noqa: E731
                        "RECEIVER": receiver.url("")}
    total = 400
    articles = [missile_article(i, 60) for i in range(total)]
    entry_ids = publish_articles(client, keys.articles, articles)
    first = WorkerProcess("classifier", env("term-first"), tmp_path, "-first")
    second = WorkerProcess("classifier", env("term-second"), tmp_path, "-second")
    notifier = WorkerProcess("notifier", env("term-notifier"), tmp_path)
    try:
        first.start()
        notifier.start()
        deadline = time.monotonic() + 60
        while client.xlen(keys.classified) < 50 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert first.stop(timeout=20) == 0, first.log_tail()  # SIGTERM
        assert "worker_stopped" in first.log_path.read_text()
        # every entry the first copy acknowledged was classified: nothing half-done
        # (read from the ids published: the queue trims what was acknowledged)
        group = client.xinfo_groups(keys.articles)[0]
        pending = {as_str(e["message_id"]) for e in client.xpending_range(
            keys.articles, CLASSIFIER_GROUP, "-", "+", 1000)}
        delivered_up_to = id_order(as_str(group["last-delivered-id"]))
        acked = {
            article.id for article, entry_id in zip(articles, entry_ids, strict=True)
            if id_order(entry_id) <= delivered_up_to and entry_id not in pending
        }
        classified = {decode(f, ClassifiedArticle).article.id for _, f in client.xrange(keys.classified)}
        assert len(acked) >= 50
        assert acked <= classified

        second.start()
        assert receiver.wait_for(total, timeout=90), second.log_tail()
        time.sleep(1.5)
        counts = collections.Counter(delivered_article_ids(receiver))
        assert len(counts) == total and max(counts.values()) == 1
    finally:
        for proc in (first, second, notifier):
            proc.stop()
        client.close()
