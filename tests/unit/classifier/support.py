"""Helpers shared by the classifier tests."""

from __future__ import annotations

from watchfloor.services.classifier.engine import Classifier


def tags(classifier: Classifier, title: str, text: str = "") -> list[str]:
    return classifier.classify(title, text).tag_ids
