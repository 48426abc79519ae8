"""Prometheus metrics, in two kinds that are never mixed on one page.

**Pipeline metrics** (``render_metrics``, the ingest API's ``GET /metrics``)
are read from Redis, the only shared state: stream lengths, per-group lag
and pending entries, consumers, dead letters, scheduled retries, and the
counters every worker increments in one Redis hash. Every process would
report the same values, so they are served from one place only — scrape the
ingest API once (through its Service), and aggregate them with ``max``,
never ``sum``, should two targets ever report them.

The hash keeps one field per thing counted, and a ``<thing>:<reason>`` field
beside it for each reason (``delivery_failed`` and
``delivery_failed:http_410``). Rendering turns them into one counter per
thing (``watchfloor_deliveries_failed_total``) with the reason as a label,
so summing over a counter's labels never counts an event twice.

**Process metrics** (``render_process_metrics``, ``GET /metrics`` on each
worker's health port) are this process's own: latency histograms observed
where the timestamps are at hand (``observe_latency``), the webhook request
durations, and prometheus_client's process and Python collectors. Sum them
across replicas.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from watchfloor.shared.keys import short_name
from watchfloor.shared.streams.workers import PARTS

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: Redis counter field -> (metric name, without ``watchfloor_`` and ``_total``; help).
#: Fields not listed get a name derived from the field itself.
COUNTERS: dict[str, tuple[str, str]] = {
    "ingested": ("articles_ingested", "Articles published to the articles stream"),
    "duplicates": ("articles_duplicate", "Articles not published: already seen by id or content"),
    "rejected": ("articles_rejected", "Input articles refused as invalid"),
    "classified": ("articles_classified", "Articles classified"),
    "alerts": ("alerts", "Alerts raised (after the story throttle and silences)"),
    "alerts_throttled": ("alerts_throttled", "Alerts held back: their story already alerted"),
    "alerts_silenced": ("alerts_silenced", "Alerts dropped by a silence"),
    "delivered": ("deliveries_delivered", "Deliveries a target accepted"),
    "delivery_failed": ("deliveries_failed", "Deliveries given up (permanent or exhausted)"),
    "delivery_retried": ("deliveries_retried", "Delivery attempts to be tried again"),
    "delivery_parked": ("deliveries_parked", "Deliveries sent back to wait: their target's lane was full"),
    "delivery_handed_back": ("deliveries_handed_back",
                             "Deliveries handed back unsent (shutdown, or a lease too short)"),
    "delivery_held": ("deliveries_held", "Deliveries held: their target is paused"),
    "delivery_rate_limited": ("deliveries_rate_limited",
                              "Deliveries sent back to wait: over their target's rate_per_s"),
    "dead_letters": ("dead_letters", "Stream entries moved to the dead-letter stream"),
    "feed_polls": ("feed_polls", "Feed fetches attempted"),
    "feed_items_new": ("feed_items_new", "New articles found in feeds"),
    "feed_errors": ("feed_errors", "Feed fetches that failed"),
}
#: Reason label of the part of a total that no ``<thing>:<reason>`` field explains.
UNSPECIFIED = "unspecified"
#: Counted with a reason each (``delivery_failed:http_410``): a label.
BY_REASON = frozenset({"delivery_failed", "delivery_retried"})

# Latency from seconds to the longest retry schedule (an hour and more).
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                     60.0, 300.0, 900.0, 3600.0, 14400.0)
REQUEST_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

INGEST_TO_CLASSIFIED = Histogram(
    "watchfloor_ingest_to_classified_seconds",
    "From an article's ingestion to its classification",
    buckets=LATENCY_BUCKETS_S,
)
INGEST_TO_ALERT = Histogram(
    "watchfloor_ingest_to_alert_seconds",
    "From an article's ingestion to an alert raised on it",
    buckets=LATENCY_BUCKETS_S,
)
INGEST_TO_DELIVERED = Histogram(
    "watchfloor_ingest_to_delivered_seconds",
    "From an article's ingestion to a target accepting an alert on it (retries included)",
    buckets=LATENCY_BUCKETS_S,
)
WEBHOOK_REQUEST = Histogram(
    "watchfloor_webhook_request_duration_seconds",
    "One delivery attempt to a target, by target type and outcome (delivered, retry, give_up)",
    ["target_type", "outcome"],
    buckets=REQUEST_BUCKETS_S,
)


def observe_latency(histogram: Histogram, since: datetime, now: float | datetime) -> None:
    """Observe ``now - since`` in seconds (never below 0: hosts' clocks differ)."""
    end = now.timestamp() if isinstance(now, datetime) else now
    start = (since if since.tzinfo else since.replace(tzinfo=UTC)).timestamp()
    histogram.observe(max(0.0, end - start))


def _metric_name(field: str) -> str:
    return "watchfloor_" + re.sub(r"[^a-zA-Z0-9_]", "_", field).strip("_").lower()


def counter_families(counters: Mapping[str, int]) -> list[CounterMetricFamily]:
    """The Redis counter hash as one counter per thing counted, reasons as labels."""
    totals: dict[str, int] = {}
    reasons: dict[str, dict[str, int]] = {}
    for field, value in counters.items():
        thing, sep, reason = field.partition(":")
        if sep:
            reasons.setdefault(thing, {})[reason] = int(value)
        else:
            totals[thing] = int(value)
    # every known counter from the start, at 0: a series first seen at 1 is
    # missed by rate() and increase(), and a dashboard shows "No data"
    for thing in COUNTERS.keys() - totals.keys() - reasons.keys():
        if thing in BY_REASON:
            reasons[thing] = {UNSPECIFIED: 0}
        else:
            totals[thing] = 0
    families = []
    for thing in sorted(totals.keys() | reasons.keys()):
        short, help_text = COUNTERS.get(thing, (thing, f"Pipeline counter {thing!r}"))
        name = _metric_name(short)
        by_reason = reasons.get(thing)
        if by_reason is None:
            family = CounterMetricFamily(name, help_text, value=totals[thing])
        else:
            family = CounterMetricFamily(name, f"{help_text}, by reason", labels=["reason"])
            unexplained = totals.get(thing, 0) - sum(by_reason.values())
            if unexplained > 0:
                by_reason = by_reason | {UNSPECIFIED: by_reason.get(UNSPECIFIED, 0) + unexplained}
            for reason, value in sorted(by_reason.items()):
                family.add_metric([reason], value)
        families.append(family)
    return families


class _Snapshot(Collector):
    def __init__(self, status: dict[str, Any]) -> None:
        self.status = status

    def collect(self) -> Iterator[Metric]:
        prefix = self.status["prefix"]
        length = GaugeMetricFamily("watchfloor_stream_entries", "Entries in a stream",
                                   labels=["stream"])
        lag = GaugeMetricFamily("watchfloor_group_lag_entries",
                                "Entries a consumer group has not read yet",
                                labels=["stream", "group"])
        pending = GaugeMetricFamily("watchfloor_group_pending_entries",
                                    "Entries a consumer group read but has not acknowledged",
                                    labels=["stream", "group"])
        consumers = GaugeMetricFamily("watchfloor_group_consumers", "Consumers in a group",
                                      labels=["stream", "group"])
        for stream, info in self.status["streams"].items():
            short = short_name(stream, prefix)
            length.add_metric([short], info["length"])
            for group in info["groups"]:
                if group["lag"] is not None:
                    lag.add_metric([short, group["name"]], group["lag"])
                pending.add_metric([short, group["name"]], group["pending"])
                consumers.add_metric([short, group["name"]], len(group["consumers"]))
        yield from (length, lag, pending, consumers)
        workers = GaugeMetricFamily(
            "watchfloor_workers", "Worker processes recorded in the last day, by part and "
            "state (silent: not seen for three maintenance intervals)", labels=["part", "state"])
        # zeros too: "no classifier running" is a rule on a value, not on absent()
        by_state = {(part, state): 0 for part in PARTS for state in ("running", "silent")}
        for w in self.status.get("workers", []):
            for part in w["parts"]:
                key = (part, "silent" if w["silent"] else "running")
                by_state[key] = by_state.get(key, 0) + 1
        for (part, state), count in sorted(by_state.items()):
            workers.add_metric([part, state], count)
        yield workers
        for name, key, help_text in (
            ("dead_letter_entries", "dead_letters", "Entries in the dead-letter stream"),
            ("retry_scheduled_deliveries", "retries_scheduled", "Deliveries waiting for a retry"),
            ("failed_delivery_entries", "failed_deliveries",
             "Deliveries given up, kept for inspection and replay (bounded)"),
            ("targets_paused", "targets_paused",
             "Targets paused after failing every attempt for TARGET_PAUSE_AFTER_S"),
        ):
            yield GaugeMetricFamily(f"watchfloor_{name}", help_text,
                                    value=self.status.get(key, 0))
        yield from counter_families(self.status["metrics"])


def render_metrics(status: dict[str, Any]) -> bytes:
    """The pipeline metrics of a ``pipeline_status`` snapshot."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(status))
    return generate_latest(registry)


def render_process_metrics() -> bytes:
    """This process's metrics: histograms, process and Python collectors."""
    return generate_latest(REGISTRY)
