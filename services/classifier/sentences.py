"""Split an article into sentences, keeping character offsets.

The title is always its own sentence. A wire dateline ("TEHRAN (Reuters) - ")
is split off the body as its own piece, so a place name in it does not count
as context for the first sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from watchfloor.shared.schemas import TextField

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets)
# before whitespace and a character that can start a sentence.
_BOUNDARY = re.compile(r"""[.!?]["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9])""")
# Words that end with a period without ending the sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "sgt",
        "adm",
        "sen",
        "rep",
        "gov",
        "pres",
        "st",
        "jr",
        "sr",
        "inc",
        "corp",
        "co",
        "ltd",
        "no",
        "vs",
        "etc",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "u.n",
        "e.u",
        # ranks and titles before a name ("Cmdr. Choi said"), places, times
        "brig",
        "cmdr",
        "cdr",
        "cpl",
        "pvt",
        "amb",
        "rev",
        "hon",
        "gens",
        "mt",
    ]
)
_DATELINE = re.compile(
    r"^\s*[A-Z][A-Za-z0-9 .,'-]{1,60}?(?:\s*\((?:[A-Za-z .&/-]{2,30})\))?\s*(?:[-–—:]{1,2})\s+"
    r"|^\s*\((?:[A-Za-z .&/-]{2,30})\)\s*[-–—]\s+"
    r"|^\s*[A-Z][A-Za-z .&/-]{1,30}\s+[-–—]\s+"
)
_DATELINE_SEPARATOR = re.compile(r"[-–—:]")
DATELINE_MAX_CHARS = 200


@dataclass(frozen=True, slots=True)
class Sentence:
    field: TextField
    start: int  # offsets into the field's text
    end: int
    text: str


def split_sentences(title: str, text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    if title.strip():
        sentences.extend(_bounded(_trimmed("title", title, 0, len(title)), title))
    for sentence in _split_body(text):
        sentences.extend(_bounded(sentence, text))
    return sentences


# A "sentence" longer than this (text without full stops: a transcript, a
# list, a scraped page) is cut at a space: rules look within a sentence, and
# their cost grows faster than its length. Natural sentences are shorter.
MAX_SENTENCE_CHARS = 600


def _bounded(sentence: Sentence, source: str) -> list[Sentence]:
    if sentence.end - sentence.start <= MAX_SENTENCE_CHARS:
        return [sentence]
    pieces = []
    start = sentence.start
    while sentence.end - start > MAX_SENTENCE_CHARS:
        cut = source.rfind(" ", start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS)
        cut = cut if cut > start else start + MAX_SENTENCE_CHARS
        pieces.append(_trimmed(sentence.field, source, start, cut))
        start = cut
    pieces.append(_trimmed(sentence.field, source, start, sentence.end))
    return [p for p in pieces if p.text]


def _split_body(text: str) -> list[Sentence]:
    if not text.strip():
        return []
    out: list[Sentence] = []
    start = 0
    dateline = _dateline_end(text)
    if dateline:
        out.append(_trimmed("text", text, 0, dateline))
        start = dateline
    for match in _BOUNDARY.finditer(text, start):
        if _is_abbreviation(text, match.start()):
            continue
        end = match.start() + 1
        if text[start:end].strip():
            out.append(_trimmed("text", text, start, end))
        start = match.end()
    if text[start:].strip():
        out.append(_trimmed("text", text, start, len(text)))
    return out


def _dateline_end(text: str) -> int:
    """End offset of a leading wire dateline, 0 when there is none.

    Datelines are short and mostly capitals or end with an agency in brackets:
    "BEIJING - ", "SEOUL (Reuters) - ", "AP - ", "NAJAF, Aug 22: ".
    """
    # Every dateline ends in a dash or colon within its first few dozen
    # characters; most texts have none there, and the pattern's lazy head
    # is costly to fail on.
    if not _DATELINE_SEPARATOR.search(text, 0, DATELINE_MAX_CHARS):
        return 0
    match = _DATELINE.match(text)
    if not match:
        return 0
    head = match.group(0)
    letters = [c for c in head if c.isalpha()]
    capitals = sum(c.isupper() for c in letters)
    if "(" in head or (letters and capitals / len(letters) > 0.6):
        return match.end()
    return 0


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word_start = dot
    while word_start > 0 and (text[word_start - 1].isalpha() or text[word_start - 1] == "."):
        word_start -= 1
    word = text[word_start:dot].lower()
    # single initials ("N. Korea", "George W. Bush") never end a sentence
    return word in _ABBREVIATIONS or len(word) == 1


def _trimmed(field: TextField, source: str, start: int, end: int) -> Sentence:
    while start < end and source[start].isspace():
        start += 1
    while end > start and source[end - 1].isspace():
        end -= 1
    return Sentence(field, start, end, source[start:end])
