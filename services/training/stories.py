"""Story groups for cross-validation: near-duplicate versions of one story
(the same wire text from several outlets) always fall in one fold, or the
scores would reward memorising a story instead of learning the tag."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from watchfloor.services.ingest.stories import jaccard, signature

# Looser than the ingest's merge threshold (0.7): for folds, an edited
# version of a story is still the same story.
GROUP_SIMILARITY = 0.5


def story_groups(items: Sequence[tuple[str, str]]) -> list[int]:
    """A group number per (title, text): equal for near-duplicates."""
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    signatures = [signature(title, text) for title, text in items]
    buckets: dict[str, list[int]] = defaultdict(list)
    for index, sig in enumerate(signatures):
        if sig is not None:
            for band in sig.bands:
                buckets[band].append(index)
    for members in buckets.values():
        first = members[0]
        for other in members[1:]:
            a, b = signatures[first], signatures[other]
            assert a is not None and b is not None
            if jaccard(a.fingerprint.shingle_ids, b.fingerprint.shingle_ids) >= GROUP_SIMILARITY:
                parent[root(other)] = root(first)
    return [root(i) for i in range(len(items))]
