"""What the learned verifier sees of an article: sparse named features.

The same code serves training and classification, so the model never sees
anything at run time that it was not trained on. Each tag is judged on:

- ``shared``: the headline's words and word classes, and gazetteer facts
  (how many states the item names, international bodies);
- when the rules found a candidate for the tag: the candidate itself (that
  one fired, which rule, its modality, negation, background, confidence,
  trigger words) and the words of its evidence sentence. Judging the
  sentence that carries the event, not the whole item, keeps a long article
  that reports several events from diluting each of them;
- otherwise ``lead``: the words of the headline and the first
  ``LEAD_WORDS`` of the text, where a missed phrasing would show.

Words are folded to lower case, numbers to ``#``; ``concepts`` adds word
classes and their pairs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, TypeVar

from watchfloor.services.classifier.concepts import concept_features, concepts_of
from watchfloor.services.classifier.matcher import TagHit
from watchfloor.services.classifier.modality import CONFIDENCE_FACTOR, NEGATION_FACTOR
from watchfloor.shared.schemas import Actor

_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_DIGIT = re.compile(r"\d")
# Words too common to say anything alone; pairs still keep them in context.
_STOPWORDS = frozenset([
    "a", "an", "the", "of", "to", "in", "on", "at", "for", "and", "or", "but", "is", "are",
    "was", "were", "be", "been", "by", "with", "as", "from", "that", "this", "it", "its", "his",
    "her", "their", "has", "have", "had", "will", "would", "said", "says",
])
# The only features with a value other than 1.0 (the verifier's sums count
# every other feature present as 1.0 without looking at its value).
VALUED_FEATURES = ("rc:cand",)
# The model learns from headlines with a standfirst (~35 words); a full
# article's lead is what resembles them.
LEAD_WORDS = 60


def tokens(value: str) -> list[str]:
    """Lower-case words; a word with a digit in it ("2023", "f-16") is "#"."""
    return [word if word.isalpha() else ("#" if _DIGIT.search(word) else word)
            for word in _TOKEN.findall(value.lower())]


def first_tokens(value: str, count: int) -> list[str]:
    """``tokens(value)[:count]`` without reading a long text to its end: the
    words of a prefix, when it holds more than ``count`` of them (only the
    last word of a prefix can be cut short)."""
    chars = count * 16
    while chars < len(value):
        found = tokens(value[:chars])
        if len(found) > count:
            return found[:count]
        chars *= 4
    return tokens(value)[:count]


def words_features(words: Sequence[str], found: dict[str, float]) -> dict[str, float]:
    """Words (``w:``), word pairs (``b:``), word classes and their pairs."""
    previous = "^"
    for word in words:
        if word not in _STOPWORDS:
            found["w:" + word] = 1.0
        found[f"b:{previous}_{word}"] = 1.0
        previous = word
    found.update(concept_features([list(words)], ()))
    return found


V = TypeVar("V")


class KnownWordFeatures(Generic[V]):
    """``words_features`` restricted to the features a model knows, found
    without building the name of each one it does not (most word pairs of a
    text are unknown to it): ``present(words)`` returns the known features'
    values from ``known``, in the order ``words_features`` would add them,
    so sums over them are the same to the last bit."""

    def __init__(self, known: Mapping[str, V]) -> None:
        # first word -> second -> (the pair's feature name, value)
        pairs: dict[str, dict[str, tuple[str, V]]] = {}
        for name, value in known.items():
            if name.startswith("b:"):
                first, _, second = name[2:].partition("_")  # tokens hold no "_"
                pairs.setdefault(first, {})[second] = (name, value)
        self._start = pairs.get("^")
        # word -> (its own feature or None, the pairs it starts or None, its
        # word classes): one lookup per word of a text. A word absent here
        # has no feature and starts no known pair; only its classes are read.
        words = {name[2:] for name in known if name.startswith("w:")} | set(pairs)
        self._words: dict[str, tuple[tuple[str, V] | None, dict | None, frozenset[str]]] = {}
        for word in words:
            name = "w:" + word
            own = (name, known[name]) if name in known and word not in _STOPWORDS else None
            self._words[word] = (own, pairs.get(word), concepts_of(word))
        self._classes = {name[2:]: (name, value) for name, value in known.items()
                         if name.startswith("c:")}
        # class -> later class (in sorted order) -> (the pair's name, value)
        self._class_pairs: dict[str, dict[str, tuple[str, V]]] = {}
        for name, value in known.items():
            if name.startswith("cc:"):
                first, _, second = name[3:].partition("+")
                self._class_pairs.setdefault(first, {})[second] = (name, value)

    def present(self, words: Sequence[str], found: dict[str, V]) -> dict[str, V]:
        # a name seen again keeps its first place, as in words_features;
        # the classes are gathered into a set the way concept_features does,
        # so they come out in its order too
        entry_of = self._words.get
        after = self._start
        classes: set[str] = set()
        for word in words:
            entry = entry_of(word)
            if entry is None:
                if after is not None and (feature := after.get(word)) is not None:
                    found[feature[0]] = feature[1]
                after = None
                classes |= concepts_of(word)
                continue
            own, starts, word_classes = entry
            if own is not None:
                found[own[0]] = own[1]
            if after is not None and (feature := after.get(word)) is not None:
                found[feature[0]] = feature[1]
            after = starts
            classes |= word_classes
        if classes:
            known_class = self._classes.get
            for concept in classes:
                if (feature := known_class(concept)) is not None:
                    found[feature[0]] = feature[1]
            ordered = sorted(classes)
            for at, first in enumerate(ordered):
                later = self._class_pairs.get(first)
                if later is not None:
                    for second in ordered[at + 1:]:
                        if (feature := later.get(second)) is not None:
                            found[feature[0]] = feature[1]
        return found


def word_features(title: str, text: str) -> dict[str, float]:
    """The words of a headline and text (or of one sentence: ``text=""``)."""
    return words_features(tokens(title) + first_tokens(text, LEAD_WORDS), {})


# the feature every tag judged on the lead has
LEAD_MARK = "r:none"


@dataclass(frozen=True)
class ItemFeatures:
    shared: dict[str, float]
    lead_words: list[str]  # headline and first LEAD_WORDS of the text
    by_tag: dict[str, dict[str, float]] = field(default_factory=dict)

    @cached_property
    def lead(self) -> dict[str, float]:
        """The lead's features (a verifier finds the ones it knows faster
        from ``lead_words``, with ``KnownWordFeatures``)."""
        return words_features(self.lead_words, {LEAD_MARK: 1.0})

    def for_tag(self, tag: str) -> dict[str, float]:
        """One tag's whole view (training fits on these)."""
        merged = dict(self.shared)
        merged.update(self.by_tag.get(tag) or self.lead)
        return merged


def candidate_discount(tag_features: dict[str, float] | None) -> float:
    """How much a tag's probability is lowered for what its candidate says of
    the event: negated ("isn't sending troops"), denied or hypothetical is no
    event by the labelling guide, but such items are too few for the model
    to learn it (a denial scored 0.97). The rules' own factors; 1 otherwise."""
    if not tag_features:
        return 1.0
    if "r:negated" in tag_features:
        return NEGATION_FACTOR
    for modality in ("denied", "hypothetical"):
        if "m:" + modality in tag_features:
            return CONFIDENCE_FACTOR[modality]
    return 1.0


def candidate_features(hit: TagHit) -> dict[str, float]:
    tag = hit.tag
    found = {"r:cand": 1.0, "rc:cand": hit.confidence, f"rid:{hit.rule}": 1.0,
             f"m:{hit.modality}": 1.0}
    if hit.sentence.field == "title":
        found["r:in_title"] = 1.0
    if hit.negated:
        found["r:negated"] = 1.0
    if hit.background:
        found["r:background"] = 1.0
    for trigger in hit.triggers:
        found[f"tr:{trigger.text.lower()}"] = 1.0
    found[f"r:{tag}"] = 1.0
    return words_features(tokens(hit.sentence.text), found)


def actor_features(actors: Sequence[Actor], found: dict[str, float]) -> dict[str, float]:
    states = {a.id if a.kind == "country" else a.country for a in actors} - {None}
    found[f"states:{min(len(states), 3)}"] = 1.0
    for actor in actors:
        if actor.kind == "organisation":
            found["org:" + actor.id] = 1.0
    return found


def item_features(
    title: str, text: str, candidates: Iterable[TagHit], actors: Sequence[Actor]
) -> ItemFeatures:
    title_words = tokens(title)
    shared: dict[str, float] = {}
    for word in title_words:
        if word not in _STOPWORDS:
            shared["t:" + word] = 1.0
    shared.update(concept_features([], title_words))
    actor_features(actors, shared)
    lead_words = title_words + first_tokens(text, LEAD_WORDS)
    by_tag = {hit.tag: candidate_features(hit) for hit in candidates}
    return ItemFeatures(shared, lead_words, by_tag)
