"""End-to-end bench of the running pipeline; prints one JSON line.

    python -m watchfloor.services.bench [--articles 10000] [--repeat 3] [--redis-url URL]

Input: the real news of ``../shared/data/news_pool*.jsonl`` when present
(read at run time, each item under a unique URL), the samples otherwise.
Each repetition starts the three workers (``watchfloor worker ...``) afresh
on a new key prefix, posts a burst (batches of 500, two in flight), waits
until every group is drained, then posts ``--paced-articles`` one by one at
``--paced-rate``. A separate receiver process verifies every webhook's
Standard Webhooks signature; only verified ones count for latency, and
unverified ones are reported.

Figures, per repetition and as min/median over the repetitions:
throughput (new articles / (last webhook or last classified entry - first
POST)); latency from the POST being sent to the verified webhook; CPU
milliseconds per article of each process (ingest, classifier, notifier,
redis-server, receiver) from their own clocks (/proc, user + system), which
a busy machine does not inflate; Redis memory growth per 10,000 articles
(INFO used_memory, streams included). In the same run, on the same Redis:
the raw redis-py relay ceiling (``relay.py``) and end to end / relay; and
what waking an idle process costs on this host (``host_wake.py``), with the
paced CPU per article counted in such wake-ups.

``--scaling`` instead runs the same burst through a growing pipeline (one
and two classifier and notifier copies; one and three partitions on a local
Redis Cluster) and prints its figures as one JSON line (``scaling.py``).

``--single-posts-rate R`` instead posts one article per request at R/s for
``--single-posts-seconds`` (open loop), after ``--single-posts-warmup-seconds``
at the same rate whose latencies are reported apart, and reports status
counts, POST latency and how late the load generator sent. Loopback only;
every phase is bounded by ``--timeout``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from watchfloor.services.bench.host_wake import in_wakes, wake_cost
from watchfloor.services.bench.inputs import DATA_DIR, SAMPLES, bench_inputs
from watchfloor.services.bench.pipeline_run import Stack, median_min, run_repetition
from watchfloor.services.bench.receiver_proc import ReceiverProcess
from watchfloor.services.bench.relay import measure_relay
from watchfloor.services.bench.scaling import run_scaling
from watchfloor.services.classifier import NATIVE
from watchfloor.services.classifier.taxonomy import known_tag_ids
from watchfloor.shared.redis_server import LocalRedisServer

DEFAULT_POOL = DATA_DIR / "news_pool.jsonl"
RELAY_MESSAGES = 20_000


def _dig(result: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        if not isinstance(result, dict):
            return None
        result = result.get(part)  # type: ignore[assignment]
    return result


SUMMARY = {
    "burst_articles_per_s": "burst.articles_per_s",
    "burst_latency_p50_ms": "burst.latency_ms_post_to_webhook.p50",
    "burst_latency_p99_ms": "burst.latency_ms_post_to_webhook.p99",
    "burst_cpu_ms_per_article_total": "burst.cpu_ms_per_article.total",
    "burst_cpu_ms_per_article_ingest": "burst.cpu_ms_per_article.ingest",
    "burst_cpu_ms_per_article_classifier": "burst.cpu_ms_per_article.classifier",
    "burst_cpu_ms_per_article_notifier": "burst.cpu_ms_per_article.notifier",
    "burst_cpu_ms_per_article_redis": "burst.cpu_ms_per_article.redis",
    "burst_cpu_ms_per_article_receiver": "burst.cpu_ms_per_article.receiver",
    "paced_latency_p50_ms": "paced.latency_ms_post_to_webhook.p50",
    "paced_latency_p99_ms": "paced.latency_ms_post_to_webhook.p99",
    "paced_cpu_ms_per_article_total": "paced.cpu_ms_per_article.total",
    "paced_sleeps_per_article_total": "paced.sleeps_per_article.total",
    "redis_mb_per_10k_articles": "redis_mb_per_10k_articles",
    "redis_mb_per_10k_articles_settled": "redis_mb_per_10k_articles_settled",
}


@contextlib.contextmanager
def bench_redis(args: argparse.Namespace) -> Iterator[tuple[Path, str]]:
    """A scratch folder and the Redis of the run: --redis-url, else
    $WATCHFLOOR_REDIS_URL, else a private server stopped at the end."""
    with tempfile.TemporaryDirectory(prefix="watchfloor-bench-") as tmp:
        workdir = Path(tmp)
        redis_url = args.redis_url or os.environ.get("WATCHFLOOR_REDIS_URL")
        if redis_url:
            yield workdir, redis_url
            return
        server = LocalRedisServer(workdir / "redis", persist=False).start()
        try:
            yield workdir, server.url
        finally:
            server.stop()


def run(args: argparse.Namespace) -> dict[str, Any]:
    tags = sorted(known_tag_ids())
    reps: list[dict[str, Any]] = []
    relays: list[dict[str, Any]] = []
    with bench_redis(args) as (workdir, redis_url), \
            ReceiverProcess(workdir, _secret()) as receiver:
        host = wake_cost(redis_url)
        for rep in range(args.repeat):
            prefix = f"bench-{int(time.time())}-{rep}"
            source, burst, paced = bench_inputs(args.articles, args.paced_articles, prefix)
            stack = Stack(redis_url, prefix, receiver, workdir, tags,
                          one_process=args.one_process)
            try:
                figures = run_repetition(stack, burst, paced, args.paced_rate, args.timeout)
            finally:
                figures_exit = stack.stop(args.graceful_timeout)
            figures["worker_exit_s_after_sigterm"] = figures_exit
            reps.append(figures)
            relays.append(measure_relay(redis_url, [json.dumps(a).encode() for a in burst],
                                        RELAY_MESSAGES))
    summary = {name: median_min([_dig(r, path) for r in reps]) for name, path in SUMMARY.items()}
    relay_rates = [r["messages_per_s"] for r in relays]
    relay = {"messages_per_s": median_min(relay_rates), "runs": relays}
    e2e = summary["burst_articles_per_s"]["median"]
    ratio = round(e2e / statistics.median(relay_rates), 4) if e2e and relay_rates else None
    relay_cpu = [r["cpu_ms_per_message"] for r in relays if r.get("cpu_ms_per_message")]
    e2e_cpu = summary["burst_cpu_ms_per_article_total"]["median"]
    cpu_ratio = (round(statistics.median(relay_cpu) / e2e_cpu, 4)
                 if relay_cpu and e2e_cpu else None)
    return {
        "input": source, "articles_per_repetition": args.articles, "repetitions": args.repeat,
        "workers": "one process (watchfloor up)" if args.one_process else "one process each",
        # the classifier's per-item modules compiled (make native) or Python:
        # the workers import the same package, so they find the same build
        "classifier_compiled": NATIVE,
        "cpu": "per-process user+system time from /proc, ms per new article",
        "summary": summary, "relay": relay, "end_to_end_over_relay": ratio,
        # the same ratio from CPU per message (relay CPU / pipeline CPU): not
        # moved by a busy machine, unlike the rates
        "end_to_end_over_relay_by_cpu": cpu_ratio,
        # what waking an idle process costs here, and the paced CPU per
        # article counted in such wake-ups (host_wake.py)
        "host_wake": host,
        "paced_cpu_per_article_in_wakes": in_wakes(
            summary["paced_cpu_ms_per_article_total"]["median"], host),
        "unverified_webhooks": sum(_dig(r, "burst.alerts_unverified") or 0 for r in reps)
        + sum(_dig(r, "paced.alerts_unverified") or 0 for r in reps),
        "runs": reps,
    }


def run_single_posts(args: argparse.Namespace) -> dict[str, Any]:
    """One stack; ``--single-posts-rate`` POSTs of one article a second."""
    import asyncio

    from watchfloor.services.bench.proc_cpu import ms_per_item, snapshot
    from watchfloor.services.bench.single_posts import flood

    count = int(args.single_posts_rate * args.single_posts_seconds)
    warmup = int(args.single_posts_rate * args.single_posts_warmup_seconds)
    with bench_redis(args) as (workdir, redis_url), \
            ReceiverProcess(workdir, _secret()) as receiver:
        prefix = f"bench-{int(time.time())}-posts"
        source, articles, _ = bench_inputs(warmup + count, 0, prefix)
        stack = Stack(redis_url, prefix, receiver, workdir, sorted(known_tag_ids()))
        try:
            stack.wait_ready()
            cpu0 = snapshot(stack.pids())
            result = asyncio.run(flood(stack.url, articles, args.single_posts_rate,
                                       warmup=warmup))
            cpu1 = snapshot(stack.pids())
        finally:
            stack.stop(args.graceful_timeout)
    result["cpu_ms_per_request"] = ms_per_item(cpu0, cpu1, warmup + count)
    return {"input": source, "single_posts": result}


def _secret() -> str:
    from watchfloor.services.bench.pipeline_run import SECRET

    return SECRET


UNPUNCTUATED_WORDS = 30_000
# An invented headline that tags the longest item (troops, a missile test).
LONGEST_ITEM_TITLE = "Army sends 2,000 troops to the border after a missile test"
INGEST_COST_ITEMS = 5_000


def _pool_items(args: argparse.Namespace, limit: int | None = None) -> list[dict[str, Any]] | None:
    """The items of ``--pool`` (default: the news pool), the first ``limit``;
    None when the file is absent."""
    pool = Path(args.pool) if args.pool else DEFAULT_POOL
    if not pool.is_file():
        return None
    lines = pool.read_text().splitlines()[:limit]
    return [json.loads(line) for line in lines if line.strip()]


def offline_classify(args: argparse.Namespace) -> dict[str, Any]:
    """The in-process classification rates (as before) and the CLI's one-core rate."""
    from watchfloor.services.bench.inputs import sample_articles
    from watchfloor.services.classifier.benchmark import (
        long_articles,
        longest_text,
        measure_classify_rate,
        seconds_to_classify,
        unpunctuated_text,
    )
    from watchfloor.services.classifier.engine import Classifier
    from watchfloor.services.classifier.factory import build_classifier
    from watchfloor.services.ingest.raw import MAX_TEXT_CHARS
    from watchfloor.shared.settings import Settings

    classifier = Classifier.from_files()
    articles = sample_articles(2_000)
    offline = measure_classify_rate(articles, classifier, repeat=1)
    long = measure_classify_rate(long_articles(articles, count=300), classifier, repeat=1)
    out: dict[str, Any] = {
        "items_per_s": offline["items_per_s"], "mean_words": offline["mean_words"],
        "long_items_per_s": long["items_per_s"], "long_mean_words": long["mean_words"],
    }
    items: list[dict[str, Any]] = articles
    if (pool := _pool_items(args)) is not None:
        items = pool
        rate = measure_classify_rate(items, classifier, repeat=3)
        out["pool_items_per_s"], out["pool_items"] = rate["items_per_s"], rate["items"]
    # linear time on any input (issue 9: under 0.5 s), with the default classifier
    text = unpunctuated_text(items, UNPUNCTUATED_WORDS)
    default = build_classifier(Settings(_env_file=None))
    out["unpunctuated_words"] = UNPUNCTUATED_WORDS
    out["unpunctuated_s"] = round(min(seconds_to_classify(default, "", text) for _ in range(3)), 3)
    # the longest article ingest takes, under a headline that tags it (so its
    # figures are read too): one such item once took 48 s
    longest = longest_text(items, MAX_TEXT_CHARS)
    out["longest_item_chars"] = len(longest)
    out["longest_item_s"] = round(min(
        seconds_to_classify(default, LONGEST_ITEM_TITLE, longest) for _ in range(3)), 3)
    return out


def offline_ingest(args: argparse.Namespace) -> dict[str, Any]:
    """Ingest's CPU per article before Redis (normalise, story signature),
    for the pool's items and for ~800-word articles made of them."""
    from watchfloor.services.bench.ingest_cost import ingest_cost
    from watchfloor.services.bench.inputs import sample_articles

    return ingest_cost(_pool_items(args, INGEST_COST_ITEMS) or sample_articles(2_000))


def classify_cli(args: argparse.Namespace) -> dict[str, Any]:
    """The CLI's rate on the pools (both files, when present), else the samples."""
    from watchfloor.services.bench.classify_rate import measure

    pools = [DEFAULT_POOL, DEFAULT_POOL.with_name("news_pool_ext.jsonl")]
    if args.pool:
        pools = [Path(args.pool)]
    pools = [p for p in pools if p.is_file()] or [SAMPLES]
    with tempfile.TemporaryDirectory() as tmp:
        joined = Path(tmp) / "items.jsonl"
        joined.write_bytes(b"".join(p.read_bytes() for p in pools))
        return {**measure(joined), "classifier_compiled": NATIVE}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m watchfloor.services.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000,
                        help="burst size per repetition (default 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (default 3)")
    parser.add_argument("--redis-url", help="default: $WATCHFLOOR_REDIS_URL or a private server")
    parser.add_argument("--pool", help="JSONL of real items for the offline classify rate "
                                       "(default: ../shared/data/news_pool.jsonl if present)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds a phase may take to drain (default 300)")
    parser.add_argument("--graceful-timeout", type=float, default=30.0,
                        help="seconds workers get to exit after SIGTERM, then killed (default 30)")
    parser.add_argument("--paced-articles", type=int, default=1000,
                        help="then this many posted one by one at --paced-rate (0: skip)")
    parser.add_argument("--paced-rate", type=float, default=100.0, help="articles/s (default 100)")
    parser.add_argument("--single-posts-rate", type=float,
                        help="instead: this many single-article POSTs a second (open loop)")
    parser.add_argument("--single-posts-seconds", type=float, default=20.0,
                        help="for this long (default 20)")
    parser.add_argument("--single-posts-warmup-seconds", type=float, default=2.0,
                        help="posted first at the same rate, latencies reported apart "
                             "(default 2; 0: none)")
    parser.add_argument("--one-process", action="store_true",
                        help="the three workers in one process (`watchfloor up`), as a small "
                             "deployment may run them, instead of one process each")
    parser.add_argument("--no-classify", action="store_true",
                        help="skip the offline classification rates")
    parser.add_argument("--classify-only", action="store_true",
                        help="only the one-core `watchfloor classify` rate beside a regex tagger")
    parser.add_argument("--scaling", action="store_true",
                        help="instead: the scaling run (copies, partitions, cluster; scaling.py)")
    parser.add_argument("--scaling-articles", type=int, default=2000,
                        help="burst per shape of the scaling run (default 2000)")
    args = parser.parse_args(argv)
    if args.scaling:
        if args.scaling_articles < 1:
            parser.error("--scaling-articles must be at least 1")
        print(json.dumps(run_scaling(args, _secret())))
        return 0
    if args.classify_only:
        print(json.dumps({"classify_cli_one_core": classify_cli(args)}))
        return 0
    if args.single_posts_rate:
        print(json.dumps(run_single_posts(args)))
        return 0
    if args.repeat < 1 or args.articles < 1:
        parser.error("--repeat and --articles must be at least 1")
    result = run(args)
    if not args.no_classify:
        result["offline_classify"] = offline_classify(args)
        result["offline_ingest"] = offline_ingest(args)
        result["classify_cli_one_core"] = classify_cli(args)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
