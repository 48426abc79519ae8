"""``watchfloor classify`` through the CLI (JSON lines in and out) on one core,
beside the plain regex tagger, on the same items: items per second of wall
time, start-up included, best of a few runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

RUNS = 3


def _one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def _best_rate(command: list[str], items_file: Path, items: int) -> float:
    best = float("inf")
    for _ in range(RUNS):
        with items_file.open("rb") as source:
            started = time.perf_counter()
            subprocess.run(command, stdin=source, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True, preexec_fn=_one_core)
            best = min(best, time.perf_counter() - started)
    return round(items / best, 1)


def measure(items_file: Path) -> dict:
    items = sum(1 for line in items_file.open(encoding="utf-8") if line.strip())
    watchfloor = [sys.executable, "-m", "watchfloor.services.cli.main", "classify"]
    rates = {
        "learned": _best_rate([*watchfloor, "--classifier", "learned"], items_file, items),
        "rules": _best_rate([*watchfloor, "--classifier", "rules"], items_file, items),
        "regex_tagger": _best_rate([sys.executable, "-m", "watchfloor.services.bench.regex_tagger"],
                                   items_file, items),
    }
    return {
        "items": items,
        "file": str(items_file),
        "items_per_s": rates,
        "learned_vs_regex": round(rates["learned"] / rates["regex_tagger"], 3),
    }
