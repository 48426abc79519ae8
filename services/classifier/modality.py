"""Decide how a sentence presents an event: asserted, reported, planned,
denied or hypothetical.

Cue words come from the taxonomy (``modality:`` section), in four kinds:

- ``before``: counts only when it comes shortly before the first trigger word,
  within ``BEFORE_WINDOW_WORDS`` words, so it governs the trigger's clause
  ("if North Korea tests ..." but not "tests ..., if confirmed, ..." nor
  "Seoul, which plans new talks, said Pyongyang tested ...").
- ``any``: counts anywhere in the sentence ("..., according to officials").
- ``attribution``: a verb of saying ("said", "says", "told"). It makes the
  event reported only when someone other than the actor says it: "Seoul said
  Pyongyang fired a missile" is reported, "Pyongyang said it fired a missile"
  and "..., it said" are not. The test is deliberately simple: the word right
  after the verb (before the trigger) or right before it (after the trigger)
  must not be a pronoun.
- ``negation``: "not", "isn't", "won't", "no plans to", "ruled out" at most
  ``NEGATION_WINDOW_WORDS`` words before the first trigger ("the US isn't
  sending troops"). The event is not happening: the modality is the cue's
  (denied) and the engine scores it with ``NEGATION_FACTOR``, under the emit
  threshold, unlike a denial of a report, which stays visible.
- ``stop``: a verb that stops the event ("suspends arms sales", "called off
  joint drills"), read as a negation but only over its own object: not
  across a clause's end nor a second verb joined to it ("suspended talks and
  tested a missile").

When several modalities are cued, the first in MODALITIES wins: a denial
outweighs a plan.
"""

from __future__ import annotations

import re

from watchfloor.services.classifier.taxonomy import MODALITIES

# "to deploy", "to send": an infinitive right before the trigger marks a plan
# ("Japan to send troops", "agreed to sign"), unless it is "according to". In
# a headline also one a few words before ("to hold joint drills") and a
# trigger that is itself one ("Macron to visit Beijing"): a body says "will",
# and its "went to Beijing to visit" is a purpose.
# (an attempt or a failure "to launch" was a launch: no plan; but "to
# attempt to launch" is one)
_TO = (r"(?<!according )(?<!response )(?<!due )(?<!attempted )(?<!(?<!to )attempt )"
       r"(?<!attempts )(?<!failure )\bto\s+")
_INFINITIVE_BEFORE = re.compile(_TO + "$")
_HEADLINE_INFINITIVE_BEFORE = re.compile(
    _TO + r"(?:(?:hold|host|stage|conduct|attend|begin|start|carry\s+out|pay|make)\s+"
    r"(?:[a-z0-9'-]+\s+){0,3})?$"
)
_INFINITIVE_AT = re.compile(r"to\s")
_WORD = re.compile(r"[a-z0-9']+")
# A cue further from the trigger than this many words governs another clause.
BEFORE_WINDOW_WORDS = 8
# A negation ("isn't sending", "has no plans to send", "ruled out sending")
# governs only the words right after it: a "not" eight words before a trigger
# is usually in another clause ("not only ..., Seoul said it fired").
NEGATION_WINDOW_WORDS = 2
# Saying verbs with one of these as subject (after) or object (before) are the
# actor speaking for itself.
_SELF = frozenset(["it", "its", "they", "their", "he", "she", "we", "i", "that", "which", "who"])

# How much a modality lowers confidence that the event took place.
CONFIDENCE_FACTOR = {
    "asserted": 1.0,
    "reported": 0.9,
    "planned": 0.93,
    "hypothetical": 0.6,
    "denied": 0.55,
}
# A negated event ("the US isn't sending troops") did not happen: it stays under
# the emit threshold (0.5) even for the strongest rule, and the engine adds no
# headline or support bonus to it. A denial ("Tehran denies testing a missile
# after US officials report a launch") keeps the milder "denied" factor: the
# event is in dispute, which a watch officer still needs to see.
NEGATION_FACTOR = 0.45


def decide_modality(
    cue_hits: list[tuple[str, str, int, int]],
    first_trigger_start: int,
    sentence: str,
    sentence_start: int = 0,
) -> str:
    """``cue_hits`` holds (modality, position, start, end) for each cue in the
    sentence; starts, ends and ``first_trigger_start`` are offsets in the same
    coordinates, and ``sentence`` (normalised text) begins at ``sentence_start``."""
    return decide(cue_hits, first_trigger_start, sentence, sentence_start)[0]


def decide(
    cue_hits: list[tuple[str, str, int, int]],
    first_trigger_start: int,
    sentence: str,
    sentence_start: int = 0,
    *,
    headline: bool = False,
) -> tuple[str, bool]:
    """The modality, and whether a ``negation`` cue ("not", "won't", "ruled
    out") governs the trigger: then the modality is the cue's (denied)."""
    trigger = first_trigger_start - sentence_start
    found = set()
    negated = False
    for modality, position, start, end in cue_hits:
        start -= sentence_start
        end -= sentence_start
        if position == "any":
            found.add(modality)
        elif position == "before":
            if modality == "denied" and _expectation(sentence, end):
                continue
            # "<=": a cue that is itself the trigger ("threatened" sanctions) counts
            if (
                start <= trigger
                and len(_WORD.findall(sentence[end:trigger])) <= BEFORE_WINDOW_WORDS
                and _governs(sentence, start, end, trigger)
            ):
                if modality == "hypothetical" and _reported_future(sentence, start, end):
                    modality = "planned"
                found.add(modality)
        elif position == "negation" or position == "stop":
            if (
                end <= trigger
                and len(_WORD.findall(sentence[end:trigger])) <= NEGATION_WINDOW_WORDS
                # a stop verb governs its own object: "Despite the freeze, Iran
                # test-fired", "suspended talks and tested a missile" go on
                and not (position == "stop" and _STOP_ENDS.search(sentence, end, trigger))
            ):
                found.add(modality)
                negated = True
        elif position == "attribution" and _third_party(sentence, start, end, trigger):
            found.add(modality)
    for modality in MODALITIES:
        if modality in found:
            return modality, negated and modality == "denied"
    before = sentence[max(trigger - 60, 0) : trigger]
    if _INFINITIVE_BEFORE.search(before) or headline and (
            _HEADLINE_INFINITIVE_BEFORE.search(before)
            or (_INFINITIVE_AT.match(sentence, trigger) and not before.endswith("according "))):
        return "planned", False
    return "asserted", False


# "would" after a verb of saying, believing or deciding is the future of
# reported speech: "remained confident Pyongyang would attend talks", "Moscow
# announced it would withdraw troops". Without one it is a conditional's
# consequence: "a move that would enable full mobilisation".
_REPORTED_FUTURE = re.compile(
    r"\b(?:said|says|say|saying|announced|announces|announcing|confirmed|confirms|"
    r"confident|expected|expects|told|tells|assured|assures|insisted|insists|agreed|"
    r"agrees|promised|promises|pledged|pledges|vowed|vows|decided|declared|declares|"
    r"stated|indicated|indicates|believes|believed)\b(?:\W+[a-z0-9']+){0,8}?\W*$"
)


def _reported_future(sentence: str, start: int, end: int) -> bool:
    if sentence[start:end] != "would":
        return False
    return bool(_REPORTED_FUTURE.search(sentence[max(start - 120, 0) : start]))


# A clause ends at one of these: a cue before it governs nothing after it.
# (the sentence is normalised: a dash between words reads as spaces)
_CLAUSE_END = re.compile(r",\s|[;:()]|\s\s\s")
# What ends a stop verb's reach: a clause's end, or a second verb joined to it
_STOP_ENDS = re.compile(_CLAUSE_END.pattern + r"|\b(?:and|then|but|before|after|while)\b")
# Conditionals open a clause of their own ("..., if attacked in the South China
# Sea, ..."): it governs only itself, unless it leads its sentence or clause
# ("If Russia invades, Nato would send troops"), when it governs the main clause.
_CONDITIONAL = frozenset(["if", "unless"])
_CLAUSE_START = re.compile(r"(^|[,;:(]|\s\s\s|\bbut|\band|\bthat)\s*$")


def _governs(sentence: str, start: int, end: int, trigger: int) -> bool:
    """Whether a ``before`` cue at [start, end) governs the clause of a
    trigger at ``trigger``: no clause boundary lies between them, or the cue
    is a conditional leading its clause."""
    if end >= trigger or not _CLAUSE_END.search(sentence, end, trigger):
        return True
    return sentence[start:end] in _CONDITIONAL and bool(_CLAUSE_START.search(sentence[:start]))


# "did not expect the disclosure that scientists enriched uranium to upset
# talks": what is negated is an expectation about the event, not the event
_EXPECTATION = frozenset(["expect", "expected", "expecting", "anticipate", "foresee"])


def _expectation(sentence: str, end: int) -> bool:
    words = _WORD.findall(sentence[end : end + 20])
    return bool(words) and words[0] in _EXPECTATION and "that" not in words[:2]


def _third_party(sentence: str, start: int, end: int, trigger: int) -> bool:
    if end <= trigger:  # "Seoul said (that) Pyongyang fired ..."
        words = _WORD.findall(sentence[end:trigger])
        if words and words[0] == "that":
            words = words[1:]
        return bool(words) and words[0] not in _SELF
    if start > trigger:  # "... fired a missile, Seoul said"
        words = _WORD.findall(sentence[trigger:start])
        return bool(words) and words[-1] not in _SELF
    return False
