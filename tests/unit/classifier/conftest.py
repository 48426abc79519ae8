from __future__ import annotations

import pytest
from watchfloor.services.classifier.engine import Classifier
from watchfloor.services.classifier.taxonomy import load_taxonomy


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    # Tags only: actors come from the gazetteer, tested on their own.
    return Classifier(load_taxonomy())


@pytest.fixture(scope="session")
def full_classifier() -> Classifier:
    # with the gazetteer: the shipped classifier, actors take part in tagging
    return Classifier.from_files()


@pytest.fixture(scope="session")
def tags_of(classifier):
    def tags(title: str, text: str = "") -> list[str]:
        return classifier.classify(title, text).tag_ids

    return tags
