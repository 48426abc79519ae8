"""One repetition of the end-to-end bench: fresh workers on a fresh key
prefix, a burst of articles, then articles posted one by one at a pace.

Latency runs from the moment a POST is sent (per article, taken just before
the request) to the moment the bench's receiver got the webhook and verified
its signature. CPU is read from each process's own clock (``proc_cpu``), so
a busy neighbour on the machine does not count.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis
from watchfloor.services.bench.proc_cpu import ms_per_item, per_item, sleeps, snapshot
from watchfloor.services.bench.receiver_proc import Received, ReceiverProcess
from watchfloor.services.bench.worker_proc import PIPELINE, WorkerProcess
from watchfloor.services.receiver import WebhookReceiver
from watchfloor.shared import pipeline
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.redis_server import free_port

WORKERS = ("ingest", "classifier", "notifier")
BATCH = 500
SECRET = "whsec_YmVuY2htYXJrLW9ubHktc2VjcmV0LWtleS0xMjM="

WATCHLIST = """
watchlists:
  - id: everything
    name: Every tagged article
    match: {tags_any: %s, min_confidence: 0}
    targets:
      - {type: webhook, url: "%s", secret: "%s"}
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summarize(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    return {"p50": round(percentile(values, 0.50), 1), "p95": round(percentile(values, 0.95), 1),
            "p99": round(percentile(values, 0.99), 1), "max": round(max(values), 1)}


@dataclass
class Phase:
    """What one phase (burst or paced) measured."""

    articles_new: int = 0
    duplicates: int = 0
    first_post: float = 0.0
    end: float = 0.0
    sent_at: dict[str, float] = field(default_factory=dict)  # article id -> POST sent
    webhooks: list[Received] = field(default_factory=list)
    cpu_ms_per_article: dict[str, float | None] = field(default_factory=dict)
    # times each process blocked (a wake-up each), per article: host-independent
    sleeps_per_article: dict[str, float | None] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        latencies = [(r.received_at - self.sent_at[r.article_id]) * 1000
                     for r in self.webhooks if r.article_id in self.sent_at and r.verified]
        seconds = max(self.end - self.first_post, 1e-9)
        return {
            "articles_new": self.articles_new,
            "duplicates": self.duplicates,
            "alerts_received": len(self.webhooks),
            "alerts_unverified": sum(1 for r in self.webhooks if r.verified is not True),
            "seconds": round(seconds, 3),
            "articles_per_s": round(self.articles_new / seconds, 1),
            "latency_ms_post_to_webhook": summarize(latencies),
            "cpu_ms_per_article": self.cpu_ms_per_article,
            "sleeps_per_article": self.sleeps_per_article,
        }


class Stack:
    """Three worker processes on ``prefix``, posting to the bench receiver (the
    chaos suite passes its in-process ``WebhookReceiver``)."""

    def __init__(self, redis_url: str, prefix: str, receiver: ReceiverProcess | WebhookReceiver,
                 workdir: Path, tags: list[str], extra_env: dict[str, str] | None = None, *,
                 copies: Mapping[str, int] | None = None, partitions: int = 1,
                 cluster: bool = False, cluster_pids: list[int] | None = None,
                 one_process: bool = False) -> None:
        """``copies``: processes per worker (default one each); ``partitions``
        and ``cluster``: WATCHFLOOR_PARTITIONS and WATCHFLOOR_REDIS_CLUSTER;
        ``cluster_pids``: the local cluster's redis-server processes, for CPU;
        ``one_process``: the three workers in one process (``watchfloor up``)."""
        self.redis_url = redis_url
        self.keys = Keys(prefix, partitions, cluster)
        self.receiver = receiver
        self.watchlists_file = workdir / f"watchlists-{prefix}.yaml"
        self.watchlists_file.write_text(WATCHLIST % (json.dumps(tags), receiver.url(), SECRET))
        self.port = free_port()
        env = {"WATCHFLOOR_REDIS_URL": redis_url, "WATCHFLOOR_KEY_PREFIX": prefix,
               "WATCHFLOOR_WATCHLISTS_FILE": str(self.watchlists_file),
               "WATCHFLOOR_HTTP_PORT": str(self.port),
               "WATCHFLOOR_LOG_LEVEL": "WARNING", "WATCHFLOOR_LOG_FORMAT": "json",
               "WATCHFLOOR_MAX_BATCH_ARTICLES": str(BATCH),
               # the receiver is on loopback: open it (and only it)
               "WATCHFLOOR_TARGET_ALLOWLIST": "127.0.0.1/32",
               "WATCHFLOOR_PARTITIONS": str(partitions),
               "WATCHFLOOR_REDIS_CLUSTER": "true" if cluster else "false", **(extra_env or {})}
        # one process per (worker, copy): "classifier", "classifier#2", ...
        names = [PIPELINE] if one_process else [
            name if n == 1 else f"{name}#{n}"
            for name in WORKERS for n in range(1, (copies or {}).get(name, 1) + 1)]
        self.health = {name: free_port() for name in names}
        self.procs = {
            name: WorkerProcess(name.partition("#")[0],
                                {**env, "WATCHFLOOR_HEALTH_PORT": str(self.health[name])},
                                workdir, f"-{prefix}{name.partition('#')[2]}").start()
            for name in names
        }
        self.redis: Any = (redis.RedisCluster.from_url(redis_url) if cluster
                           else redis.Redis.from_url(redis_url))
        self.redis_pid = None if cluster else int(self.redis.info("server")["process_id"])
        self.cluster_pids = cluster_pids or []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> dict[str, int | None]:
        local = self.redis_pid is not None and Path(f"/proc/{self.redis_pid}").exists()
        return {**{n: p.pid for n, p in self.procs.items()},
                "redis": self.redis_pid if local else None,
                **{f"redis#{n}": pid for n, pid in enumerate(self.cluster_pids, 1)},
                "receiver": getattr(self.receiver, "pid", None)}

    def ready(self, name: str) -> bool:
        """The worker's /readyz is 200 (its groups exist and its subscribers
        run) and, for ingest, the API answers."""
        probes = [f"http://127.0.0.1:{self.health[name]}/readyz"]
        if name in ("ingest", PIPELINE):
            probes.append(f"{self.url}/healthz")
        try:
            return all(httpx.get(url, timeout=1).status_code == 200 for url in probes)
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = 60) -> None:
        """Until every worker is ``ready``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not all(p.alive() for p in self.procs.values()):
                raise SystemExit(f"a worker exited during start-up:\n{self.log_tails()}")
            if all(self.ready(name) for name in self.procs):
                return
            time.sleep(0.1)
        raise SystemExit(f"the workers did not start in {timeout:.0f} s:\n{self.log_tails()}")

    def log_tails(self, chars: int = 1500) -> str:
        return "\n".join(f"[{name}] {proc.log_tail(chars)}" for name, proc in self.procs.items())

    def log_lines_with(self, needles: Iterable[str], limit: int = 40) -> list[str]:
        """Every worker's log lines mentioning any of ``needles``, named by worker."""
        wanted = list(needles)
        return [f"[{name}] {line}" for name, proc in self.procs.items()
                for line in proc.log_lines_with(wanted)][:limit]

    def busy(self) -> bool:
        """Anything left to do: lag or pending on a group, or a retry waiting."""
        for stream, group in pipeline.consumed(self.keys):
            for info in self.redis.xinfo_groups(stream):
                if as_str(info["name"]) != group:
                    continue
                if int(info["pending"]) or int(info.get("lag") or 0):
                    return True
        return any(self.redis.zcard(schedule) for schedule in self.keys.retry_schedules())

    def last_classified(self) -> float:
        """When the classifier wrote its last entry, tagged or not (the stream
        id's clock)."""
        classify = pipeline.stage("classify")
        last = [entry for name in (classify.output, classify.history)
                for stream in self.keys.streams(str(name))
                for entry in self.redis.xrevrange(stream, count=1)]
        return max((int(as_str(e[0]).split("-")[0]) / 1000 for e in last), default=0.0)

    def wait_quiet(self, phase: Phase, timeout: float) -> None:
        """Until nothing is left to do and no webhook arrives for 0.5 s."""
        deadline = time.monotonic() + timeout
        count, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            now = len(self.receiver.received())
            if now != count:
                count, since = now, time.monotonic()
            elif time.monotonic() - since > 0.5 and not self.busy():
                break
            time.sleep(0.1)
        else:
            print(f"warning: the pipeline was still busy after {timeout:.0f} s", file=sys.stderr)
        phase.webhooks = [r for r in self.receiver.received() if r.article_id in phase.sent_at]
        last_webhook = max((r.received_at for r in phase.webhooks), default=0.0)
        phase.end = max(last_webhook, self.last_classified())

    def wait_trimmed(self, timeout: float = 10) -> bool:
        """Until the maintenance loop has trimmed every work queue (the
        consumed streams not kept for reading back) to empty; False if it
        had not after ``timeout`` seconds."""
        kept = pipeline.kept_streams(self.keys)
        queues = [stream for stream, _ in pipeline.consumed(self.keys) if stream not in kept]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(self.redis.xlen(stream) for stream in queues):
                return True
            time.sleep(0.1)
        return False

    def used_memory(self) -> int:
        info = self.redis.info("memory")
        if "used_memory" in info:
            return int(info["used_memory"])
        return sum(int(node["used_memory"]) for node in info.values())  # a cluster: every node

    def peak_rss_mib(self) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for name, proc in self.procs.items():
            out[name] = None
            try:
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        out[name] = round(int(line.split()[1]) / 1024, 1)
            except OSError:
                pass
        return out

    def stop(self, timeout: float = 30) -> dict[str, float | None]:
        """SIGTERM every worker; kill what has not ended after ``timeout``.
        Returns each worker's seconds to exit (None: it had to be killed)."""
        started = time.monotonic()
        for worker in self.procs.values():
            if worker.alive():
                worker.proc.terminate()
        exits: dict[str, float | None] = {}
        for name, worker in self.procs.items():
            proc = worker.proc
            try:
                proc.wait(max(0.1, timeout - (time.monotonic() - started)))
                exits[name] = round(time.monotonic() - started, 2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                exits[name] = None
        self.redis.close()
        return exits


def _record(phase: Phase, sent: float, reply: httpx.Response) -> None:
    reply.raise_for_status()
    body = reply.json()
    phase.articles_new += body["new"]
    phase.duplicates += body["duplicate"]
    for result in body["results"]:
        if result["status"] == "new":
            phase.sent_at[result["id"]] = sent


async def post_burst(url: str, articles: list[dict[str, Any]], phase: Phase) -> None:
    """Batches of BATCH, two in flight."""
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        gate = asyncio.Semaphore(2)

        async def post(chunk: list[dict[str, Any]]) -> None:
            async with gate:
                sent = time.time()
                _record(phase, sent, await http.post("/v1/articles", json=chunk))

        phase.first_post = time.time()
        await asyncio.gather(*(post(articles[i:i + BATCH])
                               for i in range(0, len(articles), BATCH)))


async def post_paced(url: str, articles: list[dict[str, Any]], rate: float,
                     phase: Phase) -> None:
    """One article per POST, on a fixed schedule (one connection)."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        start = time.monotonic()
        phase.first_post = time.time()
        for i, article in enumerate(articles):
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            sent = time.time()
            _record(phase, sent, await http.post("/v1/articles", json=article))


class Measure:
    """The processes' CPU and sleeps from its making to ``done(phase)``."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        pids = stack.pids()
        self._cpu, self._sleeps = snapshot(pids), snapshot(pids, sleeps)

    def done(self, phase: Phase) -> None:
        pids = self._stack.pids()
        phase.cpu_ms_per_article = ms_per_item(self._cpu, snapshot(pids), phase.articles_new)
        phase.sleeps_per_article = per_item(self._sleeps, snapshot(pids, sleeps),
                                            phase.articles_new)


def run_repetition(stack: Stack, burst: list[dict[str, Any]], paced: list[dict[str, Any]],
                   paced_rate: float, timeout: float) -> dict[str, Any]:
    stack.wait_ready()
    memory_before = stack.used_memory()
    phase = Phase()
    measure = Measure(stack)
    asyncio.run(post_burst(stack.url, burst, phase))
    stack.wait_quiet(phase, timeout)
    measure.done(phase)
    memory_after = stack.used_memory()
    result: dict[str, Any] = {"burst": phase.figures()}
    per_10k = 10_000 / max(phase.articles_new, 1) / 1e6
    result["redis_mb_per_10k_articles"] = round((memory_after - memory_before) * per_10k, 1)
    # The same once the work queues are trimmed (they are, every maintenance
    # interval): what stays. Right after the burst, whether the last
    # deliveries were trimmed yet is a matter of timing.
    if stack.wait_trimmed():
        result["redis_mb_per_10k_articles_settled"] = round(
            (stack.used_memory() - memory_before) * per_10k, 1)
    if paced:
        slow = Phase()
        measure = Measure(stack)
        asyncio.run(post_paced(stack.url, paced, paced_rate, slow))
        stack.wait_quiet(slow, timeout)
        measure.done(slow)
        result["paced"] = {"rate_per_s": paced_rate, **slow.figures()}
    result["worker_peak_rss_mib"] = stack.peak_rss_mib()
    return result


def median_min(values: list[float | None]) -> dict[str, float | None]:
    present = [v for v in values if v is not None]
    if not present:
        return {"min": None, "median": None}
    return {"min": round(min(present), 3), "median": round(statistics.median(present), 3)}
