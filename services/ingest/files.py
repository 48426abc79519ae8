"""Articles from JSON and JSON-lines files, read as a stream.

Accepted layouts (detected from the content, not the file name, except that
``.jsonl``/``.ndjson`` files are always read line by line):

- JSON lines: one article object per line; blank lines are skipped. A bad
  line is rejected with its line number and the rest is still read.
- A JSON document: one article object, an array of them, or
  ``{"articles": [...]}``; several documents may follow each other. Arrays
  are read item by item, so a large file is never loaded whole. A syntax
  error inside a document makes the rest of it unreadable: that is reported
  as one rejection, and what came before it is kept.

Every item comes back in file order, either as a ``FileArticle`` or as a
``Rejection`` with ``file:line`` and the reason, so one bad item never stops
the others.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from watchfloor.services.ingest.prepare import prepare_article
from watchfloor.services.ingest.problems import ArticleRejected
from watchfloor.shared.errors import InvalidInput
from watchfloor.shared.json_input import (
    MAX_JSON_DEPTH,
    JSONTooDeep,
    NumberTooLong,
    loads,
    number_too_long,
)
from watchfloor.shared.schemas import Article

LINE_SUFFIXES = frozenset({".jsonl", ".ndjson", ".jsonlines"})

_CHUNK_CHARS = 1 << 16
# One item larger than this is not an article but a broken file (an
# unterminated string swallowing the rest, say): stop instead of buffering it all.
_MAX_ITEM_CHARS = 16 << 20
_SNIFF_LINE_BYTES = 1 << 20


@dataclass(frozen=True)
class FileArticle:
    location: str  # "path:line"
    article: Article


@dataclass(frozen=True)
class Rejection:
    location: str  # "path:line"
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


FileItem = FileArticle | Rejection


@dataclass
class FileResult:
    articles: list[FileArticle] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


def read_articles(path: Path, *, now: datetime | None = None) -> Iterator[FileItem]:
    """Items of one file, in order. The file is opened here, so a missing or
    unreadable file raises ``OSError`` at once, before any item is read."""
    handle = path.open("rb")
    return _read(handle, str(path), as_lines=path.suffix.lower() in LINE_SUFFIXES, now=now)


def load_file(path: Path, *, now: datetime | None = None) -> FileResult:
    """All items of a (small) file at once: articles and rejections apart."""
    result = FileResult()
    for item in read_articles(path, now=now):
        if isinstance(item, FileArticle):
            result.articles.append(item)
        else:
            result.rejections.append(item)
    return result


def _read(
    handle: BinaryIO, name: str, *, as_lines: bool, now: datetime | None
) -> Iterator[FileItem]:
    with handle:
        if as_lines or _looks_like_json_lines(handle):
            yield from _read_lines(handle, name, now)
        else:
            yield from _read_documents(handle, name, now)


def _looks_like_json_lines(handle: BinaryIO) -> bool:
    """True when the first non-blank line is a whole JSON object and more follows.

    Reads at most a few lines: a huge one-line document is not read whole here.
    """
    start = handle.tell()
    try:
        first = b""
        while not first.strip():
            first = handle.readline(_SNIFF_LINE_BYTES)
            if not first:
                return False
        if not first.lstrip(b"\xef\xbb\xbf \t").startswith(b"{"):
            return False
        try:
            loads(first.decode("utf-8-sig"))
        except (JSONTooDeep, NumberTooLong):
            pass  # an object on one line: JSON lines (that line is refused when read)
        except ValueError:
            return False  # a pretty-printed document opens with a bare "{"
        while line := handle.readline(_SNIFF_LINE_BYTES):
            if line.strip():
                return True
        return False
    finally:
        handle.seek(start)


# An article's own content: an object with "articles" and one of these is an
# article whose "articles" field is its own (related links), not a wrapper of
# a batch (which may carry a title: the batch's name).
_OWN_CONTENT = ("text", "url")


def has_own_content(value: Mapping[str, Any]) -> bool:
    return any(key in value for key in _OWN_CONTENT)


def _items(value: Any) -> list[tuple[str, Any]]:
    """(location suffix, item): a batch in one value is expanded with indexes."""
    if isinstance(value, dict) and isinstance(value.get("articles"), list) \
            and not has_own_content(value):
        value = value["articles"]
    if isinstance(value, list):
        return [(f"[{index}]", item) for index, item in enumerate(value)]
    return [("", value)]


def _judge(value: Any, location: str, now: datetime | None) -> FileItem:
    try:
        return FileArticle(location, prepare_article(value, now=now))
    except ArticleRejected as exc:
        return Rejection(location, str(exc))


def _read_lines(handle: BinaryIO, name: str, now: datetime | None) -> Iterator[FileItem]:
    for number, raw in enumerate(handle, start=1):
        location = f"{name}:{number}"
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield Rejection(location, f"line is not UTF-8 text (byte {exc.start + 1})")
            continue
        if not line.strip():
            continue
        try:
            value = loads(line)
        except JSONTooDeep as exc:
            yield Rejection(location, f"invalid JSON: {exc}")
            continue
        except json.JSONDecodeError as exc:
            yield Rejection(location, f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        for suffix, item in _items(value):
            yield _judge(item, location + suffix, now)


# --- JSON documents, read incrementally -------------------------------------

_WHITESPACE = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()


class _Unreadable(InvalidInput):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Scanner:
    """Reads JSON values one at a time from a text stream, tracking lines."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self._stream = stream
        self._buffer = ""
        self._pos = 0
        self._eof = False
        self.line = 1  # line of self._pos

    def _fill(self, at_least: int = _CHUNK_CHARS) -> bool:
        if self._eof:
            return False
        if len(self._buffer) - self._pos > _MAX_ITEM_CHARS:
            raise _Unreadable(self.line, "an item is larger than 16 MiB or never ends")
        try:
            chunk = self._stream.read(at_least)
        except UnicodeDecodeError:
            raise _Unreadable(self.line, "file is not UTF-8 text") from None
        if not chunk:
            self._eof = True
            return False
        self._buffer = self._buffer[self._pos :] + chunk
        self._pos = 0
        return True

    def peek(self) -> str:
        """The next non-whitespace character, or "" at the end of the file."""
        while True:
            end = _WHITESPACE.match(self._buffer, self._pos).end()  # type: ignore[union-attr]
            self.line += self._buffer.count("\n", self._pos, end)
            self._pos = end
            if self._pos < len(self._buffer) or not self._fill():
                return self._buffer[self._pos : self._pos + 1]

    def take(self, expected: str, context: str) -> None:
        found = self.peek()
        if found != expected:
            shown = repr(found) if found else "the end of the file"
            raise _Unreadable(
                self.line, f"invalid JSON: expected {expected!r} {context}, found {shown}"
            )
        self._pos += 1

    def value(self) -> tuple[Any, int]:
        """The next JSON value and the line it starts on."""
        self.peek()
        want = _CHUNK_CHARS
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buffer, self._pos)
            except RecursionError:  # far deeper than MAX_JSON_DEPTH: where it ends is unknown
                raise _Unreadable(self.line, f"invalid JSON: {JSONTooDeep(MAX_JSON_DEPTH)}") from None
            except ValueError as error:
                exc = number_too_long(error, self._buffer, self._pos) or error
                if not isinstance(exc, json.JSONDecodeError):
                    raise
                # Maybe the value is only cut off by the end of the buffer:
                # the error is then at the end, or names a string left open.
                cut_off = exc.pos >= len(self._buffer) - 6 or exc.msg.startswith("Unterminated")
                if cut_off and self._fill(want):
                    want *= 2  # grow, so a large item is not re-parsed per small chunk
                    continue
                line = self.line + self._buffer.count("\n", self._pos, exc.pos)
                raise _Unreadable(line, f"invalid JSON: {exc.msg}") from None
            # A number ending exactly at the buffer's end may continue in the next chunk.
            if end == len(self._buffer) and self._fill(want):
                continue
            start_line = self.line
            self.line += self._buffer.count("\n", self._pos, end)
            self._pos = end
            return value, start_line


def _read_documents(handle: BinaryIO, name: str, now: datetime | None) -> Iterator[FileItem]:
    scanner = _Scanner(io.TextIOWrapper(handle, encoding="utf-8-sig", newline=""))
    try:
        while (first := scanner.peek()) != "":
            if first == "[":
                yield from _read_array(scanner, name, now)
            elif first == "{":
                yield from _read_object(scanner, name, now)
            else:
                value, line = scanner.value()
                yield _judge(value, f"{name}:{line}", now)
    except _Unreadable as exc:
        yield Rejection(f"{name}:{exc.line}", f"{exc.message}; the rest of the file was not read")


def _read_array(scanner: _Scanner, name: str, now: datetime | None) -> Iterator[FileItem]:
    scanner.take("[", "to open the array")
    if scanner.peek() == "]":
        scanner.take("]", "")
        return
    while True:
        value, line = scanner.value()
        yield _judge(value, f"{name}:{line}", now)
        if scanner.peek() == "]":
            scanner.take("]", "")
            return
        scanner.take(",", "between array items")


# An "articles" list met before its object shows a text or url of its own
# (keys in sorted order) is held until the object ends: an article's related
# links are no articles. Up to this many: a longer list is a batch's, streamed.
_HELD_ITEMS = 1_000


def _read_object(scanner: _Scanner, name: str, now: datetime | None) -> Iterator[FileItem]:
    """One article object, or a ``{"articles": [...]}`` wrapper read item by item."""
    start_line = scanner.line
    scanner.take("{", "to open the object")
    fields: dict[str, Any] = {}
    was_wrapper = False
    held: list[FileItem] = []
    if scanner.peek() != "}":
        while True:
            key, _ = scanner.value()
            scanner.take(":", "after an object key")
            if key == "articles" and scanner.peek() == "[" and not has_own_content(fields):
                was_wrapper = True
                items = _read_array(scanner, name, now)
                held = list(itertools.islice(items, _HELD_ITEMS))
                if len(held) == _HELD_ITEMS:
                    yield from held
                    held = []
                    yield from items
            else:
                fields[str(key)] = scanner.value()[0]
            if scanner.peek() == "}":
                break
            scanner.take(",", "between object members")
    scanner.take("}", "to close the object")
    if not was_wrapper or has_own_content(fields):
        # an article (after a streamed batch-sized list: one too, not lost)
        yield _judge(fields, f"{name}:{start_line}", now)
    else:
        yield from held
