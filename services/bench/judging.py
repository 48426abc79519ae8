"""What the benches that annotators judge share: their command line
(``--sample N --out F``, ``--judged F``) and the majority verdict per task."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from watchfloor.services.classifier.evaluation import wilson_interval
from watchfloor.services.training.corpus import DEFAULT_DATA_DIR

K = TypeVar("K", bound=Hashable)
V = TypeVar("V", bound=Hashable)


def judging_arguments(prog: str, doc: str | None, sample_help: str,
                      argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog, description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--sample", type=int, metavar="N", help=sample_help)
    parser.add_argument("--out", type=Path, help="where --sample writes (JSON lines)")
    parser.add_argument("--judged", type=Path, help="judgements to score (JSON lines)")
    args = parser.parse_args(argv)
    if args.sample and not args.out:
        parser.error("--sample needs --out")
    return args


def write_tasks(path: Path, tasks: Iterable[dict[str, Any]]) -> None:
    """What ``--sample`` draws, one JSON line per task, for the annotators."""
    with path.open("w", encoding="utf-8") as out:
        for task in tasks:
            out.write(json.dumps(task) + "\n")


def share(hits: int, total: int) -> dict[str, Any]:
    """``hits`` of ``total``, with its 95 % interval (Wilson)."""
    low, high = wilson_interval(hits, total)
    return {"share": round(hits / total, 3) if total else None,
            "interval": [round(low, 2), round(high, 2)]}


def read_judgements(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def majority_vote(votes: Iterable[tuple[K, V]]) -> dict[K, V]:
    """Each task's verdict by its annotators' majority (a third judged where
    two differed); a task with no majority gets none."""
    counted: dict[K, Counter[V]] = {}
    for task, verdict in votes:
        counted.setdefault(task, Counter())[verdict] += 1
    decided = {}
    for task, count in counted.items():
        (top, n), *rest = count.most_common()
        if not rest or n > rest[0][1]:
            decided[task] = top
    return decided
