"""Classifier worker: the ``classify`` stage (articles -> classified, see
``shared/pipeline.py``)."""

from __future__ import annotations

from typing import Any

from structlog.contextvars import bound_contextvars
from watchfloor.shared.logging import get_logger
from watchfloor.shared.pipeline import stage
from watchfloor.shared.replication import Replication, replicated
from watchfloor.shared.schemas import Article, ClassifiedArticle
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.consumer import (
    BatchHandler,
    Incoming,
    ItemFailure,
    StreamConsumer,
)
from watchfloor.shared.streams.metrics import INGEST_TO_CLASSIFIED, observe_latency
from watchfloor.shared.streams.publish import publish
from watchfloor.shared.streams.worker import Runtime, WorkerApp, WorkerParts, create_worker_app

log = get_logger("watchfloor.classifier")
CLASSIFY = stage("classify")


def classifier_parts(runtime: Runtime, classifier: Any = None) -> WorkerParts:
    if classifier is None:
        from watchfloor.services.classifier.factory import build_classifier

        classifier = build_classifier(runtime.settings)
    keys = runtime.keys
    replication = Replication.from_settings(runtime.settings)

    def handler(output: str) -> BatchHandler[Article]:
        """Partition p's articles are classified onto partition p's stream."""

        async def handle(batch: list[Incoming[Article]]) -> list[ItemFailure]:
            return await classify_batch(batch, output)

        return handle

    async def classify_batch(batch: list[Incoming[Article]], output: str) -> list[ItemFailure]:
        results: list[ClassifiedArticle] = []
        failures: list[ItemFailure] = []
        for item in batch:
            article = item.message
            with bound_contextvars(article_id=article.id):
                try:
                    classification = classifier.classify_article(article)
                except Exception as exc:  # a rule bug on this input: retrying will not help
                    log.error("classification_failed", error=repr(exc))
                    failures.append(ItemFailure(item.entry_id, f"classifier error: {exc!r}"))
                    continue
                log.debug("article_classified", tags=classification.tag_ids)
            results.append(ClassifiedArticle(article=article, classification=classification))
        # confirmed by a replica before the batch is acknowledged
        async with replicated(runtime.redis, keys.probe(output), replication):
            await publish(runtime.redis, output, results)
        await runtime.redis.hincrby(keys.metrics, "classified", len(results))
        for result in results:
            observe_latency(INGEST_TO_CLASSIFIED, result.article.ingested_at, result.classified_at)
        return failures

    return WorkerParts(
        name=CLASSIFY.worker,
        consumers=[
            StreamConsumer(stream, group, Article, handler(CLASSIFY.writes(keys, partition)))
            for partition, (stream, group) in enumerate(CLASSIFY.reads_all(keys))
        ],
    )


def create_app(settings: Settings) -> WorkerApp:
    return create_worker_app(settings, [classifier_parts])
