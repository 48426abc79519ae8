"""``watchfloor label``: annotate items one at a time, blind to the classifier."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import textwrap
from pathlib import Path
from typing import IO

KEYS_HELP = ("type the numbers of the tags it reports (e.g. 13), or nothing for none; "
             "prefix b to mark it borderline (b2); s skips, q quits")


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
            "and the model disagree, and one in ten drawn at random. Guide: "
            "services/training/labels/GUIDE.md."
        ),
    )
    parser.add_argument("--annotator", required=True, help="your name or initials")
    parser.add_argument("--labels", type=Path, help="labels file to append to "
                        "(default: the project's corpus)")
    parser.add_argument("--data-dir", type=Path, help="folder with news_pool*.jsonl "
                        "(default: ../shared/data)")
    parser.add_argument("--limit", type=int, default=50, help="items in this session (default 50)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from watchfloor.services.classifier.factory import rule_classifier
    from watchfloor.services.classifier.learned import VerifiedClassifier
    from watchfloor.services.classifier.verifier import ModelError, VerifierModel
    from watchfloor.services.training.corpus import (
        CORPUS_FILE,
        DEFAULT_DATA_DIR,
        CorpusError,
        already_labelled,
        iter_pool,
    )
    from watchfloor.services.training.queue import build_queue
    from watchfloor.shared.progress import Progress
    from watchfloor.shared.settings import Settings

    labels_file = args.labels or CORPUS_FILE
    data_dir = args.data_dir or DEFAULT_DATA_DIR
    settings = Settings()
    try:
        done = already_labelled(labels_file, data_dir)
        rules = rule_classifier(settings)
        verified = VerifiedClassifier(rules, VerifierModel.load(settings.classifier_model))
        progress = Progress("watchfloor label: choosing items")
        queue = build_queue(iter_pool(data_dir), done, rules, verified, size=max(args.limit, 0),
                            progress=progress.add)
    except (CorpusError, ModelError) as exc:
        print(f"watchfloor label: {exc}", file=sys.stderr)
        return 2
    tags = rules.taxonomy.tag_ids
    written = annotate(queue, tags, args.annotator, labels_file, sys.stdin, sys.stdout)
    print(f"watchfloor label: {written} items labelled into {labels_file}", file=sys.stderr)
    return 0


def annotate(queue, tags: list[str], annotator: str, labels_file: Path,
             keys: IO[str], screen: IO[str]) -> int:
    from watchfloor.services.training.corpus import GUIDE_VERSION

    menu = "  ".join(f"{n} {tag}" for n, tag in enumerate(tags, 1))
    written = 0
    for position, entry in enumerate(queue, 1):
        item = entry.item
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
                  "date": dt.date.today().isoformat(), "sample": f"queue-{entry.reason}"}
        if borderline:
            record["borderline"] = True
        with labels_file.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        written += 1
    return written


def parse_answer(answer: str, tag_count: int):
    """"" -> no tags; "13" / "1 3" -> tags 1 and 3; "b2" -> borderline; "s"; "q";
    None when it is not an answer."""
    lowered = answer.lower()
    if lowered in ("q", "quit"):
        return "quit"
    if lowered in ("s", "skip"):
        return "skip"
    borderline = lowered.startswith("b")
    digits = lowered[1:] if borderline else lowered
    digits = digits.replace(" ", "").replace(",", "")
    if not digits.isdigit() and digits != "":
        return None
    numbers = {int(d) for d in digits}
    if any(n < 1 or n > tag_count for n in numbers):
        return None
    return numbers, borderline
