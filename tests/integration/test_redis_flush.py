"""Redis is flushed under running workers (as after a restart without
persistence): they re-create their groups and keep consuming, without a
manual step and without exiting."""

from __future__ import annotations

import time

import pytest
import redis
from watchfloor.services.bench.worker_proc import WorkerProcess, worker_env
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_server import LocalRedisServer

from tests.integration.faults import (
    SECRET,
    delivered_article_ids,
    missile_article,
    publish_articles,
    write_watchlists,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# a single redis-server of the test's own, whichever Redis the suite runs on
ON_ITS_OWN_REDIS = {"redis_cluster": "false", "partitions": "1"}


def test_workers_survive_flushall_and_keep_consuming(receiver, tmp_path):
    receiver.secrets = {"/alerts": SECRET}
    with LocalRedisServer(tmp_path / "redis", persist=False) as server:
        client = redis.Redis.from_url(server.url)
        keys = Keys("flushtest")
        extra = {"watchlists_file": str(write_watchlists(tmp_path)), **ON_ITS_OWN_REDIS}
        procs = [
            WorkerProcess(name, {**worker_env(server.url, keys.prefix, f"flush-{name}", **extra),
                                 "RECEIVER": receiver.url("")}, tmp_path)
            for name in ("classifier", "notifier")
        ]
        try:
            for proc in procs:
                proc.start()
            publish_articles(client, keys.articles, [missile_article(i) for i in range(5)])
            assert receiver.wait_for(5, timeout=30), procs[0].log_tail()

            client.flushall()
            time.sleep(0.5)
            publish_articles(client, keys.articles, [missile_article(i) for i in range(5, 10)])

            assert receiver.wait_for(10, timeout=40), "\n".join(p.log_tail() for p in procs)
            assert all(p.alive() for p in procs), "a worker exited after the flush"
            assert sorted(delivered_article_ids(receiver)) == [f"fault-{i:05d}" for i in range(10)]
            logs = procs[0].log_path.read_text()
            # once at start-up, and again after the flush
            assert logs.count("consumer_group_created") >= 2, procs[0].log_tail()
        finally:
            for proc in procs:
                proc.stop()
            client.close()


def test_workers_survive_a_redis_restart_without_persistence(receiver, tmp_path):
    receiver.secrets = {"/alerts": SECRET}
    server = LocalRedisServer(tmp_path / "redis", persist=False).start()
    keys = Keys("restarttest")
    extra = {"watchlists_file": str(write_watchlists(tmp_path)), **ON_ITS_OWN_REDIS}
    procs = [
        WorkerProcess(name, {**worker_env(server.url, keys.prefix, f"restart-{name}", **extra),
                             "RECEIVER": receiver.url("")}, tmp_path)
        for name in ("classifier", "notifier")
    ]
    try:
        for proc in procs:
            proc.start()
        client = redis.Redis.from_url(server.url)
        publish_articles(client, keys.articles, [missile_article(i) for i in range(3)])
        assert receiver.wait_for(3, timeout=30), procs[0].log_tail()
        client.close()

        server.stop()  # everything in Redis is gone; workers see connection errors
        time.sleep(1.0)
        server = LocalRedisServer(tmp_path / "redis", port=server.port, persist=False).start()
        client = redis.Redis.from_url(server.url)
        publish_articles(client, keys.articles, [missile_article(i) for i in range(3, 6)])

        assert receiver.wait_for(6, timeout=60), "\n".join(p.log_tail() for p in procs)
        assert all(p.alive() for p in procs), "a worker exited after the restart"
        client.close()
    finally:
        for proc in procs:
            proc.stop()
        server.stop()
