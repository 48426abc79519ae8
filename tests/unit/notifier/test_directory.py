"""TargetDirectory: a delivery's target by name, as configured now; schema 1
deliveries (written before names) matched and upgraded, or failed clearly."""

from __future__ import annotations

import hashlib

from watchfloor.services.notifier.delivery import fan_out
from watchfloor.services.notifier.directory import (
    TARGET_REMOVED,
    UNKNOWN_TARGET,
    Missing,
    TargetDirectory,
    legacy_target_key,
)
from watchfloor.shared.schemas import Delivery

from tests.unit.notifier.factories import make_alert, make_secret, make_watchlist

NOW = 1_900_000_000.0
HOOK = "https://hooks.example.test/a"
SLACK = "https://hooks.slack.example.test/x"


def watchlist(hook: str = HOOK, slack: str = SLACK, *, secret: int = 1):
    return make_watchlist(targets=[
        {"type": "webhook", "url": hook, "secret": make_secret(secret)},
        {"type": "slack", "url": slack},
    ])


def schema1(index: int, key: str | None) -> Delivery:
    """A delivery as the notifier wrote it before targets had names."""
    webhook = fan_out([make_alert()], [watchlist()], now=NOW)[0]
    data = webhook.model_dump(mode="json", exclude={"target_name"})
    data.update(schema_version=1, id="msg_old", target_index=index, target_key=key)
    return Delivery.model_validate(data)


def test_a_delivery_finds_its_target_as_configured_now() -> None:
    delivery = fan_out([make_alert()], [watchlist()], now=NOW)[0]
    fixed = watchlist("https://hooks.example.test/fixed", secret=2)
    directory = TargetDirectory([fixed])

    assert directory.resolve(delivery) is delivery
    target = directory.get(delivery.alert.watchlist_id, delivery.target_name)
    assert target is fixed.targets[0] and target.url.endswith("/fixed")


def test_a_removed_target_or_watchlist_is_target_removed() -> None:
    webhook, slack = fan_out([make_alert()], [watchlist()], now=NOW)
    only_webhook = make_watchlist(targets=[{"type": "webhook", "url": HOOK, "secret": make_secret()}])
    assert TargetDirectory([only_webhook]).resolve(slack) == Missing(TARGET_REMOVED)
    assert TargetDirectory([]).resolve(webhook) == Missing(TARGET_REMOVED)


def test_schema1_key_finds_the_target_by_type_and_url_and_upgrades_it() -> None:
    """The key of a URL never changed: entries queued before the upgrade find it."""
    key = hashlib.sha256(f"slack\x1f{SLACK}".encode()).hexdigest()[:16]
    assert legacy_target_key(watchlist().targets[1]) == key
    # the targets were reordered since: the key still finds the Slack one
    reordered = make_watchlist(targets=list(reversed(watchlist().targets)))

    upgraded = TargetDirectory([reordered]).resolve(schema1(1, key))

    assert isinstance(upgraded, Delivery)
    assert upgraded.schema_version == 2 and upgraded.target_name == "slack-1"
    assert upgraded.id == "msg_old"  # the receivers' webhook-id does not change
    assert upgraded.target_index is None and upgraded.target_key is None


def test_schema1_without_key_goes_by_place() -> None:
    upgraded = TargetDirectory([watchlist()]).resolve(schema1(1, None))
    assert isinstance(upgraded, Delivery) and upgraded.target_name == "slack-1"
    assert TargetDirectory([watchlist()]).resolve(schema1(5, None)) == Missing(UNKNOWN_TARGET)


def test_schema1_whose_url_changed_fails_as_unknown_target() -> None:
    key = legacy_target_key(watchlist().targets[0])
    edited = watchlist("https://hooks.example.test/fixed")
    assert TargetDirectory([edited]).resolve(schema1(0, key)) == Missing(UNKNOWN_TARGET)
    assert TargetDirectory([]).resolve(schema1(0, key)) == Missing(TARGET_REMOVED)


def test_schema_versions_must_name_their_target() -> None:
    delivery = fan_out([make_alert()], [watchlist()], now=NOW)[0]
    data = delivery.model_dump(mode="json")
    for bad in ({"target_name": None}, {"schema_version": 1}, {"schema_version": 3}):
        try:
            Delivery.model_validate({**data, **bad})
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad}")
