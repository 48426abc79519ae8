"""Build the configured classifier: the one place that chooses rules or the
learned verifier and reads their files."""

from __future__ import annotations

import sys
from pathlib import Path

from watchfloor.services.classifier.engine import Classifier
from watchfloor.services.classifier.learned import VerifiedClassifier
from watchfloor.services.classifier.protocol import TagClassifier
from watchfloor.services.classifier.taxonomy import TaxonomyError, borrowed_version
from watchfloor.services.classifier.verifier import VerifierModel
from watchfloor.shared.settings import Settings


def rule_classifier(settings: Settings, taxonomy: Path | None = None,
                    with_actors: bool = True) -> Classifier:
    """The rule engine. A gazetteer that cannot be loaded costs the actors
    only, with a warning: rule tags do not depend on it."""
    taxonomy_file = taxonomy or settings.taxonomy_file
    if with_actors:
        try:
            return Classifier.from_files(taxonomy_file, settings.gazetteer_file)
        except TaxonomyError:
            raise
        except (ImportError, OSError, ValueError) as exc:
            print(f"watchfloor: warning: no actor extraction: {exc}", file=sys.stderr)
    return Classifier.from_files(taxonomy_file, with_gazetteer=False)


def build_classifier(settings: Settings, taxonomy: Path | None = None,
                     kind: str | None = None) -> TagClassifier:
    """``settings.classifier`` (or ``kind``): "learned" (default) or "rules".

    Raises TaxonomyError or ModelError (both WatchfloorErrors) on bad files.
    """
    rules = rule_classifier(settings, taxonomy)
    borrowed = borrowed_version(rules.taxonomy)
    if borrowed:
        print(f"watchfloor: warning: {rules.taxonomy.source}: {borrowed}", file=sys.stderr)
    if (kind or settings.classifier) == "rules":
        return rules
    return VerifiedClassifier(rules, VerifierModel.load(settings.classifier_model))
