"""What identifies an event in a news text: when, where, how much, and when
it was published — and the rule that tells two near-identical texts apart
when they report two events.

Wire copy is a template: "North Korea fired a ballistic missile into the sea
on Monday, South Korea's military said" is sent again, word for word, for
the next launch on Thursday. Word overlap alone calls the two one story, and
the second launch would be throttled. So two versions are the same story only
if they do not *contradict* each other on the facts that identify an event:

- figures   the numbers it reports ("16 missiles", "60,000 troops", "2023",
            "two missiles": a spelled-out count of the event's things)
- weekdays  "on Monday", "Monday's launch"
- dates     "March 9", "9 March", "Aug. 18", "in March" (month and day, month)
- places    capitalised names after in / at / near / off / outside / to /
            into / from / toward ("in Najaf", "off the Korean Peninsula",
            "travelled to Moscow", "at its Fordow plant"), from the text only:
            headlines are title-cased, so their capitals name nothing
- weapons   the weapon systems named ("a Sarmat" / "a Bulava": two tests in
            one template; "Hwasong-17" / "-18" differ by their figures)
- repeats   a report of the event as a repeat: "fires *another* missile",
            "tests *again*", "a *second* launch" in the headline or the lead's
            first words, when the versions were published hours apart
            (``REPEAT_MIN_GAP_S``). One template sent for the morning's launch
            and, with "another", for the evening's is two events. This kind
            contradicts by its absence on one side, hence the gap: a wire's
            update of its flash within the hour adds "again" to the same
            launch ("fires ballistic missile again, Seoul says")
- states    the countries the headlines name (by name, adjective or capital:
            "Iran", "Iranian", "Tehran"; the EU too) when both name some, else those of the leads: one
            template, "Iran test-fires a ballistic missile" and then
            "Pakistan test-fires ...", is two events. The headlines' first:
            a lead adds the countries around the event (neighbours, who
            protested), and two outlets' leads add different ones
- time      published more than ``max_gap_s`` apart (default a day)

A re-publication may *drop* or *add* details: an outlet trims the last
sentence, an update adds "Japan protested on Tuesday" or a casualty figure.
It never states *different* ones. Hence the rule, the same for each kind of
fact: two versions contradict each other when each states a fact of that
kind that the other lacks ({Monday} / {Thursday}; {412} / {431}), and not
when one side's facts contain the other's ({Monday} / {Monday, Tuesday};
{} / {Saturday}). Kinds are compared only with their own kind: "on Monday"
and "on March 9" do not contradict each other.

Measured on the real items in ``../shared/data`` (``python -m
watchfloor.services.bench.stories``): every merge the word overlap makes
there is kept, and the daily-report template with new figures, weekday and
date is kept apart.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

DEFAULT_MAX_GAP_S = 24 * 3600
# Versions published at least this far apart, one told as a repeat and the
# other not, are two events. Closer, an update of a flash.
REPEAT_MIN_GAP_S = 3 * 3600

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
# "Monday's" is "mondays" once the apostrophe is gone (see story_words).
_WEEKDAY_OF = {day: day[:3] for day in WEEKDAYS} | {day + "s": day[:3] for day in WEEKDAYS}
_MONTH_OF = {name: i for i, name in enumerate(_MONTHS, 1)}
# Abbreviations name a month only next to a day number ("Aug 18", "18 Sept"):
# alone, "mar", "may", "dec" are other words too.
_MONTH_NEXT_TO_DAY = _MONTH_OF | {name[:3]: i for i, name in enumerate(_MONTHS, 1)} | {"sept": 9}
# A month alone counts after these words ("in March", "since April");
# never "may" alone ("this may be").
_BEFORE_A_MONTH = frozenset({
    "in", "since", "until", "till", "by", "from", "early", "late", "mid", "last", "next",
    "during", "before", "after", "through",
})
_BEFORE_A_DAY = frozenset({"on", "the", "since", "until", "till", "by", "from", "before", "after"})
_DAY = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?")

_CAPITALISED = r"[A-Z][\w'’.-]*"
_PLACE = re.compile(
    rf"\b(?:in|at|near|off|outside|(?<!according )(?<!statement )(?<!comments )(?<!remarks )"
    rf"(?<!speaking )(?<!spoke )(?<!interview )to|into|from|toward|towards)"
    rf" (?:the |its |their )?({_CAPITALISED}(?: (?:of )?{_CAPITALISED})*)"
)
_WORD = re.compile(r"[^\W_]+")
# "U.S." / "US", "Shi'ite" / "Shiite" and "60,000" / "60000" are the same
# word to a reader.
# Written mark first, its neighbours checked after: the regex engine then
# skips to the next mark instead of trying a lookbehind at every character
# (4x faster; the same matches).
_INNER_MARK = re.compile(r"['’.](?<=\w['’.])(?=\w)|,(?<=\d,)(?=\d{3})")
# The lead whose countries count: title and first sentence or so. A later
# paragraph's background ("talks with Japan last year") is not the event.
STATE_WORDS = 40
_POSSESSIVE_OR_INNER_MARK = re.compile(r"['’]s\b|(?<=\w)['’.](?=\w)")
_NOT_PLACES = frozenset(WEEKDAYS) | frozenset(_MONTHS) | {"of", "the"}


@dataclass(frozen=True)
class EventFacts:
    """The facts of one version that a re-publication would not change."""

    figures: frozenset[str] = frozenset()  # numbers as written, without separators
    weekdays: frozenset[str] = frozenset()  # "mon" ... "sun"
    dates: frozenset[str] = frozenset()  # "03" (a month), "03-09" (month-day)
    places: frozenset[str] = frozenset()  # words of the place names
    states: frozenset[str] = frozenset()  # country codes the headline names
    at: int | None = None  # unix seconds: published, else first seen
    lead_states: frozenset[str] = frozenset()  # ... and the lead
    weapons: frozenset[str] = frozenset()  # weapon systems named ("sarmat")
    # told as a repeat ("another", "again"); None: not known (a record kept
    # before repeats were), which contradicts nothing
    repeat: bool | None = None


def event_facts(words: Sequence[str], text_head: str, at: datetime | None = None, *,
                headline: Sequence[str] = ()) -> EventFacts:
    """Facts from the normalised ``words`` of title and lead (see
    ``stories.story_words``) and the raw ``text_head`` (the lead as written:
    places need its capitals). The countries are the ``headline``'s (its
    normalised words), else, when it names none, the lead's."""
    return EventFacts(
        figures=frozenset(_figures(words)),
        weekdays=frozenset(_WEEKDAY_OF[w] for w in words if w in _WEEKDAY_OF),
        dates=frozenset(_dates(words)),
        places=frozenset(_places(text_head)),
        states=frozenset(_states(headline)),
        at=_unix_seconds(at),
        lead_states=frozenset(_states(words[:STATE_WORDS])),
        weapons=frozenset(_weapons(words)),
        repeat=_told_as_repeat(words[:STATE_WORDS]),
    )


def states_contradict(a: EventFacts, b: EventFacts) -> bool:
    """The headlines' countries when both headlines name some ("sanctions on
    Russia over war in Ukraine" / "on Belarus over war in Ukraine"), else the
    leads': one headline may name none ("Straw leaves for Darfur visit") where
    the other names the traveller's ("British FM leaves ...")."""
    if a.states and b.states:
        return contradict(a.states, b.states)
    return contradict(a.lead_states, b.lead_states)


def contradict(a: frozenset[str], b: frozenset[str]) -> bool:
    """Each side states a fact of this kind that the other lacks. One side
    only adding facts ("60,000 to 70,000" / "70,000") is an edit."""
    return bool(a - b) and bool(b - a)


def different_events(
    a: EventFacts, b: EventFacts, *, max_gap_s: int = DEFAULT_MAX_GAP_S
) -> str | None:
    """Pure: why two near-identical versions report two events — "published
    apart", "weekdays", "dates", "places", "weapons", "repeat", "states" or
    "figures" —
    or None when nothing tells them apart (then they are one story)."""
    if a.at is not None and b.at is not None and abs(a.at - b.at) > max_gap_s:
        return "published apart"
    for kind in ("weekdays", "dates", "places", "weapons"):
        if contradict(getattr(a, kind), getattr(b, kind)):
            return kind
    if (a.repeat is not None and b.repeat is not None and a.repeat != b.repeat
            and a.at is not None and b.at is not None and abs(a.at - b.at) >= REPEAT_MIN_GAP_S):
        return "repeat"
    if states_contradict(a, b):
        return "states"
    if contradict(a.figures, b.figures):
        return "figures"
    return None


# --- extraction -------------------------------------------------------------------


# Counts as wire copy spells them ("fired two missiles"), as the digits they
# stand for ("two" and "2" are one fact, "two" and "three" contradict), but
# only where they count the things of an event: "the two neighbours", "the
# third such meeting" are narrative, and outlets word them differently.
_FIGURE_OF = {word: str(n) for n, word in enumerate(
    ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"), 2)}
_COUNTED_WITHIN = 3  # words between the number and the thing counted
_COUNTED_THINGS = frozenset(["missile", "missiles", "rocket", "rockets", "projectile", "projectiles", "drones", "ships", "warships", "vessels", "submarines", "jets", "aircraft", "bombers", "helicopters", "soldiers", "troops", "marines", "people", "civilians", "launches", "tests", "satellites", "brigades", "battalions", "divisions", "tanks"])


def _figures(words: Sequence[str]) -> set[str]:
    found = set()
    for i, word in enumerate(words):
        if word.isdigit():
            found.add(word)
        elif word in _FIGURE_OF and not _COUNTED_THINGS.isdisjoint(
                words[i + 1:i + 2 + _COUNTED_WITHIN]):
            found.add(_FIGURE_OF[word])
    return found


# Weapon systems by name, as news names what was fired or sent. Names that are
# other words too (Patriot, Trident, Jericho, Poseidon, Fateh) are left out:
# an outlet's "patriot" would tell a copy from its story.
_WEAPONS = frozenset({
    "sarmat", "bulava", "yars", "topol", "zircon", "tsirkon", "kinzhal", "avangard",
    "burevestnik", "iskander", "kalibr", "oreshnik", "hwasong", "taepodong", "nodong",
    "rodong", "pukguksong", "hwasal", "haeil", "agni", "prithvi", "shaheen", "ghauri",
    "ghaznavi", "babur", "ababeel", "shahab", "sejjil", "khorramshahr", "kheibar", "dongfeng",
    "julang", "brahmos", "nirbhay", "minuteman", "tomahawk", "himars", "atacms", "hyunmoo",
})


def _weapons(words: Sequence[str]) -> Iterable[str]:
    for word in words:
        if word in _WEAPONS:
            yield word
        elif word.endswith("s") and word[:-1] in _WEAPONS:  # "Iskanders", "Tomahawks"
            yield word[:-1]


# Words that tell an event as one more of its kind. Not "latest" (wire copy
# calls every launch "the latest in a series"), "new" or "more" ("more than"),
# nor "fresh" or "renewed": outlets add them to one event's headline ("Renewed
# battles erupt in Najaf" over another's copy of that day's fighting).
_REPEAT_WORDS = frozenset({"another", "again", "anew"})
_ORDINALS = frozenset({"second", "third", "fourth", "fifth", "sixth"})
# An ordinal tells a repeat before the event's own nouns ("a second launch",
# "for a third time"), not elsewhere ("the second-largest", "a third of").
_REPEATED_THINGS = frozenset({
    "launch", "launches", "test", "tests", "missile", "missiles", "time", "round", "salvo",
    "barrage", "day", "strike", "strikes", "visit", "trip", "package", "shipment", "drill",
    "drills", "exercise", "exercises", "deployment", "batch", "wave",
})


def _told_as_repeat(words: Sequence[str]) -> bool:
    for i, word in enumerate(words):
        if word in _REPEAT_WORDS:
            return True
        if word in _ORDINALS and i + 1 < len(words) and words[i + 1] in _REPEATED_THINGS:
            return True
    return False


def _dates(words: Sequence[str]) -> Iterable[str]:
    for i, word in enumerate(words):
        month = _MONTH_NEXT_TO_DAY.get(word)
        if month is None:
            continue
        day = _day(words[i + 1]) if i + 1 < len(words) else None  # "Aug 18"
        if day is None:
            day = _day_before(words, i, strict=word == "may")  # "18 Aug", "18th of August"
        if day is not None:
            yield f"{month:02d}-{day:02d}"
            yield f"{month:02d}"
        elif word in _MONTH_OF and word != "may" and i > 0 and words[i - 1] in _BEFORE_A_MONTH:
            yield f"{month:02d}"  # "in March"


def _day_before(words: Sequence[str], i: int, *, strict: bool) -> int | None:
    j = i - 2 if i >= 2 and words[i - 1] == "of" else i - 1
    if j < 0:
        return None
    if strict and (j == 0 or words[j - 1] not in _BEFORE_A_DAY):
        return None  # "on 10 May", but "the top 10 may change" is no date
    return _day(words[j])


def _day(word: str) -> int | None:
    match = _DAY.fullmatch(word)
    if match is None:
        return None
    day = int(match.group(1))
    return day if 1 <= day <= 31 else None


def _places(text: str) -> Iterable[str]:
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    for name in _PLACE.findall(text):
        for word in _WORD.findall(_POSSESSIVE_OR_INNER_MARK.sub("", name.casefold())):
            if word not in _NOT_PLACES:
                yield word


def normal_words(value: str) -> list[str]:
    """Words as the story index compares them: NFKC, casefolded, inner marks gone."""
    return _WORD.findall(_INNER_MARK.sub("", unicodedata.normalize("NFKC", value).casefold()))


def _states(words: Sequence[str]) -> Iterable[str]:
    names = _country_names()
    starts = names.starts
    end = 0  # never inside a name found: "Northern Ireland" is no Ireland
    for i, word in enumerate(words):
        # most words start no name: one set lookup, not a call, for each
        if i < end or word not in starts:
            continue
        size, code = names.at(words, i)
        if code:  # "" marks a name that is no country ("New Mexico")
            yield code
        end = i + size


def is_country_name(words: Sequence[str]) -> bool:
    """``words`` are one country's name and nothing else ("pakistan")."""
    if not words:
        return False
    size, code = _country_names().at(words, 0)
    return bool(code) and size == len(words)


@dataclass(frozen=True)
class _CountryNames:
    codes: dict[tuple[str, ...], str]  # a name's normalised words -> its code
    sizes: dict[str, tuple[int, ...]]  # a name's first word -> the names' lengths, longest first
    starts: frozenset[str]  # the words a name can start with (one-word names with an s too)

    def at(self, words: Sequence[str], i: int) -> tuple[int, str | None]:
        """The longest name starting at ``words[i]`` (its size and code), the
        last word also read without a possessive's or plural's s ("Iran's"
        is "irans" once normalised); (1, None) when none starts there."""
        sizes = self.sizes.get(words[i], ())
        if not sizes and words[i].endswith("s") and (words[i][:-1],) in self.codes:
            sizes = (1,)
        for size in sizes:
            name = tuple(words[i:i + size])
            if len(name) < size:
                continue
            code = self.codes.get(name)
            if code is None and name[-1].endswith("s"):
                code = self.codes.get((*name[:-1], name[-1][:-1]))
            if code is not None:
                return size, code
        return 1, None


# A name that is a common word too, or a word in a name of something else
_NOT_COUNTRY_NAMES = frozenset({"us", "chad", "jordan", "georgia", "poles", "polish"})
# Names with a country's name in them that are no country: read whole, they
# name nothing (longest first, so "new mexico" is not Mexico; plurals and
# possessives are read by their s)
_NOT_COUNTRIES = (
    "new mexico", "new south wales", "new england", "new jersey", "new guinea",
    "latin america", "south america", "north america", "central america", "americas",
    "latin american", "south american", "north american", "central american",
    "indian ocean", "west indies", "american airlines", "american express",
    "guinea pig", "turkey vulture", "french fries", "french open", "irish sea",
)
# The EU acts as a state does ("EU imposes sanctions" and "UK imposes
# sanctions" are two events); other bodies are named as context, in words that
# differ between outlets ("IAEA" / "UN watchdog")
_ORGANISATIONS_AS_PARTIES = frozenset({"EU"})
_GAZETTEER = Path(__file__).resolve().parents[1] / "classifier" / "gazetteer.yaml"


@functools.cache
def _country_names() -> _CountryNames:
    """Each country's name, other names, adjectives, capitals and seats of
    government, and each organisation's names, from the classifier's packaged
    gazetteer ("Tehran test-fires ..." and "Islamabad test-fires ..." are two
    events; other cities are left out), and ``_NOT_COUNTRIES`` as names of none."""
    document = yaml.load(_GAZETTEER.read_text(encoding="utf-8"),
                         Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    codes: dict[tuple[str, ...], str] = {}
    parties = [(str(c["code"]), c) for c in document.get("countries") or []]
    parties += [(str(o["id"]), o) for o in document.get("organisations") or []
                if o.get("id") in _ORGANISATIONS_AS_PARTIES]
    for code, party in parties:
        names = [party.get("name"), *(party.get("aliases") or []),
                 *(party.get("adjectives") or []), *(party.get("capitals") or []),
                 *(party.get("seats") or [])]
        guarded = set(party.get("guarded") or [])
        for name in names:
            if not isinstance(name, str) or name in guarded:
                continue
            words = tuple(normal_words(name))
            if words and " ".join(words) not in _NOT_COUNTRY_NAMES:
                codes.setdefault(words, code)
    for name in _NOT_COUNTRIES:
        codes[tuple(normal_words(name))] = ""
    sizes: dict[str, set[int]] = {}
    for words in codes:
        sizes.setdefault(words[0], set()).add(len(words))
    plurals = {words[0] + "s" for words in codes if len(words) == 1}  # "irans": "Iran's"
    return _CountryNames(codes, {first: tuple(sorted(found, reverse=True))
                                 for first, found in sizes.items()},
                         frozenset(sizes) | plurals)


def _unix_seconds(at: datetime | None) -> int | None:
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return int(at.timestamp())
