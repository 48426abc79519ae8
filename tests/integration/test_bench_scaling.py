"""The bench's scaling run: a shape with extra worker copies and partitions
runs as processes (every copy started) and its figures come out."""

from __future__ import annotations

from pathlib import Path

import pytest
from watchfloor.services.bench.pipeline_run import SECRET
from watchfloor.services.bench.receiver_proc import ReceiverProcess
from watchfloor.services.bench.scaling import Shape, run_shape

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
