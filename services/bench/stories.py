"""How the story index groups real news: versions merged, stories, and the
look-alikes kept apart as other events, on the pools in ``../shared/data``.

    python -m watchfloor.services.bench.stories [--data-dir DIR] [--show]

Each pool is replayed through the index's own decision (``choose_story``)
with its buckets and window held in memory: ``news_pool_ext.jsonl`` in order
of publication, each version compared with what was seen in the window
before it (72 h); ``news_pool.jsonl`` has no publication times, so it is
replayed in file order as one window. One JSON line of figures; ``--show``
also prints each merged pair and each pair kept apart, to read them (the
text stays on the terminal: it is not ours to copy).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from watchfloor.services.ingest.stories import (
    BAND_MEMBERS,
    StoryFingerprint,
    StoryParams,
    choose_story,
    jaccard,
    signature,
)

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"
POOLS = ("news_pool.jsonl", "news_pool_ext.jsonl")


@dataclass(frozen=True)
class Pair:
    """A later version and the earlier one it was compared with."""

    later: dict[str, Any]
    earlier: dict[str, Any]
    similarity: float
    kept_apart_because: str | None  # None: merged


@dataclass
class PoolReport:
    items: int = 0
    merged: list[Pair] = field(default_factory=list)
    kept_apart: list[Pair] = field(default_factory=list)
    stories_with_versions: set[str] = field(default_factory=set)
    story_ids: dict[str, str] = field(default_factory=dict)  # item id -> its story's

    def figures(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "versions_merged": len(self.merged),
            "stories_they_joined": len(self.stories_with_versions),
            "look_alikes_kept_apart": len(self.kept_apart),
            "kept_apart_by_reason": dict(
                Counter(p.kept_apart_because for p in self.kept_apart).most_common()),
        }


@dataclass
class _Seen:
    story_id: str
    fingerprint: StoryFingerprint
    item: dict[str, Any]
    at: float | None


def replay(items: Iterable[dict[str, Any]], params: StoryParams | None = None) -> PoolReport:
    """Group ``items`` (id, title, text, optional published) as ``StoryIndex``
    would, seeing them in the given order."""
    params = params or StoryParams()
    report = PoolReport()
    seen: dict[str, _Seen] = {}
    buckets: dict[str, tuple[list[str], float | None]] = {}  # band -> (ids, last append)
    for item in items:
        report.items += 1
        published = _published(item)
        at = published.timestamp() if published else None
        sig = signature(item["title"], item.get("text", ""), params.max_text_words, at=published)
        if sig is None:
            continue
        candidates = {
            c: (seen[c].story_id, seen[c].fingerprint)
            for band in sig.bands
            for c in _live(buckets.get(band), at, params.window_s)
            if c in seen and _alive(seen[c].at, at, params.window_s)
        }
        choice = choose_story(sig.fingerprint, candidates, params)
        story_id = choice.story_id or item["id"]
        report.story_ids[item["id"]] = story_id
        for candidate, why in choice.kept_apart:
            report.kept_apart.append(_pair(item, seen[candidate], sig.fingerprint, why))
        if choice.story_id is not None:
            earlier = max((seen[c] for c in candidates if seen[c].story_id == story_id),
                          key=lambda s: jaccard(sig.fingerprint.shingle_ids,
                                                s.fingerprint.shingle_ids))
            report.merged.append(_pair(item, earlier, sig.fingerprint, None))
            report.stories_with_versions.add(story_id)
        seen[item["id"]] = _Seen(story_id, sig.fingerprint, item, at)
        for band in sig.bands:
            ids = list(_live(buckets.get(band), at, params.window_s))
            if len(ids) < BAND_MEMBERS and item["id"] not in ids:
                buckets[band] = ([*ids, item["id"]], at)
    return report


def _pair(item: dict[str, Any], earlier: _Seen, fp: StoryFingerprint, why: str | None) -> Pair:
    score = jaccard(fp.shingle_ids, earlier.fingerprint.shingle_ids)
    return Pair(item, earlier.item, round(score, 3), why)


def _published(item: dict[str, Any]) -> datetime | None:
    value = item.get("published")
    return datetime.fromisoformat(value) if value else None


def _alive(then: float | None, now: float | None, window_s: int) -> bool:
    return then is None or now is None or now - then <= window_s


def _live(bucket: tuple[list[str], float | None] | None, now: float | None,
          window_s: int) -> list[str]:
    if bucket is None or not _alive(bucket[1], now, window_s):
        return []
    return bucket[0]


def read_pool(path: Path) -> list[dict[str, Any]]:
    """The pool's items in the order the index would see them."""
    items = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    if all(i.get("published") for i in items):
        items.sort(key=lambda i: (i["published"], i["id"]))
    return items


def measure(data_dir: Path = DEFAULT_DATA_DIR,
            params: StoryParams | None = None) -> dict[str, PoolReport]:
    return {name: replay(read_pool(data_dir / name), params)
            for name in POOLS if (data_dir / name).is_file()}


def _show(reports: dict[str, PoolReport]) -> Iterator[str]:
    def line(label: str, item: dict[str, Any]) -> str:
        when = f" [{item['published']}, {item.get('source', '')}]" if "published" in item else ""
        return f"  {label} {item['id']}{when}: {item['title']} :: {item.get('text', '')[:240]}"

    for name, report in reports.items():
        for title, pairs in (("merged", report.merged), ("kept apart", report.kept_apart)):
            yield f"== {name}: {title} ({len(pairs)})"
            for pair in pairs:
                yield f"-- similarity {pair.similarity}" + (
                    f", kept apart: {pair.kept_apart_because}" if pair.kept_apart_because else "")
                yield line("earlier", pair.earlier)
                yield line("later  ", pair.later)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m watchfloor.services.bench.stories",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="folder with news_pool*.jsonl (default: ../shared/data)")
    parser.add_argument("--threshold", type=float, default=StoryParams.threshold,
                        help="similarity to merge at (default %(default)s, the ingest's): "
                             "lower it to see how the facts rule treats looser rewrites")
    parser.add_argument("--show", action="store_true", help="print every pair, to read them")
    args = parser.parse_args(argv)
    reports = measure(args.data_dir, StoryParams(threshold=args.threshold))
    if not reports:
        print(f"no news_pool*.jsonl in {args.data_dir}", file=sys.stderr)
        return 2
    if args.show:
        for text in _show(reports):
            print(text)
    print(json.dumps({name: r.figures() for name, r in reports.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
