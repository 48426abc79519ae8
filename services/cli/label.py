"""``watchfloor label``: annotate items one at a time, blind to the classifier."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import textwrap
from pathlib import Path
from typing import IO

from watchfloor.services.cli.common import positive_int
from watchfloor.services.cli.loaded_settings import load_settings
from watchfloor.services.cli.paths import output_problem

KEYS_HELP = ("type the numbers of the tags it reports (e.g. 13), or nothing for none; "
             "prefix b to mark it borderline (b2); s skips, q quits; with more than 9 "
             "tags, separate the numbers (1 10)")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "label",
        help="label news items one at a time (blind to the classifier)",
        description=(
            "Show one unlabelled item at a time (headline and text only: never the "
            "classifier's answer) and take its tags with a few keys. Each answer is appended "
            "as one line (id, labels, annotator, guide version, date, how it was drawn) to the "
            "labels file at once, so quitting loses nothing and a later run resumes where this "
            "one stopped. The queue mixes items the model is unsure of, items where the rules "
            "and the model disagree, and one in ten drawn at random. --pass second labels "
            "corpus items again (items with one label, given by someone else) into "
            "second_pass.jsonl; --pass third settles the items where the two passes differ, "
            "into third_pass.jsonl (training takes each item's majority). Guide: "
            "services/training/labels/GUIDE.md."
        ),
    )
    parser.add_argument("--pass", dest="label_pass", choices=("new", "second", "third"),
                        default="new", help="new: unlabelled items (default); second: a second "
                        "blind label of corpus items; third: settle where two labels differ")
    parser.add_argument("--annotator", required=True, type=_annotator,
                        help="your name or initials")
    parser.add_argument("--labels", type=Path, help="labels file to append to (default: the "
                        "project's corpus, or its second_pass/third_pass file with --pass)")
    parser.add_argument("--data-dir", type=Path, help="folder with news_pool*.jsonl "
                        "(default: ../shared/data)")
    parser.add_argument("--limit", type=positive_int, default=50, help="items in this session (default 50)")
    parser.set_defaults(func=run)


def _annotator(value: str) -> str:
    # a second or third label must come from someone else than the first:
    # that needs a name
    if not value.strip():
        raise argparse.ArgumentTypeError("must name you (initials will do)")
    return value.strip()


def run(args: argparse.Namespace) -> int:
    from watchfloor.services.training.corpus import DEFAULT_DATA_DIR, CorpusError

    data_dir = args.data_dir or DEFAULT_DATA_DIR
    settings = load_settings()
    labels_file = _labels_file(args)
    # now, not when the first answer is written (and lost)
    problem = output_problem(labels_file)
    if problem:
        print(f"watchfloor label: {problem}", file=sys.stderr)
        return 2
    # watched from before the file is read for what is labelled: a line
    # another session writes while this one chooses its items is seen too
    others = LabelledElsewhere(labels_file)
    try:
        if args.label_pass == "new":
            tags, queue = _new_items(args, settings, data_dir, labels_file)
        else:
            tags, queue = _corpus_again(args, settings, data_dir, labels_file)
    except CorpusError as exc:
        print(f"watchfloor label: {exc}", file=sys.stderr)
        return 2
    if not queue:
        print(f"watchfloor label: nothing to label for {args.annotator} "
              f"(--pass {args.label_pass})", file=sys.stderr)
        return 0
    written = annotate(queue, tags, args.annotator, labels_file, sys.stdin, sys.stdout,
                       others=others)
    print(f"watchfloor label: {written} items labelled into {labels_file}", file=sys.stderr)
    return 0


def _labels_file(args: argparse.Namespace) -> Path:
    """Where this pass's answers go: --labels, else the project's file for it."""
    from watchfloor.services.training import corpus

    defaults = {"new": corpus.CORPUS_FILE, "second": corpus.SECOND_PASS_FILE,
                "third": corpus.THIRD_PASS_FILE}
    return args.labels or defaults[args.label_pass]


def _new_items(args: argparse.Namespace, settings, data_dir: Path, labels_file: Path):
    from watchfloor.services.classifier.factory import rule_classifier
    from watchfloor.services.classifier.learned import VerifiedClassifier
    from watchfloor.services.classifier.verifier import ModelError, VerifierModel
    from watchfloor.services.training.corpus import CorpusError, already_labelled, iter_pool
    from watchfloor.services.training.queue import build_queue
    from watchfloor.shared.progress import Progress

    done = already_labelled(labels_file, data_dir)
    rules = rule_classifier(settings)
    try:
        verified = VerifiedClassifier(rules, VerifierModel.load(settings.classifier_model))
    except ModelError as exc:
        raise CorpusError(str(exc)) from None
    progress = Progress("watchfloor label: choosing items")
    queue = build_queue(iter_pool(data_dir), done, rules, verified, size=args.limit,
                        progress=progress.add)
    return rules.taxonomy.tag_ids, queue


def _corpus_again(args: argparse.Namespace, settings, data_dir: Path, labels_file: Path):
    """Corpus items for a second blind label, or a third where two differ."""
    from watchfloor.services.classifier.taxonomy import load_taxonomy
    from watchfloor.services.training import corpus
    from watchfloor.services.training.passes import second_pass_ids, third_pass_ids
    from watchfloor.services.training.queue import QueuedItem

    first = corpus.latest_records(corpus.CORPUS_FILE)
    if args.label_pass == "second":
        ids = second_pass_ids(first, corpus.latest_records(labels_file), args.annotator)
    else:
        ids = third_pass_ids(first, corpus.latest_records(corpus.SECOND_PASS_FILE),
                             corpus.latest_records(labels_file), args.annotator)
    ids = ids[:args.limit]
    wanted = set(ids)
    texts = {raw["id"]: raw for raw in corpus.iter_pool(data_dir) if raw["id"] in wanted}
    missing = wanted - texts.keys()
    if missing:
        raise corpus.CorpusError(f"{len(missing)} labelled ids are not in {data_dir}: "
                                 "wrong data folder?")
    reason = f"{args.label_pass}-pass"
    queue = [QueuedItem(texts[i], reason, first[i].sample) for i in ids]
    return load_taxonomy(settings.taxonomy_file).tag_ids, queue


def annotate(queue, tags: list[str], annotator: str, labels_file: Path,
             keys: IO[str], screen: IO[str], *, others: LabelledElsewhere | None = None) -> int:
    from watchfloor.services.training.corpus import GUIDE_VERSION

    menu = "  ".join(f"{n} {tag}" for n, tag in enumerate(tags, 1))
    written = 0
    others = others or LabelledElsewhere(labels_file)
    for position, entry in enumerate(queue, 1):
        item = entry.item
        if item["id"] in others.ids():
            print(f"\n[{position}/{len(queue)}] {item['id']}: labelled meanwhile in another "
                  "session; skipped", file=screen)
            continue
        print(f"\n[{position}/{len(queue)}] {item['id']}", file=screen)
        print(textwrap.fill(item.get("title", ""), 100), file=screen)
        print(textwrap.fill(item.get("text", ""), 100, initial_indent="  ",
                            subsequent_indent="  "), file=screen)
        print(menu, file=screen)
        while True:
            print("> ", end="", file=screen, flush=True)
            answer = keys.readline()
            if not answer:  # end of input: stop as if q
                return written
            if not answer.endswith("\n"):
                # Ctrl-D after typing: a half-typed answer is not an answer
                print(f"\ninput ended before Enter: {answer.strip()!r} not written", file=screen)
                return written
            parsed = parse_answer(answer.strip(), len(tags))
            if parsed is None:
                print(KEYS_HELP, file=screen)
                continue
            break
        if parsed == "quit":
            return written
        if parsed == "skip":
            continue
        numbers, borderline = parsed
        record = {"id": item["id"], "labels": sorted(tags[n - 1] for n in numbers),
                  "annotator": annotator, "guide": GUIDE_VERSION,
                  "date": dt.date.today().isoformat(),
                  "sample": entry.sample or f"queue-{entry.reason}"}
        if borderline:
            record["borderline"] = True
        if item["id"] in others.ids():  # while this one was being read
            print(f"{item['id']} was labelled meanwhile in another session: your answer is "
                  "not written (it would replace theirs)", file=screen)
            continue
        append_record(labels_file, record)
        others.written_here()
        written += 1
    return written


class LabelledElsewhere:
    """Ids another session appended to the labels file since this one began
    (two annotators on one file got the same queue, and the later line
    silently replaced the earlier one's label)."""

    def __init__(self, labels_file: Path) -> None:
        self._file = labels_file
        self._read_to = self._size()
        self._ids: set[str] = set()

    def _size(self) -> int:
        try:
            return self._file.stat().st_size
        except OSError:
            return 0

    def ids(self) -> set[str]:
        size = self._size()
        if size > self._read_to:
            with self._file.open("rb") as handle:
                handle.seek(self._read_to)
                added = handle.read(size - self._read_to)
            self._read_to = size
            for line in added.splitlines():
                try:
                    self._ids.add(str(json.loads(line)["id"]))
                except (ValueError, KeyError, TypeError):
                    continue
        return self._ids

    def written_here(self) -> None:
        """This session's own line is not another's."""
        self._read_to = self._size()


def append_record(labels_file: Path, record: dict) -> None:
    """One line more. A file whose last line has no line break (corrected by
    hand) gets one first: glued on, the two records would be one bad line."""
    with labels_file.open("a+b") as handle:
        if handle.tell() > 0:
            handle.seek(-1, 2)
            if handle.read(1) != b"\n":
                handle.write(b"\n")
        handle.write((json.dumps(record) + "\n").encode("utf-8"))


def parse_answer(answer: str, tag_count: int):
    """"" -> no tags; "13" / "1 3" -> tags 1 and 3; "b2" -> borderline; "s"; "q";
    None when it is not an answer."""
    lowered = answer.lower()
    if lowered in ("q", "quit"):
        return "quit"
    if lowered in ("s", "skip"):
        return "skip"
    borderline = lowered.startswith("b")
    rest = lowered[1:] if borderline else lowered
    if tag_count > 9:
        # "10" is tag ten, not tags 1 and 0: numbers are separated
        words = rest.replace(",", " ").split()
    else:
        words = list(rest.replace(" ", "").replace(",", ""))
    # ASCII digits only: "²" and "①" are digits to str.isdigit, not to int()
    if any(not word or any(ch not in "0123456789" for ch in word) for word in words):
        return None
    numbers = {int(word) for word in words}
    if any(n < 1 or n > tag_count for n in numbers):
        return None
    return numbers, borderline
