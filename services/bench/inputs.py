"""What the bench posts: the real news of ``../shared/data`` when present
(``news_pool*.jsonl``, read at run time, never copied), else the samples.

Every item gets a unique URL (so a unique article id); texts are kept as
they are, so exact-content duplicates inside a pool stay duplicates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "articles.jsonl"
DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def real_pool(data_dir: Path = DATA_DIR) -> list[dict[str, Any]]:
    """The items of every ``news_pool*.jsonl`` in ``data_dir`` (sorted by file name)."""
    items: list[dict[str, Any]] = []
    for path in sorted(data_dir.glob("news_pool*.jsonl")) if data_dir.is_dir() else []:
        items += [i for i in _read_jsonl(path) if i.get("title")]
    return items


def pool_articles(items: list[dict[str, Any]], start: int, count: int,
                  tag: str) -> list[dict[str, Any]]:
    """Items ``start``..``start+count`` (wrapping) as articles with unique URLs."""
    out = []
    for n in range(start, start + count):
        src = items[n % len(items)]
        out.append({
            "title": src["title"],
            "text": src.get("text") or "",
            "url": f"https://bench.example.org/{tag}/{n}",
            "source": "bench",
        })
    return out


def sample_articles(count: int, offset: int = 0, tag: str = "s") -> list[dict[str, Any]]:
    """The samples, varied so none is an exact duplicate (they do share stories)."""
    base = _read_jsonl(SAMPLES)
    return [
        {
            "title": base[i % len(base)]["title"],
            "text": f"{base[i % len(base)]['text']} (Bulletin {i}.)",
            "url": f"https://bench.example.org/{tag}/{i}",
            "source": "bench",
        }
        for i in range(offset, offset + count)
    ]


def bench_inputs(burst: int, paced: int, tag: str,
                 data_dir: Path = DATA_DIR) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """(input name, burst articles, paced articles): the paced ones follow
    the burst in the pool, so neither is a content duplicate of the other
    while the pool is large enough."""
    items = real_pool(data_dir)
    if items:
        return ("news_pool", pool_articles(items, 0, burst, tag),
                pool_articles(items, burst, paced, tag))
    return ("samples", sample_articles(burst, 0, tag), sample_articles(paced, burst, tag))
