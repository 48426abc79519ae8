"""Apply the taxonomy's tag rules to an article.

All terms of all rules go into one Aho-Corasick automaton, run once over the
lowercased article. Every distinct term list of the taxonomy (a rule's
triggers, each of its ``with`` groups, its vetoes, each modality cue list) is
one bit; a term found in the text contributes the bits of every list it is
in. A rule then holds in a sentence when the sentence's bits include its
trigger bit and every group bit and none of its veto bits: integer
arithmetic, no per-rule regex scan.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

import ahocorasick
from watchfloor.services.classifier.modality import CONFIDENCE_FACTOR, NEGATION_FACTOR, decide
from watchfloor.services.classifier.sentences import Sentence, split_sentences
from watchfloor.services.classifier.taxonomy import Taxonomy
from watchfloor.shared.schemas import TextField

# Read hyphens and dashes as spaces and typographic quotes as plain ones, so
# "test-fired" matches the term "test fire*". Every mapping keeps the length,
# so offsets in the normalised text are offsets in the original.
_NORMALISE = {"-": " ", "‐": " ", "‑": " ", "–": " ", "—": " ", "’": "'", "‘": "'"}


def replace_marks(text: str, marks: dict[str, str]) -> str:
    """Each mark of ``marks`` in ``text`` replaced by its plain form. A replace
    per mark present: several times faster than ``str.translate``, which looks
    up every character of the text in a mapping."""
    for mark, plain in marks.items():
        if mark in text:
            text = text.replace(mark, plain)
    return text


def fold_marks(text: str) -> str:
    """Dashes to spaces, typographic quotes to plain ones (``_NORMALISE``)."""
    return replace_marks(text, _NORMALISE)


def lower_same_length(text: str) -> str:
    """``text`` in lower case, one character for one, so offsets into it are
    offsets into ``text`` (a few characters lowercase to two: "İ")."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c.lower()[0] for c in text)
    return lowered

_WORD = re.compile(r"[a-z0-9']+")

TITLE_BONUS = 0.06  # a headline states the story's main event
PER_EXTRA_SENTENCE = 0.03  # more sentences showing the tag, more certainty
MAX_CONFIDENCE = 0.99
# History or capability ("has carried out six nuclear tests", "capable of
# carrying nuclear weapons", "... in recent years") is not an event: such a
# sentence alone stays below the emit threshold, does not add support, and
# is not preferred as evidence over a sentence stating the event.
BACKGROUND_FACTOR = 0.5
# A "before" background cue governs a rule's term at most this many words on.
BACKGROUND_WINDOW_WORDS = 3


# Initialisms also written with dots: "U.N.", "U.S.". A term with the bare
# form ("with the UN", "US made") matches the dotted one too.
_DOTTED = {"us": "u.s", "un": "u.n", "uk": "u.k", "eu": "e.u"}


def dotted_variants(stem: str) -> list[str]:
    """The term and its spellings with dotted initialisms: "with the UN" ->
    "with the U.N"; "us made" -> "u.s. made" and "u.s made" (the dot after
    the last letter is part of the word: "U.S.-made"). A final initialism
    needs no trailing dot: "u.s" matches "U.S." on a word boundary."""
    words = stem.split(" ")
    spots = [i for i, w in enumerate(words) if w.lower() in _DOTTED]
    if not spots:
        return [stem]
    variants = [words]
    for i in spots:
        word = words[i]
        dotted = _DOTTED[word.lower()]
        if word.isupper():
            dotted = dotted.upper()
        forms = [dotted] if i == len(words) - 1 else [dotted + ".", dotted]
        variants = [v[:i] + [f] + v[i + 1 :] for v in variants for f in [word, *forms]]
    return [" ".join(v) for v in variants]


def normalise(text: str) -> str:
    return fold_marks(lower_same_length(text))


def _near(hits: list[tuple[int, int, int]], rule: _CompiledRule, bit: int) -> bool:
    """Whether a term of ``bit`` (``near`` or ``without_near``) lies within
    ``near_chars`` of a trigger term."""
    triggers = [h for h in hits if h[2] & rule.trigger]
    for start, end, bits in hits:
        if bits & bit:
            for t_start, t_end, _ in triggers:
                if (start, end) != (t_start, t_end) and max(
                    start - t_end, t_start - end, 0
                ) <= rule.near_chars:
                    return True
    return False


_CONDITIONAL_WORDS = ("if", "unless")
# a conditional governs at most this many words after it, within its clause
CONDITIONAL_WINDOW_WORDS = 3
_CLAUSE_END = re.compile(r",\s|[;:()]|\s\s\s")


def _unconditional_mask(hits: list[tuple[int, int, int]], conditional: int, combined: str) -> int:
    """The sentence's bits without the terms inside an "if"/"unless" clause:
    "the US would defend the Philippines if attacked" is a commitment, and
    "attacked" in it vetoes nothing. The conditional words themselves stay
    (a veto term "if a deal" begins with one)."""
    cues = [(start, end) for start, end, bits in hits if bits & conditional]
    mask = 0
    for start, _end, bits in hits:
        inside = False
        for _c_start, c_end in cues:
            if c_end <= start:
                gap = combined[c_end:start]
                if len(_WORD.findall(gap)) <= CONDITIONAL_WINDOW_WORDS and not _CLAUSE_END.search(
                    gap
                ):
                    inside = True
                    break
        if not inside:
            mask |= bits
    return mask


def _governing_trigger(hits: list[tuple[int, int, int]], rule: _CompiledRule, default: int) -> int:
    """Where the event's trigger starts, for its modality: the first trigger
    word, or for a rule with ``near`` terms the first one close to such a
    term. A stray trigger elsewhere in the sentence ("Kim will not give up
    his arsenal, but may trade cuts for relief from sanctions": "will" is a
    sanction-action word) has its own clause and its own modality."""
    triggers = [h for h in hits if h[2] & rule.trigger]
    if not triggers:
        return default
    if rule.near:
        nears = [h for h in hits if h[2] & rule.near]
        for t_start, t_end, _ in triggers:
            for start, end, _ in nears:
                if (start, end) != (t_start, t_end) and max(
                    start - t_end, t_start - end, 0
                ) <= rule.near_chars:
                    return t_start
    return triggers[0][0]


def _build_automaton(terms: dict[str, list[int]]) -> ahocorasick.Automaton | None:
    if not terms:
        return None
    automaton = ahocorasick.Automaton()
    for key, (whole, prefix) in terms.items():
        automaton.add_word(key, (len(key), whole, prefix))
    automaton.make_automaton()
    return automaton


@dataclass(frozen=True, slots=True)
class TriggerHit:
    field: TextField
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class TagHit:
    tag: str
    rule: str
    confidence: float
    modality: str
    sentence: Sentence
    triggers: tuple[TriggerHit, ...]
    background: bool = False
    negated: bool = False


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    tag: str
    id: str
    confidence: float
    trigger: int  # bit of the trigger list
    groups: tuple[int, ...]
    near: int  # bit of terms that must be close to a trigger, 0 for none
    near_chars: int
    veto: int  # bits that must not be in the sentence
    veto_in_item: int  # bits that must not be anywhere in the item
    veto_near: int  # bit of terms that must not be close to a trigger, 0 for none
    shown: int  # bits whose words are reported as triggers
    hypothetical_counts: bool = False  # score a hypothetical event as planned


class TagMatcher:
    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._list_bits: dict[tuple[str, ...], int] = {}
        # key -> [whole-word mask, prefix mask]; terms with capitals match case-sensitively
        self._terms: dict[str, list[int]] = {}
        self._cased_terms: dict[str, list[int]] = {}
        self._cue_bits: list[tuple[int, str, str]] = []
        self.rules: list[_CompiledRule] = []
        for tag in taxonomy.tags:
            tag_veto = self._bit(tag.without)
            tag_veto_item = self._bit(tag.without_in_item)
            for rule in tag.rules:
                trigger = self._bit(rule.trigger)
                groups = tuple(self._bit(g) for g in rule.with_groups)
                near = self._bit(rule.near)
                shown = trigger | near
                for g in groups:
                    shown |= g
                self.rules.append(
                    _CompiledRule(
                        tag=tag.id,
                        id=rule.id,
                        confidence=rule.confidence,
                        trigger=trigger,
                        groups=groups,
                        near=near,
                        near_chars=rule.near_chars,
                        veto=tag_veto | self._bit(rule.without),
                        veto_in_item=tag_veto_item | self._bit(rule.without_in_item),
                        veto_near=self._bit(rule.without_near),
                        shown=shown,
                        hypothetical_counts=tag.hypothetical_counts,
                    )
                )
        for modality, positions in taxonomy.modality_cues.items():
            for position, terms in positions.items():
                self._cue_bits.append((self._bit(terms), modality, position))
        # "if"/"unless": a veto word in the clause they open is no fact
        self._conditional = self._bit(_CONDITIONAL_WORDS)
        self._bg_before = self._bit(taxonomy.background_cues.get("before", ()))
        self._bg_any = self._bit(taxonomy.background_cues.get("any", ()))
        self._cue_mask = 0
        for bit, _, _ in self._cue_bits:
            self._cue_mask |= bit
        self._any_trigger = 0
        # trigger bit -> its rules (a sentence holds few triggers: only
        # their rules are tried), in taxonomy order; tag -> the bits of its
        # rules' trigger lists (its event words)
        self._rules_by_trigger: dict[int, list[_CompiledRule]] = {}
        self._tag_triggers: dict[str, int] = {}
        for compiled in self.rules:
            self._any_trigger |= compiled.trigger
            self._rules_by_trigger.setdefault(compiled.trigger, []).append(compiled)
            self._tag_triggers[compiled.tag] = self._tag_triggers.get(compiled.tag, 0) | compiled.trigger
        self._automaton = _build_automaton(self._terms)
        self._cased_automaton = _build_automaton(self._cased_terms)

    def _bit(self, terms: tuple[str, ...]) -> int:
        """The bit of a term list; identical lists share one bit."""
        if not terms:
            return 0
        if terms in self._list_bits:
            return self._list_bits[terms]
        bit = 1 << len(self._list_bits)
        self._list_bits[terms] = bit
        for term in terms:
            prefix = term.endswith("*")
            for stem in dotted_variants(term.rstrip("*").strip()):
                if stem.lower() == stem:
                    masks = self._terms.setdefault(normalise(stem), [0, 0])
                else:
                    masks = self._cased_terms.setdefault(fold_marks(stem), [0, 0])
                masks[1 if prefix else 0] |= bit
        return bit

    def match(self, title: str, text: str, floor: float | None = None) -> list[TagHit]:
        """The best hit per tag at or above the taxonomy's emit threshold, or
        at or above ``floor`` when given (``floor=0``: every candidate, with
        its negated and background flags, for the learned verifier)."""
        threshold = self.taxonomy.emit_threshold if floor is None else floor
        sentences = split_sentences(title, text)
        if not sentences or not (self._terms or self._cased_terms):
            return []
        original = title + "\n" + text
        combined = normalise(original)
        body_offset = len(title) + 1
        starts = [s.start if s.field == "title" else s.start + body_offset for s in sentences]
        hits = self._find_terms(self._automaton, combined)
        if self._cased_terms:
            hits += self._find_terms(self._cased_automaton, fold_marks(original))
        masks = [0] * len(sentences)
        sentence_hits: list[list[tuple[int, int, int]]] = [[] for _ in sentences]
        item_mask = 0
        for hit in hits:
            index = bisect_right(starts, hit[0]) - 1
            if index < 0:
                continue
            masks[index] |= hit[2]
            sentence_hits[index].append(hit)
            item_mask |= hit[2]
        if not item_mask & self._any_trigger:
            return []
        best: dict[str, TagHit] = {}
        support: dict[str, int] = {}
        for index, mask in enumerate(masks):
            if not mask & self._any_trigger:
                continue
            veto_mask = mask
            if mask & self._conditional:
                veto_mask = _unconditional_mask(sentence_hits[index], self._conditional, combined)
            fired: dict[str, _CompiledRule] = {}
            for rule in self._rules_to_try(mask):
                if (
                    not veto_mask & rule.veto
                    and not item_mask & rule.veto_in_item
                    and all(mask & g for g in rule.groups)
                    and (
                        not rule.near
                        or (mask & rule.near and _near(sentence_hits[index], rule, rule.near))
                    )
                    and not (
                        mask & rule.veto_near and _near(sentence_hits[index], rule, rule.veto_near)
                    )
                ):
                    current = fired.get(rule.tag)
                    if current is None or rule.confidence > current.confidence:
                        fired[rule.tag] = rule
            for tag, rule in fired.items():
                candidate = self._tag_hit(
                    rule,
                    sentences[index],
                    starts[index],
                    sentence_hits[index],
                    combined,
                    title,
                    text,
                    body_offset,
                )
                # a negated event ("isn't sending troops") is no support either
                if not candidate.background and not candidate.negated:
                    support[tag] = support.get(tag, 0) + 1
                if tag not in best or candidate.confidence > best[tag].confidence:
                    best[tag] = candidate
        out = []
        for tag, top in sorted(best.items()):
            bonus = PER_EXTRA_SENTENCE * min(max(support.get(tag, 0) - 1, 0), 3)
            confidence = round(min(MAX_CONFIDENCE, top.confidence + bonus), 3)
            if confidence >= threshold:
                out.append(TagHit(tag, top.rule, confidence, top.modality, top.sentence,
                                  top.triggers, top.background, top.negated))
        return out

    def _sentence_terms(self, sentence: str) -> tuple[str, list[tuple[int, int, int]]]:
        normal = normalise(sentence)
        hits = self._find_terms(self._automaton, normal)
        if self._cased_terms:
            hits += self._find_terms(self._cased_automaton, fold_marks(sentence))
        return normal, hits

    def modality_at(self, sentence: str, trigger: int, *, headline: bool = False) -> tuple[str, bool]:
        """How ``sentence`` presents an event whose word starts at ``trigger``
        (an offset in it), by the taxonomy's cues: (modality, negated)."""
        normal, hits = self._sentence_terms(sentence)
        cues = [(m, p, start, end) for start, end, bits in hits if bits & self._cue_mask
                for bit, m, p in self._cue_bits if bits & bit]
        return decide(cues, trigger, normal, headline=headline)

    def event_word(self, tag: str, sentence: str) -> tuple[int, int] | None:
        """Where the first of ``tag``'s trigger words is in ``sentence``
        (offsets in it), or None: what a rule would have shown."""
        bits = self._tag_triggers.get(tag, 0)
        spans = [(start, end) for start, end, hit in self._sentence_terms(sentence)[1] if hit & bits]
        return min(spans) if spans else None

    def _rules_to_try(self, mask: int) -> list[_CompiledRule]:
        """The rules whose trigger the sentence holds, in taxonomy order (the
        first of equally confident rules is the one reported)."""
        triggers = mask & self._any_trigger
        if triggers & (triggers - 1) == 0:  # one trigger list: the common case
            return self._rules_by_trigger[triggers]
        return [rule for rule in self.rules if triggers & rule.trigger]

    @staticmethod
    def _find_terms(
        automaton: ahocorasick.Automaton | None, combined: str
    ) -> list[tuple[int, int, int]]:
        """(start, end, bits) of every term occurrence that starts on a word
        boundary and ends on one (or, for "prefix*" terms, inside a word)."""
        hits: list[tuple[int, int, int]] = []
        if automaton is None:
            return hits
        size = len(combined)
        for last, (length, whole, prefix) in automaton.iter(combined):
            start = last - length + 1
            if start > 0 and combined[start - 1].isalnum():
                continue
            end = last + 1
            if end < size and combined[end].isalnum():
                if not prefix:
                    continue
                while end < size and combined[end].isalnum():
                    end += 1
                hits.append((start, end, prefix))
            else:
                hits.append((start, end, whole | prefix))
        return hits

    def _tag_hit(
        self,
        rule: _CompiledRule,
        sentence: Sentence,
        sentence_start: int,
        hits: list[tuple[int, int, int]],
        combined: str,
        title: str,
        text: str,
        body_offset: int,
    ) -> TagHit:
        field_offset = 0 if sentence.field == "title" else body_offset
        source = title if sentence.field == "title" else text
        triggers = []
        seen: set[tuple[int, int]] = set()
        for start, end, bits in hits:
            if bits & rule.shown and (start, end) not in seen:
                seen.add((start, end))
                s, e = start - field_offset, end - field_offset
                triggers.append(TriggerHit(sentence.field, s, e, source[s:e]))
        triggers.sort(key=lambda t: (t.start, t.end))
        first = _governing_trigger(hits, rule, sentence_start)
        cues: list[tuple[str, str, int, int]] = []
        if self._cue_mask:
            for start, end, bits in hits:
                if bits & self._cue_mask:
                    cues.extend((m, p, start, end) for bit, m, p in self._cue_bits if bits & bit)
        sentence_end = sentence_start + (sentence.end - sentence.start)
        modality, negated = decide(
            cues, first, combined[sentence_start:sentence_end], sentence_start,
            headline=sentence.field == "title",
        )
        if modality == "hypothetical" and rule.hypothetical_counts:
            modality = "planned"
        if negated:
            confidence = rule.confidence * NEGATION_FACTOR
        else:
            confidence = rule.confidence * CONFIDENCE_FACTOR[modality]
            if sentence.field == "title":
                confidence += TITLE_BONUS
        background = self._is_background(rule, hits, combined)
        if background:
            confidence *= BACKGROUND_FACTOR
        return TagHit(
            rule.tag, rule.id, confidence, modality, sentence, tuple(triggers), background, negated
        )

    def _is_background(
        self, rule: _CompiledRule, hits: list[tuple[int, int, int]], combined: str
    ) -> bool:
        """Whether the sentence gives history or capability rather than an
        event: an ``any`` background cue anywhere in it, or a ``before`` cue
        shortly before one of the rule's terms ("capable of carrying nuclear
        weapons")."""
        if not (self._bg_any or self._bg_before):
            return False
        for _start, end, bits in hits:
            if bits & self._bg_any:
                return True
            if bits & self._bg_before:
                for t_start, _, t_bits in hits:
                    if (
                        t_bits & rule.shown
                        and t_start >= end
                        and len(_WORD.findall(combined[end:t_start])) <= BACKGROUND_WINDOW_WORDS
                    ):
                        return True
        return False
