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

import numpy as np
from watchfloor.services.classifier.features import VALUED_FEATURES, ItemFeatures
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
        self._bias_array = np.array(self._bias, dtype=float)
        self._scale = [c[0] for c in data["calibration"]]
        self._shift = [c[1] for c in data["calibration"]]
        self.thresholds = [data["thresholds"][t] for t in self.tags]
        # feature -> its row in a (features x tags) table; row 0 stays zero
        self._row: dict[str, int] = {}
        table = np.zeros((len(data["weights"]) + 1, len(self.tags)))
        for row, (name, pairs) in enumerate(data["weights"].items(), 1):
            self._row[name] = row
            for index, weight in pairs:
                table[row, int(index)] = float(weight)
        self._table = table
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

    def _sums(self, features: dict[str, float]) -> np.ndarray:
        """Weighted sum of the features' rows. Every feature but the few
        ``VALUED_FEATURES`` is 1.0 when present: one fancy-index sum, then a
        correction for those few (no pass over every value)."""
        get = self._row.get
        rows = list(filter(None, map(get, features)))  # looked up in C
        if not rows:
            return np.zeros(len(self.tags))
        totals = self._table[rows].sum(axis=0)
        for name in VALUED_FEATURES:
            value = features.get(name)
            if value is not None and value != 1.0 and (row := get(name)):
                totals += (value - 1.0) * self._table[row]
        return totals

    def margins(self, features: ItemFeatures) -> list[float]:
        totals = self._bias_array + self._sums(features.shared)
        lead = self._sums(features.lead)
        for index, tag in enumerate(self.tags):
            own = features.by_tag.get(tag)
            totals[index] += self._sums(own)[index] if own else lead[index]
        return totals.tolist()

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
        return float(self._sums(features)[self.tags.index(tag)])
