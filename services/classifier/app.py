"""Classifier worker: the ``classify`` stage (articles -> classified, see
``shared/pipeline.py``)."""

from __future__ import annotations

import logging
from typing import Any

from watchfloor.services.classifier import NATIVE
from watchfloor.shared.logging import get_logger
from watchfloor.shared.pipeline import stage
from watchfloor.shared.replication import Replication
from watchfloor.shared.schemas import Article, ClassifiedArticle
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.acknowledge import recorded_then_acked
from watchfloor.shared.streams.consumer import (
    BatchHandler,
    Incoming,
    ItemFailure,
    StreamConsumer,
    succeeded,
)
from watchfloor.shared.streams.metrics import INGEST_TO_CLASSIFIED, observe_latency
from watchfloor.shared.streams.publish import queue_publish, queue_record
from watchfloor.shared.streams.worker import Runtime, WorkerApp, WorkerParts, create_worker_app

log = get_logger("watchfloor.classifier")
CLASSIFY = stage("classify")


def classifier_parts(runtime: Runtime, classifier: Any = None) -> WorkerParts:
    if classifier is None:
        from watchfloor.services.classifier.factory import build_classifier

        classifier = build_classifier(runtime.settings)
        # whether the per-item modules run compiled (native.py): operators see it
        log.info("classifier_loaded", version=classifier.version, compiled=NATIVE)
    settings, keys = runtime.settings, runtime.keys
    replication = Replication.from_settings(settings)

    def handler(source: tuple[str, str], partition: int) -> BatchHandler[Article]:
        """Partition p's articles are classified onto partition p's streams."""
        output, untagged = CLASSIFY.writes(keys, partition), CLASSIFY.records(keys, partition)

        async def handle(batch: list[Incoming[Article]]) -> list[ItemFailure]:
            return await classify_batch(batch, source, output, untagged)

        return handle

    async def classify_batch(batch: list[Incoming[Article]], source: tuple[str, str],
                             output: str, untagged: str) -> list[ItemFailure]:
        results: list[ClassifiedArticle] = []
        failures: list[ItemFailure] = []
        # Asked once a batch: a log call costs a few microseconds even when
        # its level is off (the lazy logger binds anew on every call).
        debug = log.is_enabled_for(logging.DEBUG)
        for item in batch:
            article = item.message
            try:
                classification = classifier.classify_article(article)
            except Exception as exc:  # a rule bug on this input: retrying will not help
                log.error("classification_failed", article_id=article.id, error=repr(exc))
                failures.append(ItemFailure(item.entry_id, f"classifier error: {exc!r}"))
                continue
            if debug:
                log.debug("article_classified", article_id=article.id,
                          tags=classification.tag_ids)
            results.append(ClassifiedArticle(article=article, classification=classification))
        # The failures are dead-lettered and acknowledged by the consumer;
        # the rest with their results (confirmed by a replica first, if asked).
        # An article without a tag can match no watchlist: it is recorded for
        # the console, and the notifier never reads it.
        async with recorded_then_acked(runtime.redis, source, succeeded(batch, failures),
                                       probe=keys.probe(output), replication=replication,
                                       cluster=settings.redis_cluster) as pipe:
            queue_publish(pipe, [(output, r) for r in results if r.classification.tags])
            queue_record(pipe, untagged, [r for r in results if not r.classification.tags],
                         maxlen=settings.stream_maxlen)
            if results:
                pipe.hincrby(keys.metrics, "classified", len(results))
        for result in results:
            observe_latency(INGEST_TO_CLASSIFIED, result.article.ingested_at, result.classified_at)
        return failures

    return WorkerParts(
        name=CLASSIFY.worker,
        consumers=[
            StreamConsumer(stream, group, Article,
                           handler((stream, group), partition),
                           acks_itself=True)
            for partition, (stream, group) in enumerate(CLASSIFY.reads_all(keys))
        ],
    )


def create_app(settings: Settings) -> WorkerApp:
    return create_worker_app(settings, [classifier_parts])
