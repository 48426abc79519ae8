"""The learned tag verifier: one logistic model per tag over ``features``,
calibrated on held-out predictions, with a threshold per tag chosen for
precision. Inference is plain Python over a table of weights per feature,
so the classifier needs neither numpy nor scikit-learn at run time (and
does not pay numpy's import at each start).

The model file is JSON written by ``watchfloor train`` (see
``services/training``); its hash is part of ``classifier_version``.
"""

from __future__ import annotations

import hashlib
import json
import math
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from watchfloor.services.classifier import PACKAGE_DIR
from watchfloor.services.classifier.features import (
    LEAD_MARK,
    VALUED_FEATURES,
    ItemFeatures,
    KnownWordFeatures,
    candidate_discount,
)
from watchfloor.shared.errors import ConfigError

# (not __file__: a compiled build of this module lives elsewhere, see native.py)
DEFAULT_MODEL_PATH = PACKAGE_DIR / "verifier.json"
FORMAT = 1


class ModelError(ConfigError):
    """The verifier model file is missing or not a model."""


def _read_model_file(path: Path) -> tuple[bytes, dict]:
    """The file's bytes (hashed into the version) and its JSON object."""
    try:
        raw = path.read_bytes()
        data = json.loads(raw)
    except OSError as exc:
        raise ModelError(f"cannot read model {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ModelError(f"{path}: not a JSON model ({exc})") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: not a JSON model (a {type(data).__name__}, not an object)")
    return raw, data


def model_meta(path: Path | None = None) -> dict:
    """A model file's ``meta`` (what training measured), without building the
    model. Raises ModelError when the file cannot be read as a model."""
    return _read_model_file(path or DEFAULT_MODEL_PATH)[1].get("meta", {})


def _least_margin(scale: float, shift: float, threshold: float) -> float:
    if scale <= 0 or not 0.0 < threshold < 1.0:
        return -math.inf  # no shortcut: every margin is scored
    return (math.log(threshold / (1.0 - threshold)) - shift) / scale - 1e-6


class TagScore(NamedTuple):
    tag: str
    probability: float
    emitted: bool


class VerifierModel:
    def __init__(self, data: dict, digest: str) -> None:
        if data.get("format") != FORMAT:
            raise ModelError(f"unknown model format {data.get('format')!r} (expected {FORMAT})")
        self.tags: tuple[str, ...] = tuple(data["tags"])
        self.digest = digest
        self._bias = [float(b) for b in data["bias"]]
        self._scale = [c[0] for c in data["calibration"]]
        self._shift = [c[1] for c in data["calibration"]]
        self.thresholds = [data["thresholds"][t] for t in self.tags]
        # the margin below which a tag's probability cannot reach its
        # threshold, with room for rounding (emitted() computes the rest)
        self._least_margin = [_least_margin(scale, shift, threshold) for scale, shift, threshold
                              in zip(self._scale, self._shift, self.thresholds, strict=True)]
        # feature -> its weight for each tag (one shared 0.0 object for the
        # many zeros); summing these columns in C is what inference costs
        zero = 0.0
        self._weights: dict[str, tuple[float, ...]] = {}
        for name, pairs in data["weights"].items():
            row = [zero] * len(self.tags)
            for index, weight in pairs:
                row[int(index)] = float(weight)
            self._weights[name] = tuple(row)
        self._lead_words = KnownWordFeatures(self._weights)
        self.meta: dict = data.get("meta", {})

    @classmethod
    def load(cls, path: Path | None = None) -> VerifierModel:
        path = path or DEFAULT_MODEL_PATH
        raw, data = _read_model_file(path)
        try:
            return cls(data, hashlib.sha256(raw).hexdigest())
        except (KeyError, TypeError, IndexError) as exc:
            raise ModelError(f"{path}: incomplete model ({exc!r})") from None

    def _rows(self, features: dict[str, float]) -> list[tuple[float, ...]]:
        """The weight rows of the known features (looked up in C)."""
        return list(filter(None, map(self._weights.get, features)))

    def _sum(self, features: dict[str, float], index: int) -> float:
        """Weighted sum of the features for the tag at ``index``. Every
        feature but the few ``VALUED_FEATURES`` is 1.0 when present: its
        weight is added without looking at its value, then those few are
        corrected. One column only: the others are not needed."""
        total = sum(map(itemgetter(index), self._rows(features)))
        for name in VALUED_FEATURES:
            value = features.get(name)
            if value is not None and value != 1.0 and (row := self._weights.get(name)):
                total = total + (value - 1.0) * row[index]
        return total

    def _column_sums(self, rows: list[tuple[float, ...]]) -> list[float]:
        return list(map(sum, zip(*rows, strict=True))) if rows else [0.0] * len(self.tags)

    def _lead_rows(self, words: list[str]) -> list[tuple[float, ...]]:
        """The rows of the lead's known features, found from its words (no
        valued feature is among them)."""
        first = {LEAD_MARK: row} if (row := self._weights.get(LEAD_MARK)) else {}
        return list(self._lead_words.present(words, first).values())

    def margins(self, features: ItemFeatures) -> list[float]:
        shared_rows = self._rows(features.shared)
        by_tag = features.by_tag
        lead: list[float] = []
        if len(by_tag) < len(self.tags):  # some tag is judged on the lead
            lead = self._column_sums(shared_rows + self._lead_rows(features.lead_words))
        if not by_tag:
            return [bias + total for bias, total in zip(self._bias, lead, strict=True)]
        shared = self._column_sums(shared_rows)
        totals = []
        for index, tag in enumerate(self.tags):
            own = by_tag.get(tag)
            if own is None:
                totals.append(self._bias[index] + lead[index])
            else:
                totals.append(self._bias[index] + shared[index] + self._sum(own, index))
        return totals

    def score(self, features: ItemFeatures) -> list[TagScore]:
        """Every tag's probability (lowered for a negated, denied or
        hypothetical candidate: ``candidate_discount``), emitted or not."""
        out = []
        for index, margin in enumerate(self.margins(features)):
            probability = self._discounted(index, margin, features)
            out.append(TagScore(self.tags[index], probability,
                                probability >= self.thresholds[index]))
        return out

    def emitted(self, features: ItemFeatures) -> list[TagScore]:
        """``score``'s emitted tags only. A margin well below the one its
        threshold needs is rejected without computing its probability: most
        items emit nothing."""
        out = []
        for index, margin in enumerate(self.margins(features)):
            if margin < self._least_margin[index]:
                continue
            probability = self._discounted(index, margin, features)
            if probability >= self.thresholds[index]:
                out.append(TagScore(self.tags[index], probability, True))
        return out

    def _discounted(self, index: int, margin: float, features: ItemFeatures) -> float:
        return self._probability(index, margin) * candidate_discount(
            features.by_tag.get(self.tags[index]))

    def _probability(self, index: int, margin: float) -> float:
        z = self._scale[index] * margin + self._shift[index]
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0

    def contribution(self, tag: str, features: dict[str, float]) -> float:
        """How much these features push ``tag`` up: picks an evidence sentence."""
        return self._sum(features, self.tags.index(tag))
