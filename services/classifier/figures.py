"""Typed numbers a watchlist can compare: troops, missiles, money, aircraft,
ships and casualties.

A figure is a quantity followed by the thing it counts ("30,000 troops",
"two ballistic missiles", "24 F-16 fighter jets") or a sum of money
("$1.2 billion", "€2bn", "2 billion dollars"). Only a short list of
modifier words may stand between the quantity and the noun, which is what
keeps years, ages and percentages out ("in 2005 troops...", "30-year-old
soldiers", "30% of troops"). Counted people who were killed or wounded are
casualties, not troops. Counts are whole numbers ("2.5 thousand troops", never
"0.5 troops"); "a few dozen", "several hundred" and "two or three" are ranges.

A keyword prefilter skips the regexes for the many items that count nothing.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass

import ahocorasick
from watchfloor.services.classifier.matcher import lower_same_length
from watchfloor.shared.schemas import Figure, Span, TextField
from watchfloor.shared.spans import merge_spans

# --- numbers ---------------------------------------------------------------

_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {
    "hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
    "dozen": 12, "k": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12, "trn": 1e12,
}  # fmt: skip
# Vague quantities: (low, high, best guess).
_VAGUE = {
    "dozens": (24, 99, 36),
    "hundreds": (100, 999, 200),
    "thousands": (1_000, 9_999, 2_000),
    "tens of thousands": (10_000, 99_999, 20_000),
    "hundreds of thousands": (100_000, 999_999, 200_000),
}
_FEW = {"several": (3, 9, 5), "a few": (2, 5, 3)}

_WORD_NUM = (
    r"(?:(?:" + "|".join(_TENS) + r")(?:[- ](?:" + "|".join(list(_UNITS)[:9]) + r"))?"
    r"|" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")"
)
# Thousands grouped by commas ("7,500") or by one space, no-break space or
# narrow no-break space ("7 500"): only groups of exactly three digits after
# a group of one to three, so "in 2023 500 troops" stays two numbers.
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0\u202f]\d{3}(?![\d,]))+|\d+)(?:\.\d+)?"
_SCALE_WORD = r"(?i:hundred|thousand|million|billion|trillion)"
# "1.2m", "1.2 bn", "1.2 M": an abbreviated scale, attached or after a space;
# a letter that goes on ("5 M-346 jets", "10 bnx") is something else.
_SCALE_ABBREV = r"(?:(?:k|m|mn|mln|bn|tn)(?![A-Za-z])|\s(?:k|m|mn|mln|bn|tn)(?![\w-]))"
# A single number: "30,000", "1.2 million", "two", "twenty-five", "a dozen".
_NUMBER = (
    rf"(?:(?:{_DIGITS})(?:[\s-]?{_SCALE_WORD}|{_SCALE_ABBREV})?"
    # "four thousand five hundred", "two hundred (and) fifty": AP style opens a
    # sentence so; an "and" that starts a range's high end is left to the range
    rf"|(?:{_WORD_NUM})(?:\s{_SCALE_WORD}(?:\s{_WORD_NUM}(?:\s{_SCALE_WORD})?|\s{_SCALE_WORD}"
    rf"|\sand\s{_WORD_NUM}(?!\s{_SCALE_WORD})"
    # "two hundred and fifty thousand": a larger scale after the "and" (the
    # same scale, "two hundred and three hundred", is a range)
    rf"|(?<=hundred)\sand\s{_WORD_NUM}\s(?:thousand|million|billion|trillion)){{0,3}})?"
    rf"|(?:{_WORD_NUM}|\d+)\sdozen|an?\s(?:dozen|hundred|thousand)|a\ssingle|dozen|an?)"
)
_APPROX_PHRASES = (
    "about", "around", "some", "nearly", "almost", "roughly", "approximately", "an estimated",
    "estimated", "up to", "at least", "more than", "over", "fewer than", "less than",
    "as many as", "close to", "upwards of", "no fewer than", "an additional", "another",
    "a further",
)  # fmt: skip
_APPROX = "(?:" + "|".join(phrase.replace(" ", r"\s") for phrase in _APPROX_PHRASES) + ")"
_QUANTITY = rf"""(?i:
    (?:(?P<approx>{_APPROX})\s)?
    (?:
        # A range: "10,000-12,000", "between 10 and 20", "two or three". The
        # low end is atomic, so "twenty-five" never splits into "twenty" to "five".
        (?P<between>between\s)?(?>(?P<lo>{_NUMBER}))
        (?:\s?(?:-|–|to|and)\s?|\sor\s)(?P<hi>{_NUMBER})
      | (?P<vague>tens\sof\sthousands|hundreds\sof\sthousands|thousands|hundreds|dozens)\sof
      | (?P<few>several|a\sfew)\s(?P<fewscale>hundred|thousand|dozen)
      | (?P<num>{_NUMBER})
    ))
"""

# --- what is counted -------------------------------------------------------

_TROOP_NOUNS = (
    r"troops|soldiers|servicemen|service\smembers|servicemembers|personnel|peacekeepers"
    r"|peace-keepers|marines|Marines|paratroopers|reservists|commandos|troopers|sailors"
    r"|airmen|mercenaries|fighters|militiamen|guardsmen|conscripts|special\sforces"
    r"|military\sadvisers|military\sadvisors|military\sinstructors"
)
_MISSILE_NOUNS = r"missiles|rockets|projectiles|ICBMs|SLBMs|interceptors|warheads"
# "aircraft carriers" are ships.
_AIRCRAFT_NOUNS = (
    r"aircraft(?!\scarriers?\b)|jets|warplanes|planes|airplanes|bombers|helicopters|choppers"
    r"|gunships|drones|UAVs|fighter\sjets"
)
_SHIP_NOUNS = (
    r"warships|ships|vessels|frigates|destroyers|submarines|corvettes|aircraft\scarriers"
    r"|carriers|gunboats|patrol\sboats|minesweepers|cruisers"
)
_VICTIM_NOUNS = (
    r"people|civilians|persons|police|policemen|police\sofficers|officers|militants|rebels"
    r"|insurgents|children|women|men|workers|passengers|protesters|demonstrators|migrants"
    r"|villagers|others|residents|students|pilgrims|worshippers|Iraqis|Afghans|Palestinians"
    r"|Israelis|Americans|Ukrainians|Russians|Syrians"
)
_SINGULAR_NOUNS = r"missile|projectile|ICBM|warship|submarine|aircraft\scarrier"

# Words allowed between the quantity and the noun: adjectives of kind and
# origin, capitalised words (nationalities, "NATO", "F-16", "Tomahawk") and
# hyphenated compounds ("short-range") unless they speak of age or time.
_MOD_WORDS = (
    r"more|additional|extra|fresh|new|combat|ground|foreign|elite|special|armed|military"
    r"|army|naval|navy|air|marine|peacekeeping|international|coalition|allied|active|reserve"
    r"|regular|government|rebel|heavily|well|ballistic|cruise|guided|nuclear|tactical"
    r"|strategic|suspected|unidentified|short|medium|long|range|test|hypersonic|intercontinental"
    r"|fighter|attack|transport|cargo|surveillance|spy|unmanned|stealth|advanced|used|war"
    r"|patrol|amphibious|light|heavy|multirole|modern|second-hand|secondhand|surface"
    r"|anti-ship|anti-aircraft|anti-tank|sea|land|of\sits|of\stheir|of\sthe|battle-hardened"
    r"|battle|trained|highly|of|its|their|the|his|her|our|troops'|serving|uniformed|enemy"
    r"|kamikaze|combat-ready|missile|rocket|defence|defense|interceptor|nuclear-capable"
    r"|nuclear-armed|more\sthan|about|so-called|other"
)
_MONTH_NAMES = (r"January|February|March|April|May|June|July|August|September|October"
                r"|November|December")
# a capitalised word ("Russian", "US-made") but no month: "24 February Russian
# troops" is a date, then troops
# A hyphenated word of a unit ("1,500 km-range", "8,000 ton-class", "122
# mm-calibre") makes the number a measurement, not a count.
_UNIT_COMPOUND = (r"(?:km|kilomet(?:re|er)|mile|nautical|ton|tonne|kiloton|megaton|mm|cm|kg"
                  r"|met(?:re|er)|ft|foot|feet|inch|lb|pound|knot|litre|liter|gallon)s?-")
_MOD = rf"(?:(?:{_MOD_WORDS})|(?!(?:{_MONTH_NAMES})\b)[A-Z][\w.&'-]*|(?!{_UNIT_COMPOUND})(?![\w-]*(?:year|old|month|week|day|hour|minute))[a-z]+-[a-z-]+)"
_MODS = rf"(?:\s{_MOD}){{0,4}}"

# Every quantity starts with a digit or one of these words (followed by a
# space or a hyphen). Looking ahead for them lets the regex engine leave a
# word start after one test instead of trying every branch of _QUANTITY
# there: _COUNTED scans 40 % faster, with the same matches.
_QUANTITY_FIRST_WORDS = sorted(
    {phrase.split()[0] for phrase in (*_APPROX_PHRASES, *_VAGUE, *_FEW)}
    | {"between", "a", "an", "dozen"} | set(_UNITS) | set(_TENS),  # see _QUANTITY, _NUMBER
    key=len, reverse=True,
)
_QUANTITY_STARTS = rf"(?=(?i:\d|(?:{'|'.join(_QUANTITY_FIRST_WORDS)})\b))"

_COUNTED = re.compile(
    rf"""
    (?<![\w.,/$€£¥-])
    {_QUANTITY_STARTS}
    {_QUANTITY}
    (?:-strong(?:{_MODS})?\s(?P<strong>force|forces|army|contingent|brigade|division
        |battalion|mission|unit|troops|deployment|garrison|presence|corps|peacekeeping\sforce)
     |(?P<mods>{_MODS})\s
      (?:(?P<troops>{_TROOP_NOUNS})|(?P<missiles>{_MISSILE_NOUNS})
        |(?P<aircraft>{_AIRCRAFT_NOUNS})|(?P<ships>{_SHIP_NOUNS})
        |(?P<victims>{_VICTIM_NOUNS})|(?P<singular>{_SINGULAR_NOUNS}))
     |\s(?P<bare_dead>(?:were\s|have\sbeen\s)?(?:killed|dead|wounded|injured))
      (?=\s*(?:[,.;:!?)]|$)|\s(?:and|in|after|as|at|on|from|since|when|including|following
        |during|across|over|amid|with|by|near|inside|so|as|while|or)\b))
    (?![\w-])
    """,
    re.VERBOSE,
)

_CURRENCY_SYMBOLS = {
    "US$": "USD", "$": "USD", "A$": "AUD", "C$": "CAD", "HK$": "HKD", "NZ$": "NZD",
    "€": "EUR", "£": "GBP", "¥": "JPY", "USD": "USD", "EUR": "EUR", "GBP": "GBP",
}  # fmt: skip
_CURRENCY_WORDS = {
    "dollars": "USD", "us dollars": "USD", "u.s. dollars": "USD", "euros": "EUR",
    "pounds": "GBP", "pounds sterling": "GBP", "sterling": "GBP", "yen": "JPY",
    "yuan": "CNY", "renminbi": "CNY", "rupees": "INR", "roubles": "RUB", "rubles": "RUB",
    "won": "KRW", "riyals": "SAR", "shekels": "ILS",
}  # fmt: skip
_SYMBOL_RE = r"US\$|A\$|C\$|HK\$|NZ\$|\$|€|£|¥|USD\s?|EUR\s?|GBP\s?"
_MONEY_NUMBER = (
    rf"{_DIGITS}(?:[\s-]?{_SCALE_WORD}|(?i:k|m|mn|mln|bn|b|tn|trn)(?![A-Za-z])"
    rf"|\s(?i:k|m|mn|mln|bn|b|tn|trn)(?![\w-]))?"  # "$1.2 bn"
)
_MONEY = re.compile(
    rf"""
    (?<![\w.,])
    (?:(?P<approx>(?i:{_APPROX}))\s)?
    (?P<between>(?i:between)\s)?
    (?:
        (?P<sym>{_SYMBOL_RE})(?P<amount>{_MONEY_NUMBER})
        (?:\s?(?:-|–|to|(?(between)and|(?!)))\s?(?:{_SYMBOL_RE})?(?P<amount_hi>{_MONEY_NUMBER}))?
      | (?:(?P<amount_w_lo>{_MONEY_NUMBER}|{_WORD_NUM}(?:\s{_SCALE_WORD})?)  # "900 million to"
           \s?(?:-|–|to|(?(between)and|(?!)))\s?)?
        (?P<amount_w>{_MONEY_NUMBER}|{_WORD_NUM}\s{_SCALE_WORD})
        \s(?P<word>(?:US\s|U\.S\.\s)?dollars|euros|pounds\ssterling|sterling|yen|yuan
            |renminbi|rupees|roubles|rubles|riyals|shekels
            |(?<=illion\s)(?:pounds|won)|(?<=bn\s)(?:pounds|won))
    )
    (?![\w])
    """,
    re.VERBOSE,
)

# "2 million pounds of gunpowder" is a weight ("5 million pounds of military
# aid" is money): the materials weighed in pounds
_POUNDS_OF = re.compile(r"\s+of\s+([\w']+)")
_WEIGHED_AFTER_OF = frozenset(["gunpowder", "explosives", "explosive", "tnt", "ammonium", "fertiliser", "fertilizer", "food", "rice", "wheat", "grain", "flour", "corn", "sugar", "meat", "beef", "pork", "chicken", "fish", "seafood", "produce", "cargo", "fuel", "coal", "ore", "steel", "metal", "scrap", "sand", "concrete", "uranium", "plutonium", "cocaine", "heroin", "methamphetamine", "meth", "marijuana", "cannabis", "drugs", "narcotics", "waste", "garbage", "trash", "debris", "bombs", "ordnance"])

# A price per unit is not an amount; a sum per year or month is ("$3.8 billion
# a year in aid").
_PER_UNIT = re.compile(
    r"(?:\s?-?(?:a|an|per)[\s-](?:barrel|share|hour|week|day|ton|tonne|head|gallon"
    r"|litre|liter|kilo|kg|pound|ounce|person|ticket|night|dose|unit|minute|mile|seat)\b)"
)

# Killed or wounded right after the noun makes them casualties. "... and
# their driver were killed", "among 7 killed": {clause_word} skips a short clause.
_CASUALTY_AFTER_PATTERN = (
    r"(?:,?\s(?:and|among)(?:\s{clause_word}){{1,4}}?(?=\s(?:were|have|are|killed|dead)\b))?"
    r"\s?(?:were|have|has|had|been|are|was|being|reportedly|also|reported|confirmed|feared"
    r"|believed|to|later|\s)*"
    r"\s(?:killed|dead|died|wounded|injured|hurt|slain|massacred|missing|executed)\b"
)
# A word that counts: "two civilians" in "and two civilians were killed".
_COUNT_WORD = (
    rf"(?i:\d[\d,.]*|{_WORD_NUM}|dozens?|hundreds|thousands|several|few|many|scores)(?![\w-])"
)
# A subject: "three soldiers and seven militants were killed" were all killed.
_CASUALTY_AFTER = re.compile(_CASUALTY_AFTER_PATTERN.format(clause_word=r"[\w'-]+"))
# An object ("Russia deployed 5,000 troops and two civilians were killed"): the
# killing does not cross to a second subject that has a count of its own.
_CASUALTY_AFTER_OBJECT = re.compile(
    _CASUALTY_AFTER_PATTERN.format(clause_word=rf"(?!{_COUNT_WORD})[\w'-]+")
)
# "500 troops killed 40 militants": the verb has an object, so the troops did
# the killing (passive forms have an auxiliary or no object: "were killed",
# "killed in the raid").
_ACTIVE_VERB = re.compile(r"\s(?:killed|wounded|injured|slew|massacred|executed)$")
_OBJECT_AFTER = re.compile(
    rf"\s(?:(?:at\sleast|some|about|nearly|more\sthan|over|around|an\sestimated)\s)?"
    rf"(?:{_COUNT_WORD}|(?:the|a|an|his|her|their|its|two|dozens|scores)\b)"
    # "killed a day after the truce", "wounded the previous night": a time, no object
    r"(?!(?:\s(?:previous|following|same|next|last))?\s(?:day|days|week|weeks|month|months"
    r"|year|years|night|nights|hour|hours|morning|evening|afternoon|weekend)\b)",
    re.IGNORECASE,
)

# What stands before a quantity that is the subject of its clause: the start of
# the field, punctuation, or a word that opens a clause ("officials said").
_SUBJECT_BEFORE = re.compile(
    r"(?:^|[.!?:;,\"“”'(\[—–-]\s*|\b(?:said|says|say|told|that|reported|reports|after|when"
    r"|while|as|but|and|where|because|since|though|although)\s)$",
    re.IGNORECASE,
)
_CASUALTY_BEFORE = re.compile(
    r"(?:kill(?:s|ed|ing)?|wound(?:s|ed|ing)?|injur(?:es|ed|ing)|claimed\sthe\slives\sof"
    r"|deaths?\sof|bodies\sof|corpses\sof|remains\sof|massacre(?:d)?|toll\sof|toll\sto"
    r"|lost|(?:kill|wound|injur|dead|died)[\w\s,-]{0,40}including)"
    r"\s(?:at\sleast\s|some\s|about\s|nearly\s|more\sthan\s|over\s|around\s)?$",
    re.IGNORECASE,
)
# "left 12 soldiers dead": "left" speaks of casualties only when the dead or
# hurt follow in the same clause ("left 300 troops in the town" does not).
_LEFT_BEFORE = re.compile(
    r"\bleft\s(?:at\sleast\s|some\s|about\s|nearly\s|more\sthan\s|over\s|around\s)?$",
    re.IGNORECASE,
)
_LEFT_HURT_AFTER = re.compile(
    # "left 12 soldiers and three civilians dead", "left 50 people, including
    # five children, dead": a few words, no new clause ("left 300 troops in the
    # town where 12 were killed").
    r"(?:,?\s(?!(?:where|when|while|after|before|since|as|but|who|which|that|because|until)\b)"
    r"[\w'-]+){0,8}?,?\s(?:dead|killed|wounded|injured|hurt)\b",
    re.IGNORECASE,
)
# Numbers that are dates, not counts: "March 3", "in 2005".
_DATE_BEFORE = re.compile(
    rf"(?:{_MONTH_NAMES}|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?\s$"
)
# A name before a number: a model ("Type 055", "MiG 29", "Mark 48"), a unit
# ("Task Force 51", "Unit 8200"), a text ("Resolution 1701", "Article 5"), a
# route or flight ("Highway 401", "Flight 93")
_DESIGNATION_BEFORE = re.compile(
    r"(?<![\w-])(?:Type|MiG|Su|Tu|Mi|Ka|Il|Yak|Mark|Mk|Block|Model|Project|Class|Task\sForce"
    r"|Strike\sGroup|Unit|Division|Brigade|Battalion|Regiment|Squadron|Wing|Fleet|Corps"
    r"|Resolution|Article|Section|Chapter|Paragraph|Clause|Phase|No\.|Number|Highway|Route"
    r"|Flight)\s$"
)
_RATIO_BEFORE = re.compile(r"\d\s(?:in|out\sof)\s$")
_YEAR = re.compile(r"(?:19\d\d|20\d\d|2100)")
_YEAR_BEFORE = re.compile(
    r"(?:\b(?:in|since|until|by|from|during|of|year|early|late|mid|after|before|throughout"
    r"|spring|summer|autumn|fall|winter|fiscal)\s)$",
    re.IGNORECASE,
)
# A single missile or warship counts only when it is being fired or launched.
_LAUNCH_BEFORE = re.compile(
    r"(?:fire[sd]?|firing|launch(?:es|ed|ing)?|test-fire[sd]?|test-firing|test\sfired"
    r"|shot|shoots|sent|deploy(?:s|ed|ing)?)\s$"
)

# Cheap prefilter: one Aho-Corasick pass over the lowercased field finds the
# keywords every figure contains; the regexes run only near them (a regex
# alternation of keywords, or a full scan, is far slower).
# Every counted phrase ends in one of these (people killed or hurt are found
# through "killed", "dead", ...); every sum of money holds a currency keyword.
_COUNTED_KEYS = """troop soldier servicem service member personnel peacekeep peace-keep marine
    paratroop reservist commando sailor airmen mercenar fighter militia guardsmen conscript
    special forces -strong adviser advisor instructor missile rocket projectile icbm slbm
    interceptor warhead aircraft jets plane bomber helicopter chopper gunship drone uav
    _ship warship vessel frigate destroyer submarine corvette carrier gunboat boats
    minesweeper cruiser kill dead died death lives_of wound injur slain missing executed"""
_MONEY_KEYS = """$ € £ ¥ dollar euros pound sterling yen yuan renminbi rouble ruble
    illion_won bn_won riyal shekel rupee usd eur gbp"""
_KEYWORDS = ahocorasick.Automaton()
for _key in _COUNTED_KEYS.split():
    _KEYWORDS.add_word(_key.replace("_", " "), "counted")  # "_ship": not "leadership"
for _key in _MONEY_KEYS.split():
    _KEYWORDS.add_word(_key.replace("_", " "), "money")
_KEYWORDS.make_automaton()


# How far a phrase can reach around the keyword it contains: a quantity with
# its modifiers stands before the noun; "killing 12 soldiers" has the keyword
# before the number.
_REACH_BEFORE = {"counted": 120, "money": 60}
_REACH_AFTER = {"counted": 80, "money": 40}


def _windows(content: str) -> dict[str, list[tuple[int, int]]]:
    """Merged character ranges around the keywords, per regex to run there.

    The regexes then scan only these ranges instead of the whole field.
    """
    windows: dict[str, list[tuple[int, int]]] = {}
    size = len(content)
    for end_index, kind in _KEYWORDS.iter(lower_same_length(content)):
        start = max(0, end_index - _REACH_BEFORE[kind])
        end = content.find(" ", min(size, end_index + _REACH_AFTER[kind]))
        end = size if end < 0 else end
        ranges = windows.setdefault(kind, [])
        if ranges and start <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], end))
        else:
            ranges.append((start, end))
    return windows


@dataclass(frozen=True, slots=True)
class _Quantity:
    value: float
    low: float | None
    high: float | None
    approximate: bool


def extract_figures(title: str, text: str) -> list[Figure]:
    """Figures in the title, then in the text, each in order of position.
    The headline's figures are the story's: the text telling one again
    ("8,000 troops" in both) gives it once, in the headline (a watchlist's
    ``min_figures`` counts figures, not mentions). Within the text equal
    numbers stay apart: "12 killed in one town, 12 in another" are two."""
    figures = _field_figures("title", title)
    told = {_figure_key(f) for f in figures}
    figures += [f for f in _field_figures("text", text) if _figure_key(f) not in told]
    return figures


def _field_figures(field: TextField, content: str) -> list[Figure]:
    if content and (windows := _windows(content)):
        return list(_figures_in(field, content, windows))
    return []


def _figure_key(figure: Figure) -> tuple[str, float, float | None, float | None, str | None]:
    return figure.kind, figure.value, figure.low, figure.high, figure.unit


class _Spans:
    """Character spans, merged, asked "does (start, end) overlap one?" in
    log time: a linear scan per match made a long article with many
    figures quadratic (200,000 characters: 8.7 s)."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        merged = merge_spans(spans)
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]

    def overlaps(self, start: int, end: int) -> bool:
        # the last merged span starting before ``end`` reaches furthest
        index = bisect.bisect_left(self._starts, end) - 1
        return index >= 0 and self._ends[index] > start


def _figures_in(
    field: TextField, content: str, windows: dict[str, list[tuple[int, int]]]
) -> list[Figure]:
    found: list[tuple[int, int, Figure]] = []
    for start, end in windows.get("money", ()):
        for match in _MONEY.finditer(content, start, end):
            figure = _money(match, field, content)
            if figure is not None:
                found.append((match.start(), match.end(), figure))
    taken = _Spans([(s, e) for s, e, _ in found])
    matches = (
        match
        for start, end in windows.get("counted", ())
        for match in _COUNTED.finditer(content, start, end)
    )
    for match in matches:
        start, end = match.span()
        if taken.overlaps(start, end):
            continue
        figure = _counted(match, field, content)
        if figure is not None:
            found.append((start, end, figure))
    found.sort(key=lambda item: item[0])
    return [figure for _, _, figure in found]


def _counted(match: re.Match[str], field: TextField, content: str) -> Figure | None:
    groups = match.groupdict()
    start, end = match.span()
    before = content[max(0, start - 40) : start]
    if _looks_like_date_or_year(groups, before):
        return None
    quantity = _quantity(groups)
    if quantity is None:
        return None
    if (groups["num"] or "").lower() in ("a", "an") and not groups["singular"]:
        return None  # "a" counts one thing only: "fired a ballistic missile"
    if quantity.value == 1 and content.startswith(" of ", match.end("num") if groups["num"] else 0):
        return None  # "one of the soldiers" picks one out, it does not count them
    if _RATIO_BEFORE.search(before):
        return None  # "1 in 5 sailors"
    if groups["bare_dead"]:
        kind = "casualties"
    elif groups["strong"]:
        kind = "troops"
    elif groups["singular"]:
        if quantity.value != 1 or not _LAUNCH_BEFORE.search(before):
            return None  # "2005 missile crisis", "a missile defence system"
        kind = (
            "ships"
            if groups["singular"] in ("warship", "submarine", "aircraft carrier")
            else "missiles"
        )
    elif groups["troops"]:
        kind = "troops"
        if groups["troops"] == "fighters" and re.search(r"[A-Z]+-?\d", groups["mods"] or ""):
            kind = "aircraft"  # "24 F-16 fighters"
    elif groups["missiles"]:
        kind = "missiles"
    elif groups["aircraft"]:
        kind = "aircraft"
    elif groups["ships"]:
        kind = "ships"
    elif groups["victims"]:
        kind = "victims"
    else:
        return None
    casualty_after = (
        _CASUALTY_AFTER if _SUBJECT_BEFORE.search(before) else _CASUALTY_AFTER_OBJECT
    )
    hurt_after = casualty_after.match(content, end)
    if hurt_after and _ACTIVE_VERB.fullmatch(hurt_after.group(0)) \
            and _OBJECT_AFTER.match(content, hurt_after.end()):
        hurt_after = None  # they did the killing
    if kind in ("troops", "victims") and (
        hurt_after
        or _CASUALTY_BEFORE.search(before)
        or (_LEFT_BEFORE.search(before) and _LEFT_HURT_AFTER.match(content, end))
    ):
        kind = "casualties"
    if kind == "victims":
        return None  # counted people who were not hurt: nothing a watchlist compares
    return _figure(kind, quantity, None, match, field)


def _money(match: re.Match[str], field: TextField, content: str) -> Figure | None:
    groups = match.groupdict()
    if groups["sym"]:
        unit = _CURRENCY_SYMBOLS[groups["sym"].strip()]
        low = _parse_number(groups["amount"])
        high = _parse_number(groups["amount_hi"]) if groups["amount_hi"] else None
    else:
        word = " ".join(groups["word"].lower().split())
        unit = _CURRENCY_WORDS[word]
        low, high = _parse_number(groups["amount_w"]), None
        if groups["amount_w_lo"]:
            low, high = _parse_number(groups["amount_w_lo"]), low
    if low is None or _PER_UNIT.match(content, match.end()):
        return None  # "$50 a barrel" is a price, not an amount
    if unit == "GBP" and not groups["sym"] and groups["word"].lower().startswith("pounds") \
            and (of := _POUNDS_OF.match(content, match.end())) \
            and of.group(1).lower() in _WEIGHED_AFTER_OF:
        return None
    if high is not None:
        low_text, high_text = groups["amount"] or groups["amount_w_lo"], groups["amount_hi"]
        if _scale_of(low_text) is None and (scale := _scale_of(high_text or groups["amount_w"])):
            low *= scale  # "$1-2 billion": the scale applies to both ends
        if high < low:
            return None
        quantity = _Quantity((low + high) / 2, low, high, False)
    else:
        quantity = _Quantity(low, None, None, False)
    quantity = _apply_approx(quantity, groups["approx"])
    return _figure("money", quantity, unit, match, field)


def _figure(
    kind: str, quantity: _Quantity, unit: str | None, match: re.Match[str], field: TextField
) -> Figure | None:
    """None for an amount too large for a float ("$1" and 400 zeros): an
    infinite value cannot travel as JSON, and the article would not alert."""
    if not all(math.isfinite(v) for v in (quantity.value, quantity.low, quantity.high)
               if v is not None):
        return None
    start, end = match.span()
    phrase = match.group(0)
    return Figure(
        kind=kind,
        value=quantity.value,
        low=quantity.low,
        high=quantity.high,
        unit=unit,
        approximate=quantity.approximate,
        text=phrase,
        span=Span(field=field, start=start, end=end, text=phrase),
    )


def _looks_like_date_or_year(groups: dict, before: str) -> bool:
    """Also a model's number ("Type 055 destroyers", "MiG 29 jets"): no count."""
    number = groups["num"] or groups["lo"]
    if number is None:
        return False
    if _DATE_BEFORE.search(before) or _DESIGNATION_BEFORE.search(before):
        return True
    if number[:1] == "0" and number[1:2].isdigit():
        return True  # a count has no leading zero: "055", "07" (but "0.5 million" is one)
    if groups["between"] and _YEAR.fullmatch(number) and _YEAR.fullmatch(groups["hi"]):
        return True  # "between 2019 and 2021 troops"
    return bool(_YEAR.fullmatch(number) and _YEAR_BEFORE.search(before))


def _quantity(groups: dict) -> _Quantity | None:
    if groups["vague"]:
        low, high, value = _VAGUE[" ".join(groups["vague"].lower().split())]
        quantity = _Quantity(value, low, high, True)
    elif groups["few"]:
        low, high, value = _FEW[" ".join(groups["few"].lower().split())]
        scale = _SCALES[groups["fewscale"].lower()]
        quantity = _Quantity(value * scale, low * scale, high * scale, True)
    elif groups["lo"]:
        if groups["lo"].lower() in ("a", "an"):
            return None
        low, high = _count(groups["lo"]), _count(groups["hi"])
        if low is None or high is None:
            return None
        if _scale_of(groups["lo"]) is None and (scale := _scale_of(groups["hi"])):
            low *= scale  # "10 to 12 thousand"
        elif "," in groups["hi"] and "," not in groups["lo"] and low < 1000:
            digits = 1000 ** groups["hi"].count(",")  # "10-15,000" is 10,000-15,000
            if low * digits < high:
                low *= digits
        if high <= low:
            return None  # "1-0" scores, "2-1" votes
        if high > 50 * low:
            return None  # "between two hundred and three hundred thousand": no reading is sure
        if not _whole(low, high):
            return None  # people and things come whole: "1.5-2.5 troops"
        quantity = _Quantity((low + high) / 2, low, high, False)
    else:
        value = _count(groups["num"])
        if value is None or value == 0 or not _whole(value):
            return None  # "0.5 troops" per something; "2.5 thousand troops" is whole
        quantity = _Quantity(value, None, None, False)
    return _apply_approx(quantity, groups.get("approx"))


# "120.000 troops", "1.500 soldiers": a count's thousands grouped by dots (as
# much of Europe writes them); as decimals they would be no count at all
_DOTTED_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")


def _count(text: str | None) -> float | None:
    if text and _DOTTED_THOUSANDS.fullmatch(text):
        return float(text.replace(".", ""))
    return _parse_number(text)


def _words_value(tokens: list[str]) -> float | None:
    """'four thousand five hundred' -> 4500; 'two hundred fifty' -> 250;
    None for other words ("two dozen")."""
    if not tokens:
        return None
    total, current = 0.0, 0.0
    for token in tokens:
        if token in _UNITS:
            current += _UNITS[token]
        elif token in _TENS:
            current += _TENS[token]
        elif token == "hundred":
            current = (current or 1) * 100
        elif token in ("thousand", "million", "billion", "trillion"):
            total += (current or 1) * _SCALES[token]
            current = 0
        else:
            return None
    return total + current


def _whole(*numbers: float) -> bool:
    """Counts are whole: "2.5 thousand troops" is, "0.5 troops" is not."""
    return all(float(number).is_integer() for number in numbers)


def _apply_approx(quantity: _Quantity, approx: str | None) -> _Quantity:
    if not approx:
        return quantity
    approx = " ".join(approx.lower().split())
    value, low, high = quantity.value, quantity.low, quantity.high
    if approx in ("at least", "more than", "over", "upwards of", "no fewer than"):
        low = low if low is not None else value
    elif approx in ("up to", "fewer than", "less than", "as many as", "close to"):
        high = high if high is not None else value
    elif approx in ("an additional", "another", "a further"):
        return quantity  # "another 3,000 troops" is exact, just more of them
    return _Quantity(value, low, high, True)


def _scale_of(text: str | None) -> float | None:
    if not text:
        return None
    tail = re.search(r"([a-z]+)$", text.strip().lower())
    return _SCALES.get(tail.group(1)) if tail else None


def _parse_number(text: str | None) -> float | None:
    """'30,000' -> 30000; '7 500' -> 7500; '1.2 billion' -> 1.2e9; 'twenty-five' -> 25;
    'a dozen' -> 12."""
    if not text:
        return None
    text = " ".join(text.lower().replace("-", " ").split())  # no-break spaces too
    text = re.sub(r"(?<=\d) (?=\d{3}(?!\d))", "", text)  # "7 500": thousands
    if text in ("a dozen", "one dozen", "dozen"):
        return 12.0
    if text in ("a hundred", "a thousand"):
        return _SCALES[text[2:]]
    if text in ("a single", "a", "an"):
        return 1.0
    digits = re.match(r"(\d[\d,]*(?:\.\d+)?)\s?([a-z]*)$", text)
    if digits:
        value = float(digits.group(1).replace(",", ""))
        scale = digits.group(2)
        if scale:
            if scale not in _SCALES:
                return None
            value *= _SCALES[scale]
        return value
    value = _words_value(text.replace(" and ", " ").split())
    if value is not None:
        return value
    words = re.match(  # "two dozen"
        r"([a-z]+)(?:[- ]([a-z]+))?(?:\s(hundred|thousand|million|billion|trillion))?$", text
    )
    if not words:
        return None
    first, second, scale = words.groups()
    if first in _TENS:
        value = _TENS[first] + (_UNITS.get(second, 0) if second else 0)
    elif first in _UNITS and (second is None or second in _SCALES):
        value = _UNITS[first]
        scale = scale or second
    else:
        return None
    return float(value * (_SCALES[scale] if scale else 1))
