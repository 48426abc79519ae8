"""The watchlist form's guide to min_confidence, read from the model's meta."""

from __future__ import annotations

import json

from watchfloor.services.console.confidence_guide import (
    ConfidenceStep,
    guide_from_meta,
    load_confidence_guide,
)
from watchfloor.shared.settings import Settings


def test_the_guide_comes_from_the_model_s_stream_figures():
    meta = {"stream": {"items": 2422, "by_min_confidence": [
        {"min_confidence": 0.0, "precision": 0.77, "recall": 0.75},
        {"min_confidence": 0.85, "precision": 0.92, "recall": 0.46}]}}
    guide = guide_from_meta(meta)
    assert guide is not None and guide.items == 2422
    assert guide.steps[1] == ConfidenceStep(0.85, 0.92, 0.46)


def test_no_guide_from_a_model_without_those_figures():
    assert guide_from_meta({}) is None
    assert guide_from_meta({"stream": {"items": 10, "by_min_confidence": []}}) is None
    assert guide_from_meta({"stream": {"items": 10, "by_min_confidence": [{"recall": 1}]}}) is None


def test_the_committed_model_carries_a_guide_and_the_rules_alone_have_none(tmp_path):
    guide = load_confidence_guide(Settings())
    assert guide is not None and guide.items >= 500
    levels = [s.min_confidence for s in guide.steps]
    assert levels == sorted(levels) and levels[0] == 0.0
    assert load_confidence_guide(Settings(classifier="rules")) is None
    # a model file that cannot be read costs the guide only
    assert load_confidence_guide(Settings(classifier_model=tmp_path / "none.json")) is None
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps([1, 2]))
    assert load_confidence_guide(Settings(classifier_model=broken)) is None
