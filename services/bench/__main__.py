"""Push N articles through the running pipeline to a local receiver; print one JSON line.

    python -m watchfloor.services.bench [--articles 10000] [--redis-url URL] [--pool FILE]

The three workers run as separate processes (``watchfloor worker ...``), on
WATCHFLOOR_REDIS_URL or on a private redis-server. Articles are the project's
samples, varied so none is a duplicate, posted to the ingest API in batches.
Throughput is articles/s from the first POST to the last webhook received;
latency is ingest (the article's ``ingested_at``) to webhook received.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from watchfloor.services.classifier.benchmark import long_articles, measure_classify_rate
from watchfloor.services.classifier.engine import Classifier
from watchfloor.services.classifier.taxonomy import known_tag_ids
from watchfloor.services.receiver import WebhookReceiver
from watchfloor.shared.redis_server import LocalRedisServer, free_port

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "articles.jsonl"
DEFAULT_POOL = Path(__file__).resolve().parents[3] / "shared" / "data" / "news_pool.jsonl"
BATCH = 500

WATCHLIST = """
watchlists:
  - id: everything
    name: Every tagged article
    match: {tags_any: %s, min_confidence: 0}
    targets:
      - {type: webhook, url: "%s", secret: "whsec_YmVuY2htYXJrLW9ubHktc2VjcmV0LWtleS0xMjM="}
"""


def varied_articles(n: int, offset: int = 0) -> list[dict[str, Any]]:
    base = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    out = []
    for i in range(offset, offset + n):
        src = base[i % len(base)]
        out.append({
            "title": src["title"],
            "text": f"{src['text']} (Bulletin {i}.)",
            "url": f"https://bench.example.org/{i}/{src['id']}",
            "source": "bench",
        })
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def post_all(url: str, articles: list[dict[str, Any]]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        sem = asyncio.Semaphore(2)

        async def post(chunk: list[dict[str, Any]]) -> None:
            async with sem:
                reply = await http.post("/v1/articles", json=chunk)
                reply.raise_for_status()

        await asyncio.gather(*(post(articles[i:i + BATCH]) for i in range(0, len(articles), BATCH)))


def wait_for_api(url: str, procs: list[Any], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if any(p.poll() is not None for p in procs):
            raise SystemExit("a worker exited during start-up")
        time.sleep(0.1)
    raise SystemExit("ingest API did not start")


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident memory of a process (Linux), in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def latencies_ms(requests: list[Any]) -> list[float]:
    """Ingest (the article's ingested_at) to webhook received, per alert."""
    return [
        (r.received_at - datetime.fromisoformat(
            r.json()["data"]["article"]["ingested_at"].replace("Z", "+00:00")).timestamp()) * 1000
        for r in requests
    ]


def summarize(latencies: list[float]) -> dict[str, float | None]:
    if not latencies:
        return {"p50": None, "p95": None, "p99": None, "mean": None}
    return {
        "p50": round(percentile(latencies, 0.50), 1),
        "p95": round(percentile(latencies, 0.95), 1),
        "p99": round(percentile(latencies, 0.99), 1),
        "mean": round(statistics.fmean(latencies), 1),
    }


def run_paced(url: str, receiver: WebhookReceiver, classifier: Classifier,
              args: argparse.Namespace) -> dict[str, Any]:
    """Latency without a backlog: articles posted one by one at a steady rate."""
    articles = varied_articles(args.paced_articles, offset=args.articles)
    expected = sum(1 for a in articles if classifier.classify(a["title"], a["text"]).tags)
    before = len(receiver.delivered())

    async def post_paced() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            interval = 1.0 / args.paced_rate
            start = time.monotonic()
            for i, article in enumerate(articles):
                await asyncio.sleep(max(0.0, start + i * interval - time.monotonic()))
                (await http.post("/v1/articles", json=article)).raise_for_status()

    asyncio.run(post_paced())
    receiver.wait_for(before + expected, timeout=60)
    got = receiver.delivered()[before:]
    return {"articles": len(articles), "rate_per_s": args.paced_rate, "alerts_received": len(got),
            "latency_ms": summarize(latencies_ms(got))}


def run(args: argparse.Namespace) -> dict[str, Any]:
    import subprocess

    articles = varied_articles(args.articles)
    classifier = Classifier.from_files()
    expected = sum(1 for a in articles if classifier.classify(a["title"], a["text"]).tags)
    offline = measure_classify_rate(articles, classifier, repeat=1)
    long = measure_classify_rate(long_articles(articles, count=300), classifier, repeat=1)
    result: dict[str, Any] = {"articles": len(articles), "expected_alerts": expected}

    with tempfile.TemporaryDirectory(prefix="watchfloor-bench-") as tmp, WebhookReceiver() as receiver:
        server = None
        redis_url = args.redis_url or os.environ.get("WATCHFLOOR_REDIS_URL")
        if not redis_url:
            server = LocalRedisServer(Path(tmp) / "redis", persist=False).start()
            redis_url = server.url
        watchlists = Path(tmp) / "watchlists.yaml"
        watchlists.write_text(WATCHLIST % (json.dumps(sorted(known_tag_ids())), receiver.url("/bench")))
        port = free_port()
        env = {**os.environ, "WATCHFLOOR_REDIS_URL": redis_url,
               "WATCHFLOOR_KEY_PREFIX": f"bench-{int(time.time())}",
               "WATCHFLOOR_WATCHLISTS_FILE": str(watchlists), "WATCHFLOOR_HTTP_PORT": str(port),
               "WATCHFLOOR_LOG_LEVEL": "WARNING", "WATCHFLOOR_LOG_FORMAT": "json",
               "WATCHFLOOR_MAX_BATCH_ARTICLES": str(BATCH),
               # the local receiver is on loopback: open it (and only it)
               "WATCHFLOOR_TARGET_ALLOWLIST": f"{receiver.host}/32"}
        procs = [
            subprocess.Popen([sys.executable, "-m", "watchfloor.services.cli.main", "worker", name],
                             env=env, stdout=subprocess.DEVNULL,
                             stderr=open(Path(tmp) / f"{name}.log", "wb"))  # noqa: SIM115 - lives as long as the worker
            for name in ("ingest", "classifier", "notifier")
        ]
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for_api(url, procs)
            time.sleep(1.0)  # consumers subscribed
            started = time.time()
            asyncio.run(post_all(url, articles))
            posted = time.time()
            if not receiver.wait_for(expected, timeout=args.timeout):
                print(f"warning: {len(receiver.delivered())}/{expected} alerts arrived in time",
                      file=sys.stderr)
            got = receiver.delivered()
            last = max(r.received_at for r in got) if got else time.time()
            latencies = latencies_ms(got)
            paced = run_paced(url, receiver, classifier, args) if args.paced_articles else None
            memory = {name: peak_rss_mb(proc.pid)
                      for name, proc in zip(("ingest", "classifier", "notifier"), procs, strict=True)}
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(30)
            if server:
                server.stop()

    result.update({
        "alerts_received": len(got),
        "ingest_seconds": round(posted - started, 3),
        "throughput_articles_per_s": round(len(articles) / (last - started), 1),
        "latency_ms": summarize(latencies),
        "paced": paced,
        "worker_peak_rss_mb": memory,
        "offline_classify_items_per_s": offline["items_per_s"],
        "offline_classify_mean_words": offline["mean_words"],
        "offline_classify_long_items_per_s": long["items_per_s"],
        "offline_classify_long_mean_words": long["mean_words"],
    })
    pool = Path(args.pool) if args.pool else DEFAULT_POOL
    result["classify_cli_one_core"] = classify_cli(args)
    if pool.is_file():
        items = [json.loads(line) for line in pool.read_text().splitlines() if line.strip()]
        rate = measure_classify_rate(items, classifier, repeat=3)
        result["offline_classify_pool_items_per_s"] = rate["items_per_s"]
        result["offline_classify_pool_items"] = rate["items"]
    return result


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
        return measure(joined)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m watchfloor.services.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000, help="how many (default 10000)")
    parser.add_argument("--redis-url", help="default: $WATCHFLOOR_REDIS_URL or a private server")
    parser.add_argument("--pool", help="JSONL of real items for the offline classify rate "
                                       "(default: ../shared/data/news_pool.jsonl if present)")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--paced-articles", type=int, default=1000,
                        help="then this many posted one by one at --paced-rate (0: skip)")
    parser.add_argument("--paced-rate", type=float, default=100.0, help="articles/s (default 100)")
    parser.add_argument("--classify-only", action="store_true",
                        help="only the one-core `watchfloor classify` rate beside a regex tagger")
    args = parser.parse_args(argv)
    if args.classify_only:
        print(json.dumps({"classify_cli_one_core": classify_cli(args)}))
        return 0
    print(json.dumps(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
