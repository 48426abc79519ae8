"""Prometheus exposition of the pipeline's state, read from Redis.

Redis is the only shared state, so any process can report for the whole
pipeline: stream lengths, per-group lag and pending entries, consumers,
dead letters, scheduled retries and the counters every worker increments.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Snapshot(Collector):
    def __init__(self, status: dict[str, Any]) -> None:
        self.status = status

    def collect(self):  # type: ignore[no-untyped-def]
        prefix = self.status["prefix"]
        length = GaugeMetricFamily("watchfloor_stream_length", "Entries in a stream", labels=["stream"])
        lag = GaugeMetricFamily("watchfloor_group_lag", "Entries not yet read by a group",
                                labels=["stream", "group"])
        pending = GaugeMetricFamily("watchfloor_group_pending", "Read but not acknowledged",
                                    labels=["stream", "group"])
        consumers = GaugeMetricFamily("watchfloor_group_consumers", "Consumers in a group",
                                      labels=["stream", "group"])
        for stream, info in self.status["streams"].items():
            short = stream.removeprefix(prefix + ":")
            length.add_metric([short], info["length"])
            for group in info["groups"]:
                if group["lag"] is not None:
                    lag.add_metric([short, group["name"]], group["lag"])
                pending.add_metric([short, group["name"]], group["pending"])
                consumers.add_metric([short, group["name"]], len(group["consumers"]))
        yield from (length, lag, pending, consumers)
        for name, help_text in (
            ("dead_letters", "Entries in the dead-letter stream"),
            ("retries_scheduled", "Deliveries waiting for a retry"),
            ("failed_deliveries", "Deliveries given up (permanent or exhausted)"),
        ):
            yield GaugeMetricFamily(f"watchfloor_{name}", help_text, value=self.status[name])
        events = CounterMetricFamily("watchfloor_events", "Pipeline counters (ingested, "
                                     "duplicates, classified, alerts, delivered, ...)",
                                     labels=["event"])
        for event, value in sorted(self.status["metrics"].items()):
            events.add_metric([event], value)
        yield events


def render_metrics(status: dict[str, Any]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(status))
    return generate_latest(registry)
