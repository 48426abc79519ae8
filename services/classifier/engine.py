"""The classifier: article in, Classification out (tags, actors, figures).

A pure function of its inputs: no I/O after construction, no clock, no
environment. ``from_settings`` is the one place that reads files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from watchfloor.services.classifier.matcher import TagHit, TagMatcher
from watchfloor.services.classifier.taxonomy import Taxonomy, load_taxonomy
from watchfloor.shared.schemas import (
    Actor,
    Article,
    Classification,
    Figure,
    Modality,
    Span,
    TagMatch,
)

if TYPE_CHECKING:
    from watchfloor.shared.settings import Settings


def _extract_figures(title: str, text: str) -> list[Figure]:
    from watchfloor.services.classifier.figures import extract_figures

    return extract_figures(title, text)


class Classifier:
    def __init__(self, taxonomy: Taxonomy, gazetteer: Any | None = None) -> None:
        self.taxonomy = taxonomy
        self._matcher = TagMatcher(taxonomy)
        self._actors = None
        if gazetteer is not None:
            from watchfloor.services.classifier.actors import ActorExtractor

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
            from watchfloor.services.classifier.gazetteer import Gazetteer

            gazetteer = Gazetteer.load(gazetteer_file)
        return cls(taxonomy, gazetteer)

    @property
    def version(self) -> str:
        return self.taxonomy.version

    def classify(self, title: str, text: str) -> Classification:
        title = title or ""
        text = text or ""
        hits = self._matcher.match(title, text)
        if (
            self._actors is not None
            and any(h.tag == DIPLOMATIC_VISIT for h in hits)
            and self._domestic_visit(title, text)
        ):
            hits = [h for h in hits if h.tag != DIPLOMATIC_VISIT]
        tags = [_tag_match(hit) for hit in hits]
        actors: list[Actor] = self._actors.extract(title, text) if self._actors else []
        # as the learned classifier: figures qualify a tag's event, and an
        # item without a tag never alerts
        figures = extract_figures_safely(title, text) if tags else []
        return Classification(
            tags=tags, actors=actors, figures=figures, classifier_version=self.version
        )

    def candidates(self, title: str, text: str) -> list[TagHit]:
        """Every tag's best rule hit at any confidence: negated, background and
        hypothetical ones too, flagged, for a verifier to weigh."""
        return self._matcher.match(title or "", text or "", floor=0.0)

    def modality_at(self, sentence: str, trigger: int, *, headline: bool = False) -> tuple[str, bool]:
        """(modality, negated) of an event word at ``trigger`` in ``sentence``."""
        return self._matcher.modality_at(sentence, trigger, headline=headline)

    def event_word(self, tag: str, sentence: str) -> tuple[int, int] | None:
        """Offsets of ``tag``'s first trigger word in ``sentence``, if any."""
        return self._matcher.event_word(tag, sentence)

    def actors(self, title: str, text: str) -> list[Actor]:
        return self._actors.extract(title or "", text or "") if self._actors else []

    @staticmethod
    def tag_match(hit: TagHit, confidence: float | None = None) -> TagMatch:
        """The published form of a rule hit, optionally with another confidence."""
        return _tag_match(hit, confidence)

    def _domestic_visit(self, title: str, text: str) -> bool:
        """Whether a "visit" stays inside one state: every state the item
        names (people count as the state they act for) is the same one, a
        city of it is named, and no foreign counterpart or summit appears
        ("the president visits a hospital in his capital", "the queen tours
        a ship in a port city"). Without a named place nothing is decided:
        the place visited may simply be missing from the gazetteer."""
        assert self._actors is not None
        joined = f"{title}\n{text}"
        states: set[str] = set()
        places: set[str] = set()
        for start, end, actor in self._actors.find(joined):
            if actor.kind == "organisation":
                return False  # NATO, the EU, the UN: an international setting
            state = actor.id if actor.kind == "country" else actor.country
            if state is None:
                continue
            states.add(state)
            if actor.kind == "country" and joined[start:end] in self._actors.gazetteer.places:
                places.add(state)
        lowered = joined.lower()
        if len(states) <= 1 and (
            any(cue in lowered for cue in _DOMESTIC_COUNTERPART_CUES) or _OWN_LEADER.search(lowered)
        ):
            # "talks with the country's prime minister", "to meet Army chiefs"
            return not any(cue in lowered for cue in _FOREIGN_CUES)
        if len(states) != 1:
            return False
        # a region of the state ("a visit to the restive province") stands in
        # for a named city when no other state appears
        if places != states and not any(cue in lowered for cue in _DOMESTIC_REGION_CUES):
            return False
        return not any(cue in lowered for cue in _FOREIGN_CUES)

    def classify_article(self, article: Article) -> Classification:
        return self.classify(article.title, article.text)


DIPLOMATIC_VISIT = "diplomatic_visit"
# a foreign side is present even when the gazetteer names only one state
_FOREIGN_CUES = (
    "counterpart",
    "summit",
    "foreign leader",
    "world leaders",
    "foreign minister",
    "delegation",
    "ambassador",
    "envoy",
    # a visiting head of government is foreign; the queen "visiting" a ship is not
    "visiting president",
    "visiting prime minister",
    "visiting foreign",
    "visiting leader",
    "visiting head",
    "visiting chinese",
    "visiting us ",
    "visiting u.s.",
    "state visit",
    "abroad",
    "overseas",
)
# the other side of the meeting is of the same state: its own government or
# its own military ("holding talks with the country's prime minister", "the
# defence secretary to meet Army chiefs")
_OWN_LEADER = re.compile(
    r"\b(?:the country's|his own|her own|its own)(?: [a-z-]+)? "
    r"(?:prime minister|president|premier|leader|government)"
)
_DOMESTIC_COUNTERPART_CUES = (
    "army chiefs",
    "military chiefs",
    "service chiefs",
    "defence chiefs",
    "defense chiefs",
    "military commanders",
    "army commanders",
    "party leaders",
    "regional leaders",
    "state governors",
    "provincial governors",
)
# the place visited is a part of the one state named: "a visit to the restive
# region", "toured the flooded province"
_DOMESTIC_REGION_CUES = (
    "restive",
    "province",
    "provincial",
    "region's",
    "regional governor",
    "breakaway region",
    "war-ravaged region",
)


def extract_figures_safely(title: str, text: str) -> list[Figure]:
    try:
        return _extract_figures(title, text)
    except ImportError:  # figures module not installed in this build
        return []


def _tag_match(hit: TagHit, confidence: float | None = None) -> TagMatch:
    sentence = hit.sentence
    return TagMatch(
        tag=hit.tag,
        confidence=hit.confidence if confidence is None else confidence,
        # the taxonomy's cue names are the schema's modalities (checked on load)
        modality=cast(Modality, hit.modality),
        evidence=sentence.text,
        evidence_span=Span(
            field=sentence.field, start=sentence.start, end=sentence.end, text=sentence.text
        ),
        triggers=[Span(field=t.field, start=t.start, end=t.end, text=t.text) for t in hit.triggers],
    )
