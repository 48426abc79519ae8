"""The bench's own arithmetic and inputs: CPU from /proc, unique URLs, summaries."""

from __future__ import annotations

import json
import os
from pathlib import Path

from watchfloor.services.bench.inputs import bench_inputs, pool_articles
from watchfloor.services.bench.pipeline_run import median_min
from watchfloor.services.bench.proc_cpu import (
    cpu_seconds,
    ms_per_item,
    parse_stat,
    per_item,
    sleeps,
)


def test_stat_line_with_spaces_in_the_command_name() -> None:
    fields = ["S"] + ["0"] * 10 + ["250", "50"] + ["0"] * 30
    line = "1234 (my (odd) worker) " + " ".join(fields)
    assert parse_stat(line) == (250 + 50) / os.sysconf("SC_CLK_TCK")


def test_own_cpu_clock_is_read() -> None:
    assert cpu_seconds(os.getpid()) is not None
    assert cpu_seconds(2**22 + 12345) is None  # no such process


def test_cpu_per_item_and_total() -> None:
    out = ms_per_item({"a": 1.0, "b": 2.0, "gone": None}, {"a": 1.5, "b": 2.25, "gone": 3.0}, 1000)
    assert out == {"a": 0.5, "b": 0.25, "gone": None, "total": 0.75}


def test_a_process_s_sleeps_count_its_threads_blocking() -> None:
    import threading
    import time

    before = sleeps(os.getpid())
    assert before is not None

    napped, finish = threading.Event(), threading.Event()

    def nap() -> None:
        for _ in range(20):
            time.sleep(0.001)  # each one blocks the thread
        napped.set()
        finish.wait()

    thread = threading.Thread(target=nap)
    thread.start()
    napped.wait()
    after = sleeps(os.getpid())  # read while the thread lives: an ended one is not counted
    finish.set()
    thread.join()
    assert after is not None and after - before >= 20
    assert sleeps(2**22 + 12345) is None  # no such process


def test_sleeps_per_item_and_total() -> None:
    out = per_item({"a": 100, "b": 40}, {"a": 400, "b": 140}, 100)
    assert out == {"a": 3.0, "b": 1.0, "total": 4.0}


def test_every_article_gets_a_unique_url_even_when_the_pool_wraps() -> None:
    items = [{"title": f"t{i}", "text": "x"} for i in range(3)]
    articles = pool_articles(items, 0, 10, "run")
    assert len({a["url"] for a in articles}) == 10
    assert [a["title"] for a in articles[:4]] == ["t0", "t1", "t2", "t0"]


def test_samples_when_there_is_no_pool(tmp_path: Path) -> None:
    source, burst, paced = bench_inputs(5, 3, "r", data_dir=tmp_path)
    assert source == "samples"
    urls = [a["url"] for a in burst + paced]
    assert len(set(urls)) == 8


def test_pool_items_come_first_when_present(tmp_path: Path) -> None:
    lines = [json.dumps({"title": f"Invented headline {i}", "text": "Invented."}) for i in range(4)]
    (tmp_path / "news_pool.jsonl").write_text("\n".join(lines))
    source, burst, paced = bench_inputs(3, 1, "r", data_dir=tmp_path)
    assert source == "news_pool"
    assert [a["title"] for a in burst + paced] == [f"Invented headline {i}" for i in range(4)]


def test_min_and_median_skip_missing_runs() -> None:
    assert median_min([3.0, None, 1.0, 2.0]) == {"min": 1.0, "median": 2.0}
    assert median_min([None]) == {"min": None, "median": None}


def test_ingest_cost_prepares_every_item_and_long_articles_are_long() -> None:
    import pytest
    from watchfloor.services.bench.ingest_cost import ingest_cost, prepare_and_sign_us

    items = [{"title": f"Frigates leave port {n}", "text": "Two frigates sailed east today. " * 8}
             for n in range(40)] + [{"title": "", "text": "A standfirst without a headline."}]
    cost = ingest_cost(items, long_count=5)
    assert cost["items_us"] > 0 and cost["long_us"] > cost["items_us"]
    assert cost["long_mean_words"] >= 800
    with pytest.raises(ValueError, match="no items"):
        prepare_and_sign_us([])
