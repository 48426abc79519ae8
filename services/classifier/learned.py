"""Rules propose, a learned verifier decides.

The rule engine (``engine.Classifier``) is the candidate generator: for each
tag its best sentence, rule, triggers and modality, at any confidence. The
verifier (``verifier.VerifierModel``) scores every tag from the item's words,
those candidates and the gazetteer's facts; a tag is emitted when its
calibrated probability clears the tag's threshold, and that probability is
the confidence. Evidence comes from the rule candidate; when no rule fired,
from the sentence the model weighs highest for the tag.
"""

from __future__ import annotations

import re
from typing import cast

from watchfloor.services.classifier.engine import Classifier, extract_figures_safely
from watchfloor.services.classifier.features import (
    ItemFeatures,
    item_features,
    tokens,
    word_features,
)
from watchfloor.services.classifier.matcher import TagHit, lower_same_length
from watchfloor.services.classifier.sentences import split_sentences
from watchfloor.services.classifier.verifier import VerifierModel
from watchfloor.shared.schemas import Actor, Article, Classification, Modality, Span, TagMatch


def verifier_features(
    rules: Classifier, title: str, text: str
) -> tuple[ItemFeatures, list[TagHit], list[Actor]]:
    """What the verifier sees of an item (also what training fits on)."""
    candidates = rules.candidates(title, text)
    actors = rules.actors(title, text)
    return item_features(title, text, candidates, actors), candidates, actors


class VerifiedClassifier:
    def __init__(self, rules: Classifier, model: VerifierModel) -> None:
        self.rules = rules
        self.model = model
        self._version = f"{rules.version}+model.{model.digest[:12]}"
        self._modelled = frozenset(model.tags)
        # a tag left out of the configured taxonomy is not emitted, even if
        # the model knows it: the taxonomy says which tags exist
        self._configured = frozenset(tag.id for tag in rules.taxonomy.tags)

    @property
    def version(self) -> str:
        return self._version

    def features(self, title: str, text: str) -> tuple[ItemFeatures, list[TagHit], list[Actor]]:
        return verifier_features(self.rules, title, text)

    def classify(self, title: str, text: str) -> Classification:
        title = title or ""
        text = text or ""
        features, candidates, actors = self.features(title, text)
        by_tag = {hit.tag: hit for hit in candidates}
        tags = []
        # a tag the model was not trained on (a custom taxonomy's) is the
        # rules' to decide, at the taxonomy's emit threshold
        threshold = self.rules.taxonomy.emit_threshold
        for hit in candidates:
            if hit.tag not in self._modelled and hit.confidence >= threshold:
                tags.append(self.rules.tag_match(hit))
        for score in self.model.emitted(features):
            if score.tag not in self._configured:
                continue
            confidence = round(score.probability, 3)
            candidate = by_tag.get(score.tag)
            if candidate is not None:
                tags.append(self.rules.tag_match(candidate, confidence))
            else:
                tags.append(self._model_evidence(score.tag, confidence, title, text))
        # Figures qualify a tag's event, and an item without a tag never
        # alerts: skip the costliest extraction for the four items in five
        # that get none.
        figures = extract_figures_safely(title, text) if tags else []
        return Classification(tags=tags, actors=actors, figures=figures,
                              classifier_version=self.version)

    def classify_article(self, article: Article) -> Classification:
        return self.classify(article.title, article.text)

    def _model_evidence(self, tag: str, confidence: float, title: str, text: str) -> TagMatch:
        """No rule fired: the sentence whose words push the tag most, and in it
        the tag's own event word when it has one ("visit"), else the word that
        pushes most, as the trigger."""
        best = None
        for sentence in split_sentences(title, text):
            weight = self.model.contribution(tag, word_features(sentence.text, ""))
            if best is None or weight > best[0]:
                best = (weight, sentence)
        assert best is not None  # an emitted tag has words
        sentence = best[1]
        source = title if sentence.field == "title" else text
        found = self.rules.event_word(tag, sentence.text)
        if found is None and (word := self._strongest_word(tag, sentence.text)):
            # the word itself, not a part of another ("sanctions" in
            # "antisanctions"), in a lowercase of the same length ("İ" is two)
            at = re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])",
                           lower_same_length(sentence.text))
            found = at.span() if at is not None else None
        triggers = []
        if found is not None:
            start, end = sentence.start + found[0], sentence.start + found[1]
            triggers.append(Span(field=sentence.field, start=start, end=end, text=source[start:end]))
        # the sentence's cues at the event's word, as for a rule's: "North
        # Korea will not launch a satellite, Seoul says"; "Pope to visit
        # Mongolia" (a headline's plan, whichever word the model weighs)
        modality, _ = self.rules.modality_at(sentence.text, found[0] if found else 0,
                                             headline=sentence.field == "title")
        return TagMatch(
            tag=tag, confidence=confidence, modality=cast(Modality, modality),
            evidence=sentence.text,
            evidence_span=Span(field=sentence.field, start=sentence.start, end=sentence.end,
                               text=sentence.text),
            triggers=triggers,
        )

    def _strongest_word(self, tag: str, sentence: str) -> str | None:
        best = None
        # in the sentence's order, so a tie goes to the first word whatever
        # the process's string hashing
        for word in dict.fromkeys(tokens(sentence)):
            if word == "#":
                continue
            weight = self.model.contribution(tag, {"w:" + word: 1.0, "t:" + word: 1.0})
            if weight > 0 and (best is None or weight > best[0]):
                best = (weight, word)
        return best[1] if best else None
