"""Which corpus items to label again: every item gets a second blind label
from someone other than its first annotator, and the items where the two
differ get a third (``corpus.load_corpus`` takes the majority)."""

from __future__ import annotations

import random
from collections.abc import Mapping

from watchfloor.services.training.agreement import disagreements
from watchfloor.services.training.corpus import LabelRecord


def second_pass_ids(first: Mapping[str, LabelRecord], second: Mapping[str, LabelRecord],
                    annotator: str, seed: int = 20261130) -> list[str]:
    """Items with one label only that ``annotator`` did not give, in a fixed
    shuffled order (so a session's items are not all of one kind)."""
    ids = sorted(i for i, record in first.items()
                 if i not in second and record.annotator != annotator)
    random.Random(seed).shuffle(ids)
    return ids


def third_pass_ids(first: Mapping[str, LabelRecord], second: Mapping[str, LabelRecord],
                   third: Mapping[str, LabelRecord], annotator: str) -> list[str]:
    """Items the two passes label differently, not yet settled, and labelled
    by neither pass's annotator being ``annotator``."""
    unsettled = disagreements({i: r.labels for i, r in first.items()},
                              {i: r.labels for i, r in second.items()}, third)
    return [i for i in unsettled if annotator not in (first[i].annotator, second[i].annotator)]
