"""Untrusted JSON: how deeply it nests, checked before ``json.loads`` sees it.

``json.loads`` recurses once per level of arrays and objects: a document
nested 10,000 deep raises ``RecursionError`` (a crash, or a plain-text 500),
and whatever walks the result afterwards recurses as deep. No input
Watchfloor reads (articles, watchlists) needs more than a handful of levels,
so anything deeper than ``MAX_JSON_DEPTH`` is refused with a clear message.

The check is linear and runs at C speed for ordinary documents: strings are
cut out with one regular expression (brackets inside them do not count),
then the depth is the highest running sum of opening minus closing brackets.

A number of more than ``sys.get_int_max_str_digits()`` digits makes
``json.loads`` raise a bare ValueError, which code catching
``json.JSONDecodeError`` lets through (a 500, a crashed import): ``loads``
turns it into a ``JSONDecodeError`` at the number.
"""

from __future__ import annotations

import json
import re
import sys
from itertools import accumulate
from typing import Any

from watchfloor.shared.errors import InvalidInput

MAX_JSON_DEPTH = 64

_STRING_BYTES = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_STEP = [0] * 256
for _open in b"[{":
    _STEP[_open] = 1
for _close in b"]}":
    _STEP[_close] = -1


class JSONTooDeep(InvalidInput):
    """A JSON document nested deeper than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"nested too deeply: at most {limit} levels of arrays and objects are accepted"
        )
        self.limit = limit


def json_depth(doc: bytes | bytearray | str) -> int:
    """How deeply ``doc`` nests arrays and objects (0 for a scalar). Brackets
    inside strings do not count; on malformed JSON the figure is a guess."""
    data = doc.encode("utf-8", "surrogatepass") if isinstance(doc, str) else doc
    brackets = _STRING_BYTES.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_json_depth(doc: bytes | bytearray | str, limit: int = MAX_JSON_DEPTH) -> None:
    """``JSONTooDeep`` when ``doc`` nests deeper than ``limit``."""
    opening = (doc.count("[") + doc.count("{") if isinstance(doc, str)
               else doc.count(b"[") + doc.count(b"{"))
    if opening <= limit:  # cannot be deeper than it has brackets: nothing to scan
        return
    if json_depth(doc) > limit:
        raise JSONTooDeep(limit)


class NumberTooLong(json.JSONDecodeError):
    """An integer of more digits than Python converts (``sys.get_int_max_str_digits``)."""


def number_too_long(exc: ValueError, doc: str, start: int = 0) -> NumberTooLong | None:
    """The ``JSONDecodeError`` for Python's refusal to convert an integer of
    too many digits (a bare ValueError) while decoding ``doc`` from ``start``;
    None for any other error."""
    if isinstance(exc, json.JSONDecodeError) or "integer string conversion" not in str(exc):
        return None
    limit = sys.get_int_max_str_digits()
    found = re.compile(rf"\d{{{limit + 1},}}").search(doc, start)
    return NumberTooLong(f"a number has more than {limit} digits", doc,
                         found.start() if found else start)


class DuplicateKey(InvalidInput):
    """An object of the document names one key twice."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                shown = key.encode("utf-8", "backslashreplace").decode("utf-8")
                raise DuplicateKey(f"{shown!r} is given twice in one object: keep one")
            seen.add(key)
    return found


def loads(doc: str, *, unique_keys: bool = False) -> Any:
    """``json.loads`` for untrusted text: ``JSONTooDeep`` beyond the depth
    limit, ``json.JSONDecodeError`` for anything else unreadable. With
    ``unique_keys``, ``DuplicateKey`` for a key given twice in one object
    (plain JSON keeps the last one without a word)."""
    check_json_depth(doc)
    try:
        return json.loads(doc, object_pairs_hook=_unique_keys if unique_keys else None)
    except ValueError as exc:
        error = number_too_long(exc, doc)
        if error is not None:
            raise error from None
        raise
