"""The classifier: article in, Classification out (tags, actors, figures).

A pure function of its inputs: no I/O after construction, no clock, no
environment. ``from_settings`` is the one place that reads files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.classifier.matcher import TagHit, TagMatcher
from services.classifier.taxonomy import Taxonomy, load_taxonomy
from shared.schemas import Actor, Article, Classification, Figure, Span, TagMatch

if TYPE_CHECKING:
    from shared.settings import Settings


def _extract_figures(title: str, text: str) -> list[Figure]:
    from services.classifier.figures import extract_figures

    return extract_figures(title, text)


class Classifier:
    def __init__(self, taxonomy: Taxonomy, gazetteer: Any | None = None) -> None:
        self.taxonomy = taxonomy
        self._matcher = TagMatcher(taxonomy)
        self._actors = None
        if gazetteer is not None:
            from services.classifier.actors import ActorExtractor

            self._actors = ActorExtractor(gazetteer)

    @classmethod
    def from_settings(cls, settings: Settings) -> Classifier:
        return cls.from_files(settings.taxonomy_file, settings.gazetteer_file)

    @classmethod
    def from_files(
        cls,
        taxonomy_file: Path | None = None,
        gazetteer_file: Path | None = None,
        with_gazetteer: bool = True,
    ) -> Classifier:
        taxonomy = load_taxonomy(taxonomy_file)
        gazetteer = None
        if with_gazetteer:
            from services.classifier.gazetteer import Gazetteer

            gazetteer = Gazetteer.load(gazetteer_file)
        return cls(taxonomy, gazetteer)

    @property
    def version(self) -> str:
        return self.taxonomy.version

    def classify(self, title: str, text: str) -> Classification:
        title = title or ""
        text = text or ""
        tags = [_tag_match(hit) for hit in self._matcher.match(title, text)]
        actors: list[Actor] = self._actors.extract(title, text) if self._actors else []
        figures = _figures(title, text)
        return Classification(
            tags=tags, actors=actors, figures=figures, classifier_version=self.version
        )

    def classify_article(self, article: Article) -> Classification:
        return self.classify(article.title, article.text)

    def tag_hits(self, title: str, text: str) -> list[TagHit]:
        """Tags only, with the rule that produced each (for eval and debugging)."""
        return self._matcher.match(title or "", text or "")


def _figures(title: str, text: str) -> list[Figure]:
    try:
        return _extract_figures(title, text)
    except ImportError:  # figures module not installed in this build
        return []


def _tag_match(hit: TagHit) -> TagMatch:
    sentence = hit.sentence
    return TagMatch(
        tag=hit.tag,
        confidence=hit.confidence,
        modality=hit.modality,
        evidence=sentence.text,
        evidence_span=Span(
            field=sentence.field, start=sentence.start, end=sentence.end, text=sentence.text
        ),
        triggers=[Span(field=t.field, start=t.start, end=t.end, text=t.text) for t in hit.triggers],
    )
