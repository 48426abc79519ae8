"""The pipeline table: consistent, unchanged key and group names, and the one
place the workers, the CLI and status read their streams from."""

from __future__ import annotations

from pathlib import Path

import pytest
from watchfloor.services.classifier.app import classifier_parts
from watchfloor.services.cli.common import parts_builder
from watchfloor.services.notifier.app import notifier_parts
from watchfloor.shared import pipeline
from watchfloor.shared.keys import Keys
from watchfloor.shared.schemas import Article, Classification
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.worker import Runtime

KEYS = Keys("watchfloor")


def test_stream_and_group_names_are_the_ones_in_use() -> None:
    assert pipeline.consumed(KEYS) == [
        ("watchfloor:articles", "classifier"),
        ("watchfloor:classified", "notifier"),
        ("watchfloor:deliveries", "delivery"),
    ]
    assert pipeline.streams(KEYS) == [KEYS.articles, KEYS.classified, "watchfloor:untagged",
                                      KEYS.deliveries, KEYS.alerts]
    assert pipeline.streams(KEYS) == [
        "watchfloor:articles", "watchfloor:classified", "watchfloor:untagged",
        "watchfloor:deliveries", "watchfloor:alerts",
    ]
    # ingest's publisher and the notifier's retries write these by name
    assert pipeline.stage("ingest").writes(KEYS) == KEYS.articles
    assert pipeline.stage("match").writes(KEYS) == KEYS.deliveries
    assert pipeline.stage("match").records(KEYS) == KEYS.alerts
    assert pipeline.stage("classify").records(KEYS) == "watchfloor:untagged"
    # partitioned: beside each partition's classified stream, in its hash slot
    two = Keys("watchfloor", partitions=2)
    for partition in (0, 1):
        classified = pipeline.stage("classify").writes(two, partition)
        untagged = pipeline.stage("classify").records(two, partition)
        assert untagged == classified.replace(":classified:", ":untagged:")


def test_every_stream_read_is_written_by_an_earlier_stage() -> None:
    written: set[str] = set()
    for stage in pipeline.STAGES:
        if stage.input is not None:
            assert stage.input in written, f"{stage.name} reads {stage.input}, which nothing wrote"
            assert stage.group, f"{stage.name} reads without a consumer group"
        if stage.output is not None:
            written.add(stage.output)


def test_names_are_unique_and_every_worker_runs_a_stage() -> None:
    stages = [s.name for s in pipeline.STAGES]
    groups = [s.group for s in pipeline.STAGES if s.group]
    assert len(set(stages)) == len(stages)
    assert len(set(groups)) == len(groups)
    assert pipeline.worker_names() == ["ingest", "classifier", "notifier"]
    assert {s.worker for s in pipeline.STAGES} == set(pipeline.worker_names())


def test_every_worker_parts_factory_can_be_loaded() -> None:
    for name in pipeline.worker_names():
        assert callable(parts_builder(name))
    with pytest.raises(KeyError):
        parts_builder("publisher")


def test_a_stage_says_clearly_what_it_does_not_have() -> None:
    with pytest.raises(ValueError, match="'ingest' reads no stream"):
        pipeline.stage("ingest").reads(KEYS)
    with pytest.raises(ValueError, match="'deliver' writes no stream"):
        pipeline.stage("deliver").writes(KEYS)
    with pytest.raises(KeyError):
        pipeline.stage("cluster")


class NoTags:
    def classify_article(self, article: Article) -> Classification:
        return Classification(classifier_version="none-1")


def test_the_workers_consume_what_the_table_says(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, redis_url="redis://127.0.0.1:1/0", key_prefix="wf-t",
                        data_dir=tmp_path, watchlists_file=None)
    runtime = Runtime(settings)  # no connection is made
    parts = [classifier_parts(runtime, NoTags()), notifier_parts(runtime, watchlists=[])]
    consumed = [(c.stream, c.group) for p in parts for c in p.consumers]
    assert consumed == pipeline.consumed(Keys("wf-t"))
    assert [p.name for p in parts] == ["classifier", "notifier"]
