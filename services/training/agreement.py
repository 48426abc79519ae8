"""How far two annotators' blind labels of the same items agree, tag by tag
(Cohen's kappa), and which items a third annotator should settle."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TagAgreement:
    tag: str
    items: int
    both: int
    first_only: int
    second_only: int

    @property
    def kappa(self) -> float:
        """Agreement beyond what two annotators with these rates would reach
        by chance; 1.0 when neither ever differs (a tag neither gave included)."""
        n = self.items
        if n == 0:
            return 1.0
        neither = n - self.both - self.first_only - self.second_only
        observed = (self.both + neither) / n
        first_rate = (self.both + self.first_only) / n
        second_rate = (self.both + self.second_only) / n
        chance = first_rate * second_rate + (1 - first_rate) * (1 - second_rate)
        return 1.0 if chance == 1 else (observed - chance) / (1 - chance)


def tag_agreement(first: Mapping[str, frozenset[str]], second: Mapping[str, frozenset[str]],
                  tags: Iterable[str]) -> list[TagAgreement]:
    """Per tag, over the ids both annotators labelled."""
    shared = first.keys() & second.keys()
    rows = []
    for tag in tags:
        in_first = {i for i in shared if tag in first[i]}
        in_second = {i for i in shared if tag in second[i]}
        rows.append(TagAgreement(tag, len(shared), len(in_first & in_second),
                                 len(in_first - in_second), len(in_second - in_first)))
    return rows


def disagreements(first: Mapping[str, frozenset[str]], second: Mapping[str, frozenset[str]],
                  settled: Iterable[str] = ()) -> list[str]:
    """Ids the two labelled differently that no third label has settled yet."""
    done = set(settled)
    return sorted(i for i in first.keys() & second.keys()
                  if first[i] != second[i] and i not in done)
