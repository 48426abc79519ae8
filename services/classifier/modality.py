"""Decide how a sentence presents an event: asserted, reported, planned,
denied or hypothetical.

Cue words come from the taxonomy (``modality:`` section). A cue listed under
``before`` counts only when it comes before the first trigger word ("if North
Korea tests ..." but not "tests ..., if confirmed, ..."); one under ``any``
counts anywhere in the sentence ("..., according to officials"). When several
modalities are cued, the first in MODALITIES wins: a denial outweighs a plan.
"""

from __future__ import annotations

import re

from services.classifier.taxonomy import MODALITIES

# "to deploy", "to send": an infinitive right before the trigger marks a plan
# ("Japan to send troops", "agreed to sign"), unless it is "according to".
_INFINITIVE_BEFORE = re.compile(r"(?<!according )(?<!response )(?<!due )\bto\s+$")

# How much a modality lowers confidence that the event took place.
CONFIDENCE_FACTOR = {
    "asserted": 1.0,
    "reported": 0.97,
    "planned": 0.97,
    "hypothetical": 0.85,
    "denied": 0.7,
}


def decide_modality(
    cue_hits: list[tuple[str, str, int]],
    first_trigger_start: int,
    text_before_trigger: str,
) -> str:
    """``cue_hits`` holds (modality, position, start) for each cue in the sentence;
    starts and ``first_trigger_start`` are offsets in the same coordinates."""
    found = set()
    for modality, position, start in cue_hits:
        if position == "any" or start < first_trigger_start:
            found.add(modality)
    for modality in MODALITIES:
        if modality in found:
            return modality
    if _INFINITIVE_BEFORE.search(text_before_trigger[-40:]):
        return "planned"
    return "asserted"
