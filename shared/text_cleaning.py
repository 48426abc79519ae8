"""Cleaning text as it enters: what a reader sees is what a matcher sees.

Ingest cleans every article with it (``services/ingest/normalise.py``), and
the notifier cleans watchlist keywords the same way, so a keyword pasted with
a soft hyphen or in decomposed form still finds the article. Pure functions.
"""

from __future__ import annotations

import re
import unicodedata

from watchfloor.shared.html_entities import decode_entities

# Terminal escape sequences (ECMA-48), removed whole: left alone, "ESC[31m"
# or "ESC]8;;http://…ESC\\" would recolour, retitle or hyperlink the screen of
# whoever reads an alert in a terminal, and once ESC alone is dropped the rest
# shows as "[31m". In order: CSI (ESC [ or 0x9B, parameters, intermediates,
# final byte); control strings (OSC, DCS, SOS, PM, APC, 7- or 8-bit) up to
# their terminator (BEL or ST) — an unterminated one loses its introducer
# only, so its text stays visible; any other ESC sequence (ESC, intermediates,
# final byte: charset switches, resets).
_TERMINAL_ESCAPE = re.compile(
    "(?:\x1b\\[|\x9b)[0-?]*[ -/]*[@-~]"
    "|(?:\x1b[\\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\\\|\x9c)"
    "|\x1b[ -/]*[0-~]"
)

# C0/C1 control characters except the whitespace ones (tab, line breaks, NEL
# U+0085 included: they are collapsed later), and invisible format characters
# that hide, reorder or split text: a reader sees something else than a
# matcher, a dedupe key or a watch officer's search does.
# - zero-width space, word joiner and invisible operators, BOM, soft hyphen,
#   Mongolian vowel separator, combining grapheme joiner;
# - bidirectional controls: embeddings and overrides (U+202A-202E: U+202E
#   shows "gnp.exe" for "exe.png"), isolates (U+2066-2069), marks (LRM, RLM,
#   ALM) and the deprecated U+206A-206F;
# - interlinear annotation controls, invisible Hangul fillers and Khmer
#   inherent vowels (blank letters used to fake empty or look-alike text);
# - tag characters (U+E0000-E007F: invisible ASCII), except inside an emoji
#   flag sequence (see _TAGS).
# ZWJ/ZWNJ are kept: they change how Persian, Indic and emoji text is
# written; so are variation selectors (emoji presentation).
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5"
    "\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164"
    "\ufeff\uffa0\ufff9-\ufffb]"
)
# A subdivision flag (England, Scotland, Wales): black flag, tag letters and
# digits, cancel tag. Its tags are kept; every other tag character goes.
_TAGS = re.compile(
    "(\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,7}\U000e007f)"
    "|[\U000e0000-\U000e007f]+"
)

_HAS_TAG = re.compile("[\U000e0000-\U000e007f]")

# The characters the escape pattern starts with. Looking for them (``in``, at
# memchr speed) costs a fraction of running the pattern over a text that has
# none, as most have: for a 5,000-character article the escape pattern's scan
# was ~100 microseconds and the line breaks' ~40.
_ESCAPE_STARTS = ("\x1b", "\x9b", "\x90", "\x98", "\x9d", "\x9e", "\x9f")


def holds_any(value: str, chars: tuple[str, ...]) -> bool:
    return any(char in value for char in chars)


def clean_text(value: str) -> str:
    value = decode_entities(value)  # only those closed by ';'
    # Whole sequences, before _INVISIBLE drops ESC and leaves their tails.
    if holds_any(value, _ESCAPE_STARTS):
        value = _TERMINAL_ESCAPE.sub("", value)
    value = unicodedata.normalize("NFC", value)
    value = _INVISIBLE.sub("", value)
    if not value.isascii() and _HAS_TAG.search(value):
        value = _TAGS.sub(lambda m: m.group(1) or "", value)
    return value


def single_spaced(value: str) -> str:
    # every whitespace run one space, none at the ends ("\s" and str.split
    # agree on what whitespace is); a split and a join, not a regex
    # substitution per space
    return " ".join(value.split())


def normalise_line(value: str | None) -> str:
    """Text on one line: titles, source names. All whitespace runs become one space."""
    if not value:
        return ""
    return single_spaced(clean_text(value))
