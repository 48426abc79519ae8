"""What a watchlist's ``min_confidence`` gives on a natural feed, for the
watchlist form: the model's own cross-validated figures on the items drawn
at random (``watchfloor train`` records them in the model's meta)."""

from __future__ import annotations

from dataclasses import dataclass

from watchfloor.services.classifier.verifier import ModelError, model_meta
from watchfloor.shared.logging import get_logger
from watchfloor.shared.settings import Settings

log = get_logger("watchfloor.console")


@dataclass(frozen=True)
class ConfidenceStep:
    min_confidence: float
    precision: float  # share of the tags emitted at this level that are right
    recall: float  # share of the events reported that get their tag


@dataclass(frozen=True)
class ConfidenceGuide:
    items: int  # random-stream items the figures come from
    steps: tuple[ConfidenceStep, ...]


def guide_from_meta(meta: dict) -> ConfidenceGuide | None:
    stream = meta.get("stream") or {}
    try:
        steps = tuple(ConfidenceStep(float(row["min_confidence"]), float(row["precision"]),
                                     float(row["recall"]))
                      for row in stream.get("by_min_confidence", ()))
        items = int(stream.get("items", 0))
    except (KeyError, TypeError, ValueError):
        return None
    return ConfidenceGuide(items, steps) if steps and items else None


def load_confidence_guide(settings: Settings) -> ConfidenceGuide | None:
    """None when the rules decide alone, or the model has no such figures."""
    if settings.classifier == "rules":
        return None
    try:
        meta = model_meta(settings.classifier_model)
    except ModelError as exc:
        log.warning("console_confidence_guide_unavailable", error=str(exc))
        return None
    return guide_from_meta(meta)
