"""The bench's scaling run: a shape with extra worker copies and partitions
runs as processes (every copy started) and its figures come out."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from watchfloor.services.bench.inputs import bench_inputs
from watchfloor.services.bench.pipeline_run import SECRET, Stack, run_repetition
from watchfloor.services.bench.receiver_proc import ReceiverProcess
from watchfloor.services.bench.scaling import Shape, run_shape
from watchfloor.services.classifier.taxonomy import known_tag_ids

from tests.redis_backend import ON_CLUSTER

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_shape_with_two_copies_and_partitions_runs_and_reports(redis_url, tmp_path: Path) -> None:
    with ReceiverProcess(tmp_path, SECRET) as receiver:
        figures = run_shape(Shape("cluster" if ON_CLUSTER else "single", partitions=2, copies=2), redis_url, receiver,
                            tmp_path, articles=40, timeout=120, graceful_timeout=20)
    assert (figures["partitions"], figures["classifier_copies"], figures["notifier_copies"]) == (2, 2, 2)
    assert figures["articles"] == 40
    assert figures["articles_per_s"] > 0
    cpu = figures["cpu_ms_per_article"]
    assert {"ingest", "classifier", "classifier#2", "notifier", "notifier#2"} <= set(cpu)


def test_the_pipeline_in_one_process_runs_and_reports_its_cpu(redis_url, tmp_path: Path) -> None:
    # `make bench --one-process`: what a small deployment (watchfloor up) costs
    if ON_CLUSTER:
        pytest.skip("watchfloor up on one Redis")
    with ReceiverProcess(tmp_path, SECRET) as receiver:
        source, burst, paced = bench_inputs(30, 5, "one-process")
        stack = Stack(redis_url, f"one-{time.time_ns()}", receiver, tmp_path,
                      sorted(known_tag_ids()), one_process=True)
        try:
            figures = run_repetition(stack, burst, paced, 20.0, 120)
        finally:
            exits = stack.stop(20)
    assert figures["burst"]["articles_new"] == 30 and figures["paced"]["articles_new"] == 5
    assert set(figures["burst"]["cpu_ms_per_article"]) == {"pipeline", "redis", "receiver", "total"}
    assert figures["burst"]["cpu_ms_per_article"]["pipeline"] > 0
    assert exits["pipeline"] is not None  # it exited on SIGTERM
