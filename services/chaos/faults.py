"""The faults, each a ``begin`` and an ``end`` around a hold time.

- ``kill_<worker>``: SIGKILL the worker process (when it holds pending
  entries, if it reads a stream), start it again ``restart_after_s`` later,
  as an orchestrator would; its entries are reclaimed by the new process.
- ``restart_redis``: SIGKILL redis-server, start it again on the same port
  and folder; it runs with appendonly and appendfsync always, so everything
  it acknowledged is replayed from the AOF.
- ``receiver_down``: the receiver stops listening (connection refused, kept
  alive connections dropped) for ``receiver_down_s``.
- ``receiver_hang``: the receiver accepts and reads requests but never
  answers, for ``receiver_hang_s``.
- ``failover_master`` (on a local Redis Cluster): SIGKILL a master; its
  replica is promoted by the cluster's failover.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from watchfloor.services.bench.pipeline_run import Stack
from watchfloor.services.receiver import WebhookReceiver
from watchfloor.shared import pipeline
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_cluster import ClusterNode, LocalRedisCluster
from watchfloor.shared.redis_server import LocalRedisServer

#: How long a kill waits for its victim to hold pending entries.
HOLDING_WAIT_S = 3.0


@dataclass
class Targets:
    """What the faults act on."""

    stack: Stack
    redis: LocalRedisServer | LocalRedisCluster
    receiver: WebhookReceiver


@dataclass(frozen=True)
class Fault:
    name: str
    hold_s: float
    # each returns details for the report
    begin: Callable[[Targets], dict[str, Any]]
    end: Callable[[Targets], dict[str, Any]]
    # after ``end``: ready to work again (a restarted worker's start-up is timed apart)
    ready: Callable[[Targets], bool] | None = None
    on_cluster: bool = False  # needs a Redis Cluster (``Targets.redis`` is one)


def held_entries(stack: Stack, worker: str, consumer: str) -> int:
    """Entries pending on ``consumer`` in the groups ``worker`` reads."""
    held = 0
    for stage in pipeline.STAGES:
        if stage.worker != worker or stage.input is None:
            continue
        for stream, group in stage.reads_all(stack.keys):
            try:
                held += len(stack.redis.xpending_range(stream, group, "-", "+", 10_000,
                                                       consumername=consumer))
            except (redis.ResponseError, redis.ConnectionError):  # no group yet; Redis just back
                continue
    return held


def kill_worker(name: str, restart_after_s: float) -> Fault:
    def begin(targets: Targets) -> dict[str, Any]:
        worker = targets.stack.procs[name]
        consumer = f"{socket.gethostname()}-{worker.pid}"
        held = 0
        deadline = time.monotonic() + HOLDING_WAIT_S
        while name != "ingest" and time.monotonic() < deadline:
            held = held_entries(targets.stack, name, consumer)
            if held:
                break
            time.sleep(0.01)
        worker.kill()
        return {"victim_held_entries": held} if name != "ingest" else {}

    def end(targets: Targets) -> dict[str, Any]:
        targets.stack.procs[name].start()
        return {}

    return Fault(f"kill_{name}", restart_after_s, begin, end,
                 ready=lambda targets: targets.stack.ready(name))


def restart_redis(down_s: float) -> Fault:
    def begin(targets: Targets) -> dict[str, Any]:
        targets.redis.kill()
        return {}

    def end(targets: Targets) -> dict[str, Any]:
        targets.redis.start(timeout=60)
        return {}

    return Fault("restart_redis", down_s, begin, end)


def receiver_down(seconds: float) -> Fault:
    def begin(targets: Targets) -> dict[str, Any]:
        targets.receiver.stop()
        return {}

    def end(targets: Targets) -> dict[str, Any]:
        targets.receiver.start()
        return {}

    return Fault("receiver_down", seconds, begin, end)


def receiver_hang(seconds: float) -> Fault:
    def begin(targets: Targets) -> dict[str, Any]:
        targets.receiver.hang()
        return {}

    def end(targets: Targets) -> dict[str, Any]:
        targets.receiver.answer()
        return {"requests_left_unanswered": targets.receiver.hung}

    return Fault("receiver_hang", seconds, begin, end)


def failover_master() -> Fault:
    """SIGKILL the cluster master that holds the global hash slot (the articles
    and deliveries streams, the delivery state). The cluster promotes its
    replica; then, as an orchestrator would, the killed node is started
    again and rejoins as the new master's replica. Until it has, that master
    has no replica to confirm writes (``shared/replication.py``), so work
    there waits: the fault lasts until the node has rejoined."""
    killed: list[ClusterNode] = []

    def begin(targets: Targets) -> dict[str, Any]:
        cluster = _cluster(targets)
        node = cluster.master_of(Keys(targets.stack.keys.prefix, cluster=True).base)
        cluster.kill(node)
        killed.append(node)
        return {}

    def end(targets: Targets) -> dict[str, Any]:
        cluster = _cluster(targets)
        began = time.monotonic()
        cluster.wait_healthy(timeout=60)
        promoted = time.monotonic()
        cluster.restart(killed.pop(), timeout=60)
        return {"replica_promoted_s": round(promoted - began, 2),
                "rejoined_as_replica_s": round(time.monotonic() - began, 2)}

    return Fault("failover_master", 0.0, begin, end, on_cluster=True)


def _cluster(targets: Targets) -> LocalRedisCluster:
    if not isinstance(targets.redis, LocalRedisCluster):
        raise TypeError("failover_master needs the chaos run's Redis Cluster")
    return targets.redis


FAULT_NAMES = ("kill_ingest", "kill_classifier", "kill_notifier", "restart_redis",
               "receiver_down", "receiver_hang", "failover_master")


def build_faults(names: list[str], *, restart_after_s: float, redis_down_s: float,
                 receiver_down_s: float, receiver_hang_s: float) -> list[Fault]:
    """The faults named, in the order given; KeyError names an unknown one."""
    factories: dict[str, Callable[[], Fault]] = {
        "kill_ingest": lambda: kill_worker("ingest", restart_after_s),
        "kill_classifier": lambda: kill_worker("classifier", restart_after_s),
        "kill_notifier": lambda: kill_worker("notifier", restart_after_s),
        "restart_redis": lambda: restart_redis(redis_down_s),
        "receiver_down": lambda: receiver_down(receiver_down_s),
        "receiver_hang": lambda: receiver_hang(receiver_hang_s),
        "failover_master": failover_master,
    }
    return [factories[name]() for name in names]
