"""The learned tag verifier: one logistic model per tag over ``features``,
calibrated on held-out predictions, with a threshold per tag chosen for
precision. Inference is plain Python over a sparse weight table, so the
classifier needs neither numpy nor scikit-learn at run time.

The model file is JSON written by ``watchfloor train`` (see
``services/training``); its hash is part of ``classifier_version``.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import NamedTuple

from watchfloor.services.classifier.features import ItemFeatures
from watchfloor.shared.errors import ConfigError

DEFAULT_MODEL_PATH = Path(__file__).with_name("verifier.json")
FORMAT = 1


class ModelError(ConfigError):
    """The verifier model file is missing or not a model."""


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
        self._bias = list(data["bias"])
        self._scale = [c[0] for c in data["calibration"]]
        self._shift = [c[1] for c in data["calibration"]]
        self.thresholds = [data["thresholds"][t] for t in self.tags]
        # feature -> ((tag index, weight), ...): only the tags it moves
        self._weights: dict[str, tuple[tuple[int, float], ...]] = {
            name: tuple((int(i), float(w)) for i, w in pairs)
            for name, pairs in data["weights"].items()
        }
        self.meta: dict = data.get("meta", {})

    @classmethod
    def load(cls, path: Path | None = None) -> VerifierModel:
        path = path or DEFAULT_MODEL_PATH
        try:
            raw = path.read_bytes()
            data = json.loads(raw)
        except OSError as exc:
            raise ModelError(f"cannot read model {path}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise ModelError(f"{path}: not a JSON model ({exc})") from None
        try:
            return cls(data, hashlib.sha256(raw).hexdigest())
        except (KeyError, TypeError, IndexError) as exc:
            raise ModelError(f"{path}: incomplete model ({exc!r})") from None

    def _sums(self, features: dict[str, float]) -> list[float]:
        totals = [0.0] * len(self.tags)
        weights = self._weights
        # the intersection runs in C: most of an article's features are unknown
        for name in features.keys() & weights.keys():
            value = features[name]
            for index, weight in weights[name]:
                totals[index] += weight * value
        return totals

    def margins(self, features: ItemFeatures) -> list[float]:
        shared = self._sums(features.shared)
        lead = self._sums(features.lead)
        out = []
        for index, tag in enumerate(self.tags):
            own = features.by_tag.get(tag)
            part = self._sums(own)[index] if own else lead[index]
            out.append(self._bias[index] + shared[index] + part)
        return out

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
        index = self.tags.index(tag)
        weights = self._weights
        return sum(weight * features[name]
                   for name in features.keys() & weights.keys()
                   for i, weight in weights[name] if i == index)
