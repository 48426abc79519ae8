"""fan_out: one Delivery per (alert, target), with stable ids."""

from __future__ import annotations

import hashlib

from watchfloor.services.notifier.delivery import delivery_id, fan_out, target_key

from tests.unit.notifier.factories import make_alert, make_secret, make_watchlist

NOW = 1_900_000_000.0


def two_target_watchlist():
    return make_watchlist(
        targets=[
            {"type": "webhook", "url": "https://hooks.example.test/a", "secret": make_secret()},
            {"type": "slack", "url": "https://hooks.slack.example.test/x"},
        ]
    )


def test_one_delivery_per_target() -> None:
    alert = make_alert()
    deliveries = fan_out([alert], [two_target_watchlist()], now=NOW)
    assert [d.target_index for d in deliveries] == [0, 1]
    assert all(d.alert == alert and d.attempt == 1 for d in deliveries)
    assert deliveries[0].first_attempt_at.timestamp() == NOW


def test_ids_are_stable_and_distinct() -> None:
    alert = make_alert()
    first = fan_out([alert], [two_target_watchlist()], now=NOW)
    again = fan_out([alert], [two_target_watchlist()], now=NOW + 60)
    assert [d.id for d in first] == [d.id for d in again]
    assert first[0].id != first[1].id
    assert first[0].id == delivery_id(alert.id, 0)
    assert first[0].id.startswith("msg_") and len(first[0].id) == 28


def test_alert_of_unknown_watchlist_or_no_targets_gives_nothing() -> None:
    alert = make_alert()
    assert fan_out([alert], [], now=NOW) == []
    assert fan_out([alert], [make_watchlist(targets=[])], now=NOW) == []


def test_delivery_never_carries_secrets() -> None:
    secret = make_secret()
    (delivery, _) = fan_out([make_alert()], [two_target_watchlist()], now=NOW)
    assert secret not in delivery.model_dump_json()


def test_target_keys_name_the_target_as_they_always_have() -> None:
    """A retry waiting in Redis carries its target's key: after an upgrade it
    must still find its target, so the key of a URL never changes."""
    webhook, slack = two_target_watchlist().targets

    def key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    assert target_key(webhook) == key("webhook\x1fhttps://hooks.example.test/a")
    assert target_key(slack) == key("slack\x1fhttps://hooks.slack.example.test/x")
