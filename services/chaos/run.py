"""One chaos run: a private Redis (appendonly, appendfsync always), the
three workers as processes (the bench's ``Stack``), a receiver in this
process that verifies every Standard Webhooks signature, a steady load, the
faults one after another, then a drain and the count. The faults that need
a cluster run the same way on a local Redis Cluster (3 masters, 3 replicas)
with the workers in cluster mode on 3 partitions."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchfloor.services.bench.inputs import pool_articles, real_pool, sample_articles
from watchfloor.services.bench.pipeline_run import SECRET, Stack
from watchfloor.services.chaos.expected import distinct_by_content, owed_deliveries
from watchfloor.services.chaos.faults import Fault, Targets
from watchfloor.services.chaos.load import Accepted, SteadyLoad
from watchfloor.services.chaos.report import FaultWindow, Received, combine, summary
from watchfloor.services.classifier.factory import build_classifier
from watchfloor.services.classifier.taxonomy import known_tag_ids
from watchfloor.services.ingest.prepare import prepare_article
from watchfloor.services.receiver import WebhookReceiver
from watchfloor.services.watchlists.configured import watchlist_tags
from watchfloor.services.watchlists.model import load_watchlists
from watchfloor.shared.addresses import AddressPolicy, parse_allowlist
from watchfloor.shared.redis_cluster import LocalRedisCluster
from watchfloor.shared.redis_server import LocalRedisServer
from watchfloor.shared.settings import Settings

RECEIVER_PATH = "/hook"
#: After the last owed delivery, how long to keep listening for a duplicate.
QUIET_S = 3.0
#: The longest wait for a restarted worker to be ready.
READY_TIMEOUT_S = 60.0


#: The cluster the cluster faults run on: this many masters, a replica each.
CLUSTER_MASTERS = 3


@dataclass(frozen=True)
class Plan:
    faults: Sequence[Fault]
    rate: float = 20.0  # articles a second
    warmup_s: float = 5.0
    settle_s: float = 10.0  # after each fault
    drain_timeout_s: float = 120.0
    retry_schedule_s: str = "1,2,4,8,8,8,8,8,8,8,8,8,8,8,8,8,8,8,8,8"
    reclaim_idle_ms: int = 5000
    cluster_partitions: int = 3

    def worker_env(self, cluster: bool) -> dict[str, str]:
        """Chaos settings for the workers: an alert for every article (no story
        throttle, so what is owed does not depend on arrival order), a retry
        schedule that outlasts the faults within minutes, a prompt reclaim;
        on the cluster, cluster mode and partitions."""
        env = {
            "WATCHFLOOR_STORY_ALERT_WINDOW_S": "0",
            "WATCHFLOOR_RETRY_SCHEDULE_S": self.retry_schedule_s,
            "WATCHFLOOR_RECLAIM_IDLE_MS": str(self.reclaim_idle_ms),
            "WATCHFLOOR_MAINTENANCE_INTERVAL_S": "1",
        }
        if cluster:
            env |= {"WATCHFLOOR_REDIS_CLUSTER": "true",
                    "WATCHFLOOR_PARTITIONS": str(self.cluster_partitions)}
        return env

    def articles_needed(self, faults: Sequence[Fault]) -> int:
        seconds = self.warmup_s + sum(f.hold_s + self.settle_s + (15 if f.ready else 5)
                                      for f in faults)
        return int(self.rate * seconds) + 1


def chaos_articles(count: int, tag: str) -> list[dict[str, Any]]:
    """``count`` articles no two of which ingest takes for one: real news
    from ``../shared/data`` when present (read now, never kept), else the samples."""
    items = real_pool()
    if not items:
        return sample_articles(count, 0, tag)
    return distinct_by_content(pool_articles(items, 0, min(count * 2, len(items)), tag))[:count]


def received_from(receiver: WebhookReceiver) -> list[Received]:
    out = []
    for r in list(receiver.requests):  # appended only: a copy is a snapshot
        headers = {k.lower(): v for k, v in r.headers.items()}
        out.append(Received(headers.get("webhook-id"), r.received_at, r.verified, r.status))
    return out


def run(plan: Plan, settings: Settings) -> dict[str, Any]:
    """The faults on a single Redis, then those that need a cluster on a local
    Redis Cluster (when ``redis-cli`` is there to create one); one result."""
    phases: dict[str, dict[str, Any]] = {}
    single = [f for f in plan.faults if not f.on_cluster]
    on_cluster = [f for f in plan.faults if f.on_cluster]
    if single:
        phases["single_redis"] = _phase(plan, single, settings, cluster=False)
    skipped = None
    if on_cluster:
        skipped = cluster_unavailable()
        if skipped is None:
            phases["cluster"] = _phase(plan, on_cluster, settings, cluster=True)
    result = combine(phases)
    cluster_note = None
    if on_cluster:
        cluster_note = skipped or (f"{CLUSTER_MASTERS} masters + {CLUSTER_MASTERS} replicas, "
                                   f"{plan.cluster_partitions} partitions")
    result["settings"] = {
        "redis": "appendonly yes, appendfsync always",
        "cluster": cluster_note,
        "retry_schedule_s": plan.retry_schedule_s,
        "reclaim_idle_ms": plan.reclaim_idle_ms,
    }
    return result


def cluster_unavailable() -> str | None:
    """Why the cluster faults cannot run here, or None."""
    if shutil.which("redis-cli") is None:
        return "skipped: redis-cli is not on PATH (it creates the cluster)"
    return None


@contextlib.contextmanager
def _redis(workdir: Path, cluster: bool) -> Iterator[LocalRedisServer | LocalRedisCluster]:
    if cluster:
        with LocalRedisCluster(workdir / "cluster", masters=CLUSTER_MASTERS, persist=True) as nodes:
            yield nodes
    else:
        with LocalRedisServer(workdir / "redis", persist=True, fsync_always=True) as server:
            yield server


def _phase(plan: Plan, faults: Sequence[Fault], settings: Settings, *,
           cluster: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="watchfloor-chaos-") as tmp, \
            contextlib.ExitStack() as cleanup:
        workdir = Path(tmp)
        prefix = f"chaos-{int(time.time())}"
        articles = chaos_articles(plan.articles_needed(faults), prefix)
        redis = cleanup.enter_context(_redis(workdir, cluster))
        receiver = cleanup.enter_context(WebhookReceiver(secrets={RECEIVER_PATH: SECRET}))
        cleanup.callback(receiver.answer)  # let held requests go before the workers stop
        stack = Stack(redis.url, prefix, receiver, workdir, sorted(known_tag_ids()),
                      extra_env=plan.worker_env(cluster))
        cleanup.callback(stack.stop)
        stack.wait_ready()
        load = SteadyLoad(stack.url, articles, plan.rate).start()
        cleanup.callback(load.stop)
        started = time.time()
        time.sleep(plan.warmup_s)
        windows = []
        for fault in faults:
            windows.append(_inject(fault, Targets(stack, redis, receiver)))
            time.sleep(plan.settle_s)
        record = load.stop()
        owed = _owed(stack, record.accepted, articles, settings)
        _drain(receiver, owed, plan.drain_timeout_s)
        result = summary(
            articles_in=len(record.accepted), owed=owed, received=received_from(receiver),
            windows=windows, accepted_at={a.article_id: a.accepted_at for a in record.accepted},
            started=started)
        result["load"] = {"rate_per_s": plan.rate, "post_retries": record.retries,
                          "not_accepted": record.given_up,
                          "input_duplicates": len(record.input_duplicates)}
        result["seconds"] = round(time.time() - started, 1)
        if not result["passed"]:
            result["worker_logs"] = stack.log_tails(600)
            repeated = [d["webhook_id"] for d in result["duplicate_ids"]]
            if repeated:
                result["duplicate_logs"] = stack.log_lines_with(repeated)
        return result


def _inject(fault: Fault, targets: Targets) -> FaultWindow:
    began = time.time()
    detail = fault.begin(targets)
    struck = time.time()
    time.sleep(fault.hold_s)
    detail |= fault.end(targets)
    ended = time.time()
    if fault.ready is not None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not fault.ready(targets) and time.monotonic() < deadline:
            time.sleep(0.05)
        detail["ready_s"] = round(time.time() - ended, 2)
    return FaultWindow(fault.name, began, ended, detail, struck=struck)


def _owed(stack: Stack, accepted: list[Accepted], articles: list[dict[str, Any]],
          settings: Settings) -> dict[str, str]:
    """The deliveries owed for the accepted articles (classified here, offline)."""
    prepared = {a.id: a for a in map(prepare_article, articles)}
    watchlists = load_watchlists(stack.watchlists_file, env={},
                                 known_tags=watchlist_tags(settings),
                                 addresses=AddressPolicy(parse_allowlist("127.0.0.1/32")))
    return owed_deliveries([prepared[a.article_id] for a in accepted], watchlists,
                           build_classifier(settings))


def _drain(receiver: WebhookReceiver, owed: dict[str, str], timeout: float) -> None:
    """Until every owed delivery arrived (or ``timeout``), then ``QUIET_S`` more."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if set(owed) <= {r.webhook_id for r in received_from(receiver) if r.delivered}:
            break
        time.sleep(0.5)
    time.sleep(QUIET_S)
