"""The Prometheus pages follow the conventions a Prometheus user relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import Histogram
from prometheus_client.parser import text_string_to_metric_families
from watchfloor.shared.streams.metrics import (
    COUNTERS,
    observe_latency,
    render_metrics,
    render_process_metrics,
)

COUNTER_HASH = {
    "ingested": 7, "duplicates": 2, "classified": 7, "alerts": 3, "alerts_throttled": 1,
    "delivered": 2, "delivery_failed": 3, "delivery_failed:http_400": 1,
    "delivery_failed:timeout": 1, "delivery_retried": 4, "delivery_retried:http_503": 4,
    "dead_letters": 1, "something_new": 5,
}


def status(counters=None):
    return {
        "prefix": "wf",
        "streams": {
            "wf:articles": {"length": 5, "groups": [
                {"name": "classifier", "lag": 3, "pending": 2, "consumers": [{"name": "a"}]}]},
            "wf:classified": {"length": 0, "groups": [
                {"name": "notifier", "lag": None, "pending": 0, "consumers": []}]},
        },
        "dead_letters": 1, "retries_scheduled": 4, "failed_deliveries": 3, "delivered": 2,
        "metrics": COUNTER_HASH if counters is None else counters,
    }


def families(text: bytes) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text.decode())}


def samples(family) -> dict:
    return {tuple(sorted(s.labels.items())): s.value for s in family.samples
            if s.name.endswith("_total")}


def test_pipeline_metrics_parse_and_every_counter_ends_in_total():
    text = render_metrics(status())
    parsed = families(text)
    counters = [f for f in parsed.values() if f.type == "counter"]
    assert counters
    for family in counters:
        assert all(s.name == family.name + "_total" for s in family.samples
                   if not s.name.endswith("_created")), family.name
    assert b"# TYPE watchfloor_articles_ingested_total counter" in text


def test_one_counter_per_thing_counted_with_reasons_as_labels():
    parsed = families(render_metrics(status()))
    assert samples(parsed["watchfloor_deliveries_failed"]) == {
        (("reason", "http_400"),): 1.0, (("reason", "timeout"),): 1.0,
        (("reason", "unspecified"),): 1.0}  # the total is never lost nor doubled
    assert samples(parsed["watchfloor_deliveries_retried"]) == {(("reason", "http_503"),): 4.0}
    assert samples(parsed["watchfloor_alerts"]) == {(): 3.0}
    assert samples(parsed["watchfloor_alerts_throttled"]) == {(): 1.0}
    assert samples(parsed["watchfloor_articles_ingested"]) == {(): 7.0}
    assert samples(parsed["watchfloor_something_new"]) == {(): 5.0}


def test_no_metric_carries_an_event_in_a_label():
    parsed = families(render_metrics(status()))
    events = set(COUNTER_HASH) | set(COUNTERS)
    for family in parsed.values():
        for sample in family.samples:
            assert "event" not in sample.labels
            if family.type == "counter":
                assert not any(":" in v or v in events for v in sample.labels.values()), sample


def test_lag_and_pending_are_gauges_per_stream_and_group():
    parsed = families(render_metrics(status()))
    lag = parsed["watchfloor_group_lag_entries"]
    assert lag.type == "gauge"
    assert [(s.labels, s.value) for s in lag.samples] == [
        ({"stream": "articles", "group": "classifier"}, 3.0)]  # unknown lag: no sample
    pending = {s.labels["group"]: s.value for s in parsed["watchfloor_group_pending_entries"].samples}
    assert pending == {"classifier": 2.0, "notifier": 0.0}
    assert parsed["watchfloor_retry_scheduled_deliveries"].samples[0].value == 4.0


def test_latency_histograms_in_seconds_never_negative():
    histogram = Histogram("test_latency_seconds", "test", registry=None)
    ingested = datetime(2030, 1, 1, tzinfo=UTC)
    observe_latency(histogram, ingested, ingested + timedelta(seconds=2))
    observe_latency(histogram, ingested, ingested - timedelta(seconds=1))  # skewed clocks
    observe_latency(histogram, ingested.replace(tzinfo=None), ingested.timestamp() + 1)
    (family,) = histogram.collect()
    values = {s.name: s.value for s in family.samples if not s.labels}
    assert values["test_latency_seconds_count"] == 3 and values["test_latency_seconds_sum"] == 3.0


def test_process_metrics_declare_the_histograms():
    parsed = families(render_process_metrics())
    for name in ("watchfloor_ingest_to_classified_seconds", "watchfloor_ingest_to_alert_seconds",
                 "watchfloor_ingest_to_delivered_seconds",
                 "watchfloor_webhook_request_duration_seconds"):
        assert parsed[name].type == "histogram"
    assert not any(name.startswith("watchfloor_group_") for name in parsed)  # pipeline-wide: not here


def test_every_known_counter_is_there_from_the_start_at_zero():
    # before: a counter appeared at its first increment, so rate() and
    # increase() missed it and dashboards showed "No data"
    parsed = families(render_metrics(status(counters={"ingested": 3})))
    assert samples(parsed["watchfloor_articles_ingested"]) == {(): 3.0}
    assert samples(parsed["watchfloor_alerts_throttled"]) == {(): 0.0}
    assert samples(parsed["watchfloor_deliveries_failed"]) == {(("reason", "unspecified"),): 0.0}
    for short, _ in COUNTERS.values():
        assert f"watchfloor_{short}" in parsed, short
