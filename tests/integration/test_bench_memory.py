"""The bench's memory figures: once the burst is drained, the workers'
maintenance empties the work queues and keeps what is read back, and the
bench reports the memory both right after the burst and once settled."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from watchfloor.services.bench.inputs import bench_inputs
from watchfloor.services.bench.pipeline_run import SECRET, Stack, run_repetition
from watchfloor.services.bench.receiver_proc import ReceiverProcess
from watchfloor.services.classifier.taxonomy import known_tag_ids
from watchfloor.shared import pipeline

from tests.redis_backend import ON_CLUSTER

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.skipif(ON_CLUSTER, reason="the bench's memory figure is that of a single Redis")
def test_work_queues_are_trimmed_and_the_settled_memory_is_reported(redis_url, tmp_path: Path) -> None:
    prefix = f"bench-memory-{int(time.time() * 1000)}"
    _, burst, _ = bench_inputs(60, 0, prefix)
    with ReceiverProcess(tmp_path, SECRET) as receiver:
        stack = Stack(redis_url, prefix, receiver, tmp_path, sorted(known_tag_ids()))
        try:
            result = run_repetition(stack, burst, [], 0.0, timeout=120)
            kept = pipeline.kept_streams(stack.keys)
            lengths = {stream: stack.redis.xlen(stream) for stream, _ in pipeline.consumed(stack.keys)}
            untagged = stack.redis.xlen(stack.keys.untagged)
        finally:
            stack.stop(20)
    assert result["burst"]["articles_new"] == 60
    assert all(n == 0 for s, n in lengths.items() if s not in kept), lengths
    # read back by the console, so kept: the tagged articles the notifier read,
    # and the record of the untagged ones beside them
    assert sum(lengths[s] for s in kept) + untagged == 60
    assert 0 < untagged < 60
    # (the figures themselves: a 60-article burst on the suite's shared Redis
    # is far below the noise of other tests' keys coming and going)
    assert {"redis_mb_per_10k_articles", "redis_mb_per_10k_articles_settled"} <= result.keys()
