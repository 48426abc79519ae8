"""fan_out: one Delivery per (alert, target), naming the target, with stable ids."""

from __future__ import annotations

from watchfloor.services.notifier.delivery import delivery_id, fan_out

from tests.unit.notifier.factories import make_alert, make_secret, make_watchlist

NOW = 1_900_000_000.0


def two_target_watchlist(**webhook: str):
    return make_watchlist(
        targets=[
            {"type": "webhook", "url": "https://hooks.example.test/a", "secret": make_secret(),
             **webhook},
            {"type": "slack", "url": "https://hooks.slack.example.test/x"},
        ]
    )


def test_one_delivery_per_target_naming_it() -> None:
    alert = make_alert()
    deliveries = fan_out([alert], [two_target_watchlist()], now=NOW)
    assert [d.target_name for d in deliveries] == ["webhook-1", "slack-1"]
    assert all(d.schema_version == 2 and d.target_index is None for d in deliveries)
    assert all(d.alert == alert and d.attempt == 1 for d in deliveries)
    assert deliveries[0].first_attempt_at.timestamp() == NOW


def test_a_named_target_is_named_by_its_name() -> None:
    (named, _) = fan_out([make_alert()], [two_target_watchlist(name="duty-desk")], now=NOW)
    assert named.target_name == "duty-desk"


def test_ids_are_stable_and_distinct() -> None:
    alert = make_alert()
    first = fan_out([alert], [two_target_watchlist()], now=NOW)
    again = fan_out([alert], [two_target_watchlist()], now=NOW + 60)
    assert [d.id for d in first] == [d.id for d in again]
    assert first[0].id != first[1].id
    assert first[0].id == delivery_id(alert.id, "webhook-1")
    assert first[0].id.startswith("msg_") and len(first[0].id) == 28


def test_ids_do_not_change_with_the_url_or_secret() -> None:
    alert = make_alert()
    before = fan_out([alert], [two_target_watchlist()], now=NOW)
    after = fan_out([alert], [two_target_watchlist(url="https://hooks.example.test/fixed",
                                                   secret=make_secret(7))], now=NOW)
    assert [d.id for d in before] == [d.id for d in after]


def test_alert_of_unknown_watchlist_or_no_targets_gives_nothing() -> None:
    alert = make_alert()
    assert fan_out([alert], [], now=NOW) == []
    assert fan_out([alert], [make_watchlist(targets=[])], now=NOW) == []


def test_delivery_never_carries_secrets_nor_urls() -> None:
    secret = make_secret()
    (delivery, slack) = fan_out([make_alert()], [two_target_watchlist()], now=NOW)
    text = delivery.model_dump_json() + slack.model_dump_json()
    assert secret not in text and "hooks." not in text
