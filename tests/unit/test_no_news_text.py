"""No news text in the repository (issue 10, "Hygiene").

Real articles live in ``../shared/data`` and are read from there at run time;
the project keeps ids and labels, never the text. This guard fails when any
tracked text file shares a run of RUN consecutive words (lower-cased, split on
anything that is not a letter or digit) with the title or text of an item in
the data files. Examples in tests, comments and samples must be invented.

It skips when ``../shared/data`` is absent (a user's machine) and runs in CI.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
RUN = 10
TEXT_SUFFIXES = (".py", ".yaml", ".md", ".jsonl", ".toml", ".txt")
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _shingles(words: list[str]) -> Iterator[tuple[int, str]]:
    for i in range(len(words) - RUN + 1):
        yield i, " ".join(words[i : i + RUN])


def _data_files() -> list[Path]:
    return sorted(DATA.glob("*.jsonl")) if DATA.is_dir() else []


@pytest.fixture(scope="module")
def news_shingles() -> set[int]:
    files = _data_files()
    if not files:
        pytest.skip(f"no news data at {DATA} (it is only on machines that hold the corpus)")
    # hashes, not strings: ~17k items give ~1.5M shingles; a hash collision could
    # only add a false alarm, which the failure message lets a reader check
    seen: set[int] = set()
    for path in files:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    continue
                item = json.loads(line)
                for field in ("title", "text"):
                    value = item.get(field)
                    if isinstance(value, str):
                        seen.update(hash(s) for _, s in _shingles(_words(value)))
    return seen


def _tracked_text_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files are unknown")
    paths = [ROOT / name for name in listed.split("\0") if name.endswith(TEXT_SUFFIXES)]
    return [path for path in paths if path.is_file()]


def _shared_runs(text: str, seen: set[int]) -> list[tuple[int, str]]:
    """(line, run) for each stretch of text shared with the news, overlaps merged."""
    matches = list(_WORD.finditer(text.lower()))
    words = [m.group() for m in matches]
    hits = [i for i, s in _shingles(words) if hash(s) in seen]
    runs: list[list[int]] = []
    for i in hits:
        if runs and i <= runs[-1][1]:
            runs[-1][1] = i + RUN
        else:
            runs.append([i, i + RUN])
    return [
        (text.count("\n", 0, matches[start].start()) + 1, " ".join(words[start:end]))
        for start, end in runs
    ]


def test_no_tracked_file_quotes_news_text(news_shingles):
    problems = []
    for path in _tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for line, run in _shared_runs(text, news_shingles):
            problems.append(f"{path.relative_to(ROOT)}:{line}: {run!r}")
    assert not problems, (
        f"{len(problems)} passage(s) share {RUN}+ consecutive words with items in {DATA}; "
        "replace them with invented examples:\n  " + "\n  ".join(problems)
    )


def test_the_guard_finds_a_copied_sentence(news_shingles):
    # the check itself: a sentence taken from the data is found, a reworded one is not
    for path in _data_files():
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                item = json.loads(line) if line.strip() else {}
                words = _words(str(item.get("text") or ""))
                if len(words) >= RUN + 2:
                    quoted = "# as reported: " + " ".join(words[: RUN + 2]).upper()
                    assert _shared_runs(quoted, news_shingles)
                    reworded = " ".join(w + "x" for w in words[: RUN + 2])
                    assert not _shared_runs(reworded, news_shingles)
                    return
    pytest.skip("no item with enough text to test the guard on")
