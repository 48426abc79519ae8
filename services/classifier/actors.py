"""Actors named in an article: countries (ISO alpha-2), organisations, people.

One Aho-Corasick pass over the text finds every gazetteer surface form
(case-sensitive: "Turkey" the state, not "turkey" the bird); then the
leftmost-longest matches on word boundaries win, so "North Korean" beats
"Korean" and "Washington Post" (an ignore phrase) hides "Washington".
Ambiguous names are checked against their neighbours; see ``gazetteer.py``
for the strong / guarded / weak strengths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick
from watchfloor.services.classifier.gazetteer import Entity, Gazetteer, Surface
from watchfloor.services.classifier.matcher import replace_marks
from watchfloor.shared.schemas import Actor


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that may stand right before a name without making it part of a longer
# proper name: titles ("President Putin") and capitalised function words at
# the start of a sentence ("In Georgia", "But Jordan").
_TITLES = _word_set(
    """President Vice-President Premier Prime Minister PM Chancellor Mr Mrs Ms Dr Mr. Mrs. Ms. Dr.
    Secretary Secretary-General Secretary-general King Queen Prince Princess Crown Sheikh Emir
    Leader Supreme General Gen Gen. Marshal Senator Sen Sen. Governor Chairman Ayatollah Mullah
    Spokesman Speaker Director Director-General Commander Envoy Ambassador Foreign Defence Defense
    Interior Former Ex-President Acting Interim Chief Sultan Pope Saint Colonel Col Col. Lt
    Admiral President-elect Adviser Advisor Deputy Minister Ministers"""
)
_FUNCTION_WORDS = _word_set(
    """A An The In At On To From For With By Of And Or But As After Before While When Where Why How
    What Who Which Whether If Since Until Across Against Over Under Into Inside Outside Like Unlike
    Both Neither Only Even Also Meanwhile Still Now Then Today Yesterday Tomorrow Does Did Do Will
    Would Can Could Should May Might Must Has Have Had Is Are Was Were Says Said Says: Tells Warns
    Urges Calls Backs Slams Joins Hits Neighbouring Neighboring Nearby Rival Allies Ally Why Here
    It Its This That These Those Than Via Near Between Among Amid Despite Without Within"""
)
# Capitalised words that may follow a guarded name ("Pyongyang Monday said").
_NEXT_OK = _word_set(
    """Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
    June July August September October November December On In And To For As Has Is Was Will
    Says Said"""
)


# Typographic apostrophes and no-break spaces as the gazetteer writes them
# (hyphens stay: "Guinea-Bissau" is written with one).
_PLAIN_MARKS = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00a0": " ", "\u202f": " "}


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    surface: Surface


class ActorExtractor:
    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self._automaton = ahocorasick.Automaton()
        for text, surface in gazetteer.surfaces.items():
            self._automaton.add_word(text, surface)
        self._automaton.make_automaton()

    # -- public -------------------------------------------------------------

    def find(self, text: str) -> list[tuple[int, int, Actor]]:
        """Mentions in ``text`` as (start, end, actor), in text order.

        The actor is the entity named at that place: a person's actor has
        ``country`` set (the state they act for), so a caller asking "does
        this sentence name a state actor?" checks ``kind == "country"`` or
        ``actor.country``. Weak names are confirmed within ``text`` only.
        """
        hits = self._resolve(self._scan(text), text)
        return [
            (h.start, h.end, _actor(h.surface.entity, [text[h.start : h.end]]))
            for h in hits
            if h.surface.entity is not None
        ]

    def extract(self, title: str, text: str) -> list[Actor]:
        """Every actor in title and text, sorted by first mention (title first).

        A person also brings in the state (and organisation) they act for.
        """
        joined = f"{title}\n{text}" if text else title
        hits = self._resolve(self._scan(joined), joined)
        order: dict[tuple[str, str], int] = {}
        mentions: dict[tuple[str, str], list[str]] = {}
        entities: dict[tuple[str, str], Entity] = {}

        def note(entity: Entity, position: int, surface: str) -> None:
            key = (entity.kind, entity.id)
            if key not in entities:
                entities[key] = entity
                order[key] = position
                mentions[key] = []
            if surface not in mentions[key]:
                mentions[key].append(surface)

        for hit in hits:
            entity = hit.surface.entity
            if entity is None:
                continue
            surface = joined[hit.start : hit.end]
            note(entity, hit.start, surface)
            if entity.kind == "person":
                for implied in self._implied(entity):
                    note(implied, hit.start, surface)
        keys = sorted(entities, key=lambda k: order[k])
        return [_actor(entities[k], mentions[k]) for k in keys]

    # -- matching -----------------------------------------------------------

    def _scan(self, text: str) -> list[_Hit]:
        """Leftmost-longest matches that sit on word boundaries."""
        candidates: list[_Hit] = []
        size = len(text)
        # the gazetteer writes ' and spaces: "Côte d’Ivoire", "North Korea"
        # with a no-break space are the same names (one character for one,
        # so offsets hold)
        plain = replace_marks(text, _PLAIN_MARKS)
        # an all-caps headline ("NORTH KOREA FIRES MISSILE") is read as
        # written (acronyms: "US", "NATO") and in Title Case (names)
        readings = [plain]
        if (titled := _title_cased_caps_headline(plain)) is not None:
            readings.append(titled)
        for reading in readings:
            for end_index, surface in self._automaton.iter(reading):
                end = end_index + 1
                start = end - len(surface.text)
                if start > 0 and _is_word_char(text[start - 1]):
                    continue
                if end < size and (_is_word_char(text[end]) or text[end] == "$"):
                    continue  # "Iranian" is not "Iran"; "US$5m" is money, not the US
                candidates.append(_Hit(start, end, surface))
        candidates.sort(key=lambda h: (h.start, h.start - h.end))
        chosen: list[_Hit] = []
        taken_until = 0
        for hit in candidates:
            if hit.start >= taken_until:
                chosen.append(hit)
                taken_until = hit.end
        return chosen

    def _resolve(self, hits: list[_Hit], text: str) -> list[_Hit]:
        """Drop guarded names inside longer proper names and unconfirmed weak names."""
        if not hits:
            return hits
        # Title Case only ever applies to the first line (the headline).
        first_line_end = text.find("\n") if "\n" in text else len(text)
        title_case = _looks_title_case(text[:first_line_end])
        kept: list[_Hit] = []
        weak: list[_Hit] = []
        for hit in hits:
            strength = hit.surface.strength
            entity = hit.surface.entity
            if entity is not None and entity.kind == "person" and _GENERATION.match(text, hit.end):
                continue  # "Donald Trump Jr." is his son
            if hit.surface.text in self.gazetteer.places and self._another_place_after(text, hit):
                continue  # "Tripoli, Lebanon", "Moscow, Idaho": a town of that name
            if entity is None or strength == "strong":
                kept.append(hit)
                continue
            before = _word_before(text, hit.start)
            if strength == "weak":
                if before in _TITLES:
                    kept.append(hit)
                else:
                    weak.append(hit)
                continue
            in_title_case = title_case and hit.start < first_line_end
            if _inside_longer_name(text, hit, before, in_title_case,
                                   self._is_state_possessive(before)):
                continue
            kept.append(hit)
        if weak:
            confirmed = {h.surface.entity for h in kept if h.surface.entity is not None}
            kept.extend(h for h in weak if h.surface.entity in confirmed)
            kept.sort(key=lambda h: h.start)
        return kept

    def _another_place_after(self, text: str, hit: _Hit) -> bool:
        """", <a state, province or another country>" right after a city's
        name: the town of that name there, not this country's city."""
        if not text.startswith(", ", hit.end):
            return False
        after = text[hit.end + 2:hit.end + 60]
        if (state := _STATE_OR_PROVINCE.match(after)) is not None:
            # "Washington" is also a capital: in a list of capitals it is one
            return state.group(0) != "Washington" or not _GOES_ON.match(after, state.end())
        entity = hit.surface.entity
        words = after.split()
        for size in (3, 2, 1):
            name = " ".join(words[:size]).rstrip(".,;:")
            surface = self.gazetteer.surfaces.get(name)
            if surface is not None and surface.entity is not None \
                    and surface.entity.kind == "country" and surface.strength == "strong":
                if _GOES_ON.match(after, len(name)):
                    return False  # a list ("Beijing, Japan and ..."), "Taipei, China said"
                return surface.entity.id not in (entity.id, entity.country) if entity else True
        return False

    def _is_state_possessive(self, word: str) -> bool:
        """"China's", "Russia’s": a state's name with a possessive, after which
        a name is the state's man, not the rest of another name ("Nike's")."""
        if not _POSSESSIVE.search(word):
            return False
        surface = self.gazetteer.surfaces.get(replace_marks(word, _PLAIN_MARKS)[:-2])
        return surface is not None and surface.entity is not None \
            and surface.entity.kind == "country"

    def _implied(self, person: Entity) -> list[Entity]:
        implied = []
        if person.country and (country := self.gazetteer.country(person.country)):
            implied.append(country)
        if person.org and (org := self.gazetteer.organisation(person.org)):
            implied.append(org)
        return implied


def _actor(entity: Entity, mentions: list[str]) -> Actor:
    return Actor(
        id=entity.id,
        name=entity.name,
        kind=entity.kind,
        country=entity.country,
        mentions=mentions,
    )


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _word_before(text: str, start: int) -> str:
    """The word right before ``start`` when only spaces separate them, else ''."""
    i = start
    while i > 0 and text[i - 1] == " ":
        i -= 1
    if i == start or i == 0:
        return ""
    j = i
    while j > 0 and not text[j - 1].isspace():
        j -= 1
    return text[j:i]


def _word_after(text: str, end: int) -> str:
    i = end
    while i < len(text) and text[i] == " ":
        i += 1
    if i == end:
        return ""
    j = i
    while j < len(text) and not text[j].isspace():
        j += 1
    return text[i:j].rstrip(".,;:!?'\")")


def _inside_longer_name(text: str, hit: _Hit, before: str, title_case: bool,
                        after_state_possessive: bool = False) -> bool:
    """True when a guarded name reads as part of another proper name.

    "Michael Jordan", "George Washington", "Georgia Tech". In Title Case
    headlines every word is capitalised, so the neighbours say nothing.
    Not after a state's possessive ("China's Xi") nor a secretary of state's
    title ("Secretary of State Blinken").
    """
    if _INITIALS.fullmatch(before):
        return True  # "George H.W. Bush", "H. W. Bush": another name of the family
    if title_case:
        return False
    if (
        before
        and before[0].isupper()
        and before[-1].isalpha()
        and before not in _TITLES
        and before not in _FUNCTION_WORDS
        and not after_state_possessive
        and not (before == "State" and text[: hit.start].rstrip().endswith(" of State"))
    ):
        return True
    if _POSSESSIVE.match(text, hit.end - 2) or _POSSESSIVE.match(text, hit.end):
        return False  # "Biden's Kyiv visit": what follows is his, not more of his name
    after = _word_after(text, hit.end)
    return bool(after and after[0].isupper() and after not in _NEXT_OK)


_POSSESSIVE = re.compile(r"['\u2019]s\b")
_INITIALS = re.compile(r"(?:[A-Z]\.)+")
# after a person's name: the son, the father ("Donald Trump Jr.", "Bush Sr.")
_GENERATION = re.compile(r",? (?:Jr|Sr|II|III|IV)\b")
# what follows a list's item or a clause's subject, not a town's state or
# country ("Tripoli, Lebanon, on Monday" is the town; "Beijing, Japan and" or
# "Kyiv, Moscow, Poland" a list; "Taipei, China said" a speaker)
_SPEAKS = r"(?:said|says|say|told|warned|added|announced|claimed)\b"
_GOES_ON = re.compile(
    rf"(?:\s+(?:and|or)\b|,?\s+{_SPEAKS}|,\s+(?!(?:on|in|at|for|where|when|which|who|after"
    rf"|before|last|this|and|the)\b)[A-Z])")
_STATE_OR_PROVINCE = re.compile(
    r"(?:Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida"
    r"|Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland"
    r"|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada"
    r"|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio"
    r"|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee"
    r"|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming"
    r"|Ontario|Quebec|British Columbia|Alberta|Queensland|Victoria|New South Wales)\b"
)


def _title_cased_caps_headline(text: str) -> str | None:
    """``text`` with its first line in Title Case when that line is in capitals
    (three words or more, no lowercase letter), one character for one; else None."""
    end = text.find("\n")
    line = text if end < 0 else text[:end]
    if not line.isupper() or len(line.split()) < 3:  # most headlines fail the first test
        return None
    titled = " ".join(word[:1] + word[1:].lower() for word in line.split(" "))
    return titled + text[len(line):] if len(titled) == len(line) else None


def _looks_title_case(line: str) -> bool:
    """Headline Case: most longer words are capitalised."""
    words = [w for w in line.split() if len(w) > 3 and w[0].isalpha()]
    if len(words) < 3:
        return False
    capitalised = sum(1 for w in words if w[0].isupper())
    return capitalised >= 0.75 * len(words)
