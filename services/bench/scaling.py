"""The scaling run of ``make bench``: end-to-end throughput as the pipeline
grows, one JSON line.

    python -m watchfloor.services.bench --scaling [--scaling-articles 2000]

The same burst (articles from the real pool, else the samples) goes through
the three workers in each shape: one and two classifier and notifier copies
on one Redis; one and three partitions on a local Redis Cluster (3 masters,
3 replicas, ``shared/redis_cluster.py``), with one and with two copies. Each
shape starts afresh on its own key prefix; figures are those of the bench
(``pipeline_run``): new articles per second from the first POST to the last
webhook, CPU ms per article per process (every redis-server of the cluster:
``redis#1``...).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchfloor.services.bench.inputs import bench_inputs
from watchfloor.services.bench.pipeline_run import Stack, run_repetition
from watchfloor.services.bench.receiver_proc import ReceiverProcess
from watchfloor.services.classifier.taxonomy import known_tag_ids
from watchfloor.shared.redis_cluster import LocalRedisCluster
from watchfloor.shared.redis_server import LocalRedisServer


@dataclass(frozen=True)
class Shape:
    redis: str  # "single" or "cluster"
    partitions: int
    copies: int  # classifier and notifier processes each (ingest: one)


SHAPES = (
    Shape("single", 1, 1),
    Shape("single", 1, 2),
    Shape("cluster", 1, 1),
    Shape("cluster", 3, 1),
    Shape("cluster", 3, 2),
)


def run_shape(shape: Shape, url: str, receiver: ReceiverProcess, workdir: Path,
              articles: int, timeout: float, graceful_timeout: float,
              cluster_pids: list[int] | None = None) -> dict[str, Any]:
    prefix = f"scale-{shape.redis}-{shape.partitions}p-{shape.copies}c-{int(time.time())}"
    source, burst, _ = bench_inputs(articles, 0, prefix)
    stack = Stack(url, prefix, receiver, workdir, sorted(known_tag_ids()),
                  copies={"classifier": shape.copies, "notifier": shape.copies},
                  partitions=shape.partitions, cluster=shape.redis == "cluster",
                  cluster_pids=cluster_pids)
    try:
        figures = run_repetition(stack, burst, [], 0.0, timeout)["burst"]
    finally:
        stack.stop(graceful_timeout)
    cpu = figures.get("cpu_ms_per_article") or {}
    return {
        "redis": shape.redis, "partitions": shape.partitions,
        "classifier_copies": shape.copies, "notifier_copies": shape.copies,
        "input": source, "articles": figures.get("articles_new"),
        "articles_per_s": figures.get("articles_per_s"),
        "latency_ms_post_to_webhook_p50": (figures.get("latency_ms_post_to_webhook") or {}).get("p50"),
        "cpu_ms_per_article": cpu,
    }


def run_scaling(args: argparse.Namespace, secret: str) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="watchfloor-scaling-") as tmp:
        workdir = Path(tmp)
        with ReceiverProcess(workdir, secret) as receiver, \
                LocalRedisServer(workdir / "redis", persist=False) as single, \
                LocalRedisCluster(workdir / "cluster") as cluster:
            for shape in SHAPES:
                on_cluster = shape.redis == "cluster"
                pids = [n.proc.pid for n in cluster.nodes if n.proc] if on_cluster else None
                runs.append(run_shape(shape, cluster.url if on_cluster else single.url, receiver,
                                      workdir, args.scaling_articles, args.timeout,
                                      args.graceful_timeout, pids))
    base = runs[0]["articles_per_s"] or 0
    for run in runs:
        run["speedup_over_one_copy_single_redis"] = (
            round(run["articles_per_s"] / base, 2) if base and run["articles_per_s"] else None)
    return {"scaling": runs, "cpus": _cpus(),
            "note": "throughput = new articles / (last webhook - first POST); one machine"}


def _cpus() -> int | None:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
