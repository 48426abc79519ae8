"""``watchfloor classify``: offline classification of JSON lines, no Redis."""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from watchfloor.services.classifier.protocol import TagClassifier
from watchfloor.services.classifier.taxonomy import TaxonomyError
from watchfloor.services.classifier.verifier import ModelError
from watchfloor.services.cli.paths import input_problem, output_problem
from watchfloor.services.ingest.raw import MAX_TEXT_CHARS, MAX_TITLE_CHARS
from watchfloor.shared.json_input import JSONTooDeep, loads
from watchfloor.shared.progress import Progress
from watchfloor.shared.schemas import Classification

if TYPE_CHECKING:
    from watchfloor.shared.settings import Settings

# A line longer than an article ingest accepts, with room for JSON escapes, is
# refused before it is parsed: one line of 33 MB took 2 GB of memory.
MAX_LINE_CHARS = 8 * (MAX_TEXT_CHARS + MAX_TITLE_CHARS)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "classify",
        help="tag JSON-lines articles offline (no Redis)",
        description=(
            "Read JSON lines (each an object with id, title, text; other fields allowed) and "
            "write one JSON line per input line, in the same order: id, tags (sorted tag ids) "
            "and classification (confidence, modality, evidence, triggers, actors, figures, "
            "classifier_version). A bad line gives {line, id, error} instead. A summary goes "
            "to stderr. Exit code 0, or 2 if the input file is missing or the taxonomy is invalid."
        ),
    )
    parser.add_argument("--input", type=Path, help="JSON-lines file to read (default: stdin)")
    parser.add_argument("--output", type=Path, help="file to write (default: stdout)")
    parser.add_argument("--taxonomy", type=Path, help="taxonomy YAML (default: settings, else the packaged one)")
    add_classifier_option(parser)
    parser.set_defaults(func=run)


def add_classifier_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--classifier", choices=("learned", "rules"),
        help="learned: rules propose, the trained verifier decides; rules: the rules alone "
             "(default: WATCHFLOOR_CLASSIFIER, else learned)",
    )


def build_classifier(taxonomy: Path | None = None, kind: str | None = None,
                     settings: Settings | None = None) -> TagClassifier:
    """The classifier the settings describe, with ``taxonomy`` taking precedence."""
    from watchfloor.services.classifier.factory import build_classifier as build
    from watchfloor.services.cli.loaded_settings import load_settings

    return build(settings or load_settings(), taxonomy, kind)


def run(args: argparse.Namespace) -> int:
    problem = input_problem(args.input, "input file") if args.input else None
    if problem is None and args.output:
        problem = output_problem(args.output)  # before the work, not after it
    if problem is None and args.input and args.output and _same_file(args.input, args.output):
        # opened for writing first, the input would be emptied before it is read
        problem = f"{args.output}: is the input file: write the output elsewhere"
    if problem:
        print(f"watchfloor classify: {problem}", file=sys.stderr)
        return 2
    try:
        classifier = build_classifier(args.taxonomy, args.classifier)
    except TaxonomyError as exc:
        print(f"watchfloor classify: invalid taxonomy: {exc}", file=sys.stderr)
        return 2
    except ModelError as exc:
        print(f"watchfloor classify: {exc}", file=sys.stderr)
        return 2
    # The classifier's tables (taxonomy, gazetteer, model) live as long as the
    # process: out of the collector's sight, its full passes stop walking them
    # (~7 % of the CPU per item).
    gc.freeze()
    # Bytes, decoded line by line: a line that is not UTF-8 gets its error
    # object and the lines around it are still classified.
    source = args.input.open("rb") if args.input else getattr(sys.stdin, "buffer", sys.stdin)
    sink = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    try:
        summary = classify_stream(classifier, source, sink)
    finally:
        if args.input:
            source.close()
        if args.output:
            sink.close()
    print(
        f"classified {summary['items']} items: {summary['tagged']} tagged, "
        f"{summary['errors']} errors, {summary['rate']:.0f} items/s",
        file=sys.stderr,
    )
    return 0


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve() or (other.exists() and one.samefile(other))
    except OSError:
        return False


def classify_stream(
    classifier: TagClassifier, lines: Iterable[bytes | str], out: IO[str]
) -> dict[str, Any]:
    started = time.perf_counter()
    items = tagged = errors = 0
    progress = Progress("classified")
    for result in classify_lines(classifier, lines):
        out.write(result_line(result))
        items += 1
        progress.add()
        if "error" in result:
            errors += 1
        elif result["tags"]:
            tagged += 1
    elapsed = time.perf_counter() - started
    return {"items": items, "tagged": tagged, "errors": errors, "rate": items / elapsed if elapsed else 0.0}


def classify_lines(
    classifier: TagClassifier, lines: Iterable[bytes | str]
) -> Iterator[dict[str, Any]]:
    """One result per non-blank line, in order; a bad line (not UTF-8, not
    JSON, not an article) gives ``{line, id, error}`` and never stops the rest."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            line = _decode_line(raw, first=number == 1)
        except UnicodeDecodeError as exc:
            message = f"line is not UTF-8 text (byte {exc.start + 1})"
            shown_id = _id_of(bytes(raw).decode("utf-8", "replace"))  # an id is still told
            yield {"line": number, "id": shown_id, "error": {"message": message}}
            continue
        try:
            if len(line) > MAX_LINE_CHARS:  # before parsing it: memory
                raise ValueError(f"line has {len(line):,} characters: at most "
                                 f"{MAX_LINE_CHARS:,} (an article's text may have "
                                 f"{MAX_TEXT_CHARS:,}, as ingest accepts)")
            item = parse_line(line)
        except ValueError as exc:
            yield {"line": number, "id": _id_of(line), "error": {"message": str(exc)}}
            continue
        classification = classifier.classify(item["title"], item["text"])
        yield {"id": item["id"], "tags": classification.tag_ids, "classification": classification}


def result_line(result: dict[str, Any]) -> str:
    """One output line. The classification is serialised by pydantic (in
    Rust) and spliced into the line: about half the cost of ``json.dumps``
    of its dict form."""
    classification = result.get("classification")
    if not isinstance(classification, Classification):
        return json.dumps(result, ensure_ascii=False) + "\n"
    head = json.dumps({"id": result["id"], "tags": result["tags"]}, ensure_ascii=False,
                      separators=(",", ":"))
    return f'{head[:-1]},"classification":{classification.model_dump_json()}}}\n'


def _decode_line(raw: bytes | str, *, first: bool) -> str:
    if isinstance(raw, str):
        return raw
    return raw.decode("utf-8-sig" if first else "utf-8")


def parse_line(line: str) -> dict[str, Any]:
    """The id, title and text of one input line; ValueError says what is wrong."""
    try:
        row = loads(line)
    except JSONTooDeep as exc:
        raise ValueError(f"JSON {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object, got {type(row).__name__}")
    for name in ("title", "text"):
        if row.get(name) is not None and not isinstance(row[name], str):
            raise ValueError(f"field {name!r} must be a string, got {type(row[name]).__name__}")
    item_id = row.get("id")
    if item_id is not None and (isinstance(item_id, bool) or not isinstance(item_id, (str, int))):
        raise ValueError(
            f"field 'id' must be a string or a whole number, got {json.dumps(item_id)[:40]}")
    for name in ("id", "title", "text"):
        # JSON lets "\ud800" through; it cannot be written out again as UTF-8
        if isinstance(row.get(name), str) and (char := _lone_surrogate(row[name])):
            raise ValueError(f"field {name!r} is not valid Unicode text: it holds a lone "
                             f"surrogate ({char})")
    title, text = row.get("title") or "", row.get("text") or ""
    for name, value, most in (("title", title, MAX_TITLE_CHARS), ("text", text, MAX_TEXT_CHARS)):
        if len(value) > most:
            raise ValueError(f"field {name!r} has {len(value):,} characters: at most {most:,} "
                             "(what ingest accepts)")
    if not title.strip() and not text.strip():
        raise ValueError("missing or empty 'title' and 'text': nothing to classify")
    return {"id": item_id, "title": title, "text": text}


def _id_of(line: str) -> Any:
    try:
        row = loads(line)
    except (JSONTooDeep, json.JSONDecodeError):
        return None
    item_id = row.get("id") if isinstance(row, dict) else None
    if isinstance(item_id, str):
        # shown in the error line, which must be UTF-8
        return item_id.encode("utf-8", "backslashreplace").decode("utf-8")
    return item_id if isinstance(item_id, int) and not isinstance(item_id, bool) else None


def _lone_surrogate(value: str) -> str | None:
    """The first lone surrogate of ``value`` as an escape ("\\ud800"), or None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"\\u{ord(value[exc.start]):04x}"
    return None
