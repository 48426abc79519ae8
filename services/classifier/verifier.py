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
from pathlib import Path
from typing import NamedTuple

from watchfloor.services.classifier.features import (
    LEAD_MARK,
    VALUED_FEATURES,
    ItemFeatures,
    KnownWordFeatures,
)
from watchfloor.shared.errors import ConfigError

DEFAULT_MODEL_PATH = Path(__file__).with_name("verifier.json")
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

    def _sums(self, features: dict[str, float]) -> list[float]:
        """Weighted sum of the features, per tag. Every feature but the few
        ``VALUED_FEATURES`` is 1.0 when present: its weights are added
        without looking at its value, then those few are corrected."""
        get = self._weights.get
        totals = self._column_sums(list(filter(None, map(get, features))))  # looked up in C
        for name in VALUED_FEATURES:
            value = features.get(name)
            if value is not None and value != 1.0 and (row := get(name)):
                totals = [total + (value - 1.0) * weight
                          for total, weight in zip(totals, row, strict=True)]
        return totals

    def _column_sums(self, rows: list[tuple[float, ...]]) -> list[float]:
        return list(map(sum, zip(*rows, strict=True))) if rows else [0.0] * len(self.tags)

    def _lead_sums(self, words: list[str]) -> list[float]:
        """``_sums`` of the lead's features, found from its words (no
        valued feature is among them)."""
        first = {LEAD_MARK: row} if (row := self._weights.get(LEAD_MARK)) else {}
        return self._column_sums(list(self._lead_words.present(words, first).values()))

    def margins(self, features: ItemFeatures) -> list[float]:
        shared = self._sums(features.shared)
        lead = self._lead_sums(features.lead_words)
        totals = []
        for index, tag in enumerate(self.tags):
            own = features.by_tag.get(tag)
            total = self._bias[index] + shared[index]
            totals.append(total + (self._sums(own)[index] if own else lead[index]))
        return totals

    def score(self, features: ItemFeatures) -> list[TagScore]:
        out = []
        for index, margin in enumerate(self.margins(features)):
            z = self._scale[index] * margin + self._shift[index]
            probability = 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0
            out.append(TagScore(self.tags[index], probability,
                                probability >= self.thresholds[index]))
        return out

    def contribution(self, tag: str, features: dict[str, float]) -> float:
        """How much these features push ``tag`` up: picks an evidence sentence."""
        return self._sums(features)[self.tags.index(tag)]
