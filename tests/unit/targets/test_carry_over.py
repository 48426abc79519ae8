"""A PUT that sends back what the API showed keeps the stored secrets: per
type, each matched its own way, and nothing is invented for a new target."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from watchfloor.services.targets import carry_over
from watchfloor.services.targets.base import TargetConfig
from watchfloor.services.watchlists.model import Watchlist

from tests.unit.notifier.factories import make_secret

SECRET = make_secret(1)
OTHER = make_secret(2)
HOOK = "https://hooks.example.test/in?token=harbourwatch3K"
MASKED_HOOK = "https://hooks.example.test/in?token=***"
SLACK_A = "https://hooks.slack.example.test/services/T1/B1/aaaa"
SLACK_B = "https://hooks.slack.example.test/services/T1/B2/bbbb"


def stored(*targets: dict[str, Any]) -> list[TargetConfig]:
    return Watchlist.model_validate({"id": "w", "name": "W", "targets": list(targets)}).targets


STORED = stored(
    {"type": "slack", "url": SLACK_A},
    {"type": "webhook", "url": HOOK, "secret": SECRET},
    {"type": "slack", "url": SLACK_B},
)


# --- webhook: by URL ------------------------------------------------------------


def test_a_webhook_shown_masked_gets_its_real_url_and_secret() -> None:
    sent = [{"type": "webhook", "url": MASKED_HOOK, "secret_set": True}]
    assert carry_over(sent, STORED) == [{"type": "webhook", "url": HOOK, "secret": SECRET}]


def test_a_webhook_with_its_real_url_gets_its_secret() -> None:
    assert carry_over([{"type": "webhook", "url": HOOK}], STORED) == [
        {"type": "webhook", "url": HOOK, "secret": SECRET}
    ]


def test_a_webhook_with_a_new_url_gets_no_secret() -> None:
    sent = [{"type": "webhook", "url": "https://elsewhere.example.test/in"}]
    assert carry_over(sent, STORED) == sent


def test_a_webhook_secret_sent_is_kept() -> None:
    sent = [{"type": "webhook", "url": HOOK, "secret": OTHER}]
    assert carry_over(sent, STORED) == sent


def test_a_new_secret_with_the_masked_url_keeps_the_real_url() -> None:
    # a secret rotated by editing only the secret of what the API showed
    sent = [{"type": "webhook", "url": MASKED_HOOK, "secret": OTHER}]
    assert carry_over(sent, STORED) == [{"type": "webhook", "url": HOOK, "secret": OTHER}]


def test_a_masked_url_that_matches_no_stored_target_is_refused() -> None:
    sent = carry_over([{"type": "webhook", "url": MASKED_HOOK, "secret": OTHER}], [])
    with pytest.raises(ValidationError, match=r"holds \*\*\* where the API hid a credential"):
        Watchlist.model_validate({"id": "w", "name": "W", "targets": sent})


def test_a_webhook_url_that_is_not_text_is_left_for_validation() -> None:
    sent = [{"type": "webhook", "url": ["not", "a", "url"]}]
    assert carry_over(sent, STORED) == sent


# Two webhooks that look the same once their credentials are hidden: put
# back as read, each must keep its own URL and secret (the later one's were
# once given to both, and one target's alerts went to the other).
OPS = "https://hooks.example.test/in?token=opsDesk7"
INTEL = "https://hooks.example.test/in?token=intelDesk9"
ALICE = "https://alice:pw-one@hooks.example.test/a"
BOB = "https://bob:pw-two@hooks.example.test/a"


def test_named_webhooks_with_the_same_masked_url_keep_their_own_secrets() -> None:
    twins = stored({"type": "webhook", "name": "ops", "url": OPS, "secret": SECRET},
                   {"type": "webhook", "name": "intel", "url": INTEL, "secret": OTHER})
    sent = [{"type": "webhook", "name": "ops", "url": MASKED_HOOK, "secret_set": True},
            {"type": "webhook", "name": "intel", "url": MASKED_HOOK, "secret_set": True}]
    assert carry_over(sent, twins) == [
        {"type": "webhook", "name": "ops", "url": OPS, "secret": SECRET},
        {"type": "webhook", "name": "intel", "url": INTEL, "secret": OTHER},
    ]


def test_unnamed_webhooks_with_the_same_masked_url_go_by_place() -> None:
    twins = stored({"type": "webhook", "url": ALICE, "secret": SECRET},
                   {"type": "webhook", "url": BOB, "secret": OTHER})
    masked = "https://***@hooks.example.test/a"
    sent = [{"type": "webhook", "url": masked}, {"type": "webhook", "url": masked}]
    assert carry_over(sent, twins) == [
        {"type": "webhook", "url": ALICE, "secret": SECRET},
        {"type": "webhook", "url": BOB, "secret": OTHER},
    ]


def test_a_masked_url_that_could_be_either_of_two_targets_gets_no_secret() -> None:
    twins = stored({"type": "webhook", "name": "ops", "url": OPS, "secret": SECRET},
                   {"type": "webhook", "name": "intel", "url": INTEL, "secret": OTHER})
    sent = [{"type": "webhook", "name": "new-desk", "url": MASKED_HOOK}]
    assert carry_over(sent, twins) == sent


def test_alertmanager_targets_with_the_same_masked_url_keep_their_own_credentials() -> None:
    twins = stored(
        {"type": "alertmanager", "name": "am-a", "url": "https://am.example.test/?token=a1",
         "username": "a", "password": "pass-a"},
        {"type": "alertmanager", "name": "am-b", "url": "https://am.example.test/?token=b2",
         "username": "b", "password": "pass-b"},
    )
    sent = [{"type": "alertmanager", "name": n, "url": "https://am.example.test/?token=***",
             "username": u, "password_set": True} for n, u in (("am-a", "a"), ("am-b", "b"))]
    restored = carry_over(sent, twins)
    assert [(t["url"], t["password"]) for t in restored] == [
        ("https://am.example.test/?token=a1", "pass-a"),
        ("https://am.example.test/?token=b2", "pass-b"),
    ]


# --- slack: by the name a target goes by (its own, else by place) -------------------


def test_slack_targets_get_their_urls_by_place_among_slack_targets() -> None:
    sent = [
        {"type": "webhook", "url": HOOK, "secret": OTHER},
        {"type": "slack", "url_set": True},
        {"type": "slack", "url_set": True},
    ]
    assert carry_over(sent, STORED)[1:] == [
        {"type": "slack", "url": SLACK_A},
        {"type": "slack", "url": SLACK_B},
    ]


def test_a_slack_target_beyond_the_stored_ones_gets_no_url() -> None:
    sent = [{"type": "slack"}, {"type": "slack"}, {"type": "slack"}]
    assert carry_over(sent, STORED)[2] == {"type": "slack"}


def test_a_slack_url_sent_is_kept() -> None:
    new = "https://hooks.slack.example.test/services/T1/B9/new"
    assert carry_over([{"type": "slack", "url": new}], STORED) == [{"type": "slack", "url": new}]


NAMED_SLACK = stored(
    {"type": "slack", "name": "ops", "url": SLACK_A},
    {"type": "slack", "name": "intel", "url": SLACK_B},
)


def test_a_named_slack_target_kept_after_another_is_removed_keeps_its_own_url() -> None:
    # before: "intel", now first among the Slack targets, got the URL of the
    # removed "ops" channel, and its alerts went there
    sent = [{"type": "slack", "name": "intel", "url_set": True}]
    assert carry_over(sent, NAMED_SLACK) == [{"type": "slack", "name": "intel", "url": SLACK_B}]


def test_named_slack_targets_reordered_keep_their_own_urls() -> None:
    sent = [{"type": "slack", "name": n, "url_set": True} for n in ("intel", "ops")]
    assert [t["url"] for t in carry_over(sent, NAMED_SLACK)] == [SLACK_B, SLACK_A]


def test_a_new_name_or_an_unnamed_target_in_a_named_ones_place_gets_no_url() -> None:
    sent = [{"type": "slack"}, {"type": "slack", "name": "watch", "url_set": True}]
    assert carry_over(sent, NAMED_SLACK) == [{"type": "slack"}, {"type": "slack", "name": "watch"}]


def test_a_slack_target_named_by_its_default_name_gets_that_url() -> None:
    sent = [{"type": "slack", "name": "slack-2", "url_set": True}]
    assert carry_over(sent, STORED) == [{"type": "slack", "name": "slack-2", "url": SLACK_B}]


# --- alertmanager: the sign-in given replaces the stored one ------------------------


AM_URL = "https://am.example.test/"


def test_alertmanager_switching_from_a_token_to_a_password_drops_the_token() -> None:
    with_token = stored({"type": "alertmanager", "url": AM_URL, "token": "tok-abcdef"})
    sent = [{"type": "alertmanager", "url": AM_URL, "username": "am", "password": "pw-123"}]
    assert carry_over(sent, with_token) == sent  # before: the token came back, 422 "not both"


def test_alertmanager_switching_from_a_password_to_a_token_drops_the_password() -> None:
    with_password = stored({"type": "alertmanager", "url": AM_URL, "username": "am",
                            "password": "pw-123"})
    sent = [{"type": "alertmanager", "url": AM_URL, "token": "tok-abcdef"}]
    assert carry_over(sent, with_password) == sent


def test_alertmanager_sent_back_as_shown_keeps_its_sign_in() -> None:
    with_token = stored({"type": "alertmanager", "url": AM_URL, "token": "tok-abcdef"})
    assert carry_over([{"type": "alertmanager", "url": AM_URL, "token_set": True}],
                      with_token) == [{"type": "alertmanager", "url": AM_URL,
                                       "token": "tok-abcdef"}]
    with_password = stored({"type": "alertmanager", "url": AM_URL, "username": "am",
                            "password": "pw-123"})
    assert carry_over([{"type": "alertmanager", "url": AM_URL, "username": "am",
                        "password_set": True}], with_password)[0]["password"] == "pw-123"


def test_alertmanager_password_stays_with_its_username() -> None:
    with_password = stored({"type": "alertmanager", "url": AM_URL, "username": "am",
                            "password": "pw-123"})
    sent = [{"type": "alertmanager", "url": AM_URL, "username": "someone-else"}]
    assert carry_over(sent, with_password) == sent


# --- everything else ------------------------------------------------------------


def test_markers_are_dropped_and_what_is_no_known_target_passes_through() -> None:
    sent: list[Any] = ["junk", {"type": "pager", "secret_set": True, "to": "x"}, {"url_set": True}]
    assert carry_over(sent, STORED) == ["junk", {"type": "pager", "to": "x"}, {}]


def test_nothing_is_restored_without_a_stored_watchlist() -> None:
    sent = [{"type": "webhook", "url": HOOK}, {"type": "slack"}]
    assert carry_over(sent, []) == sent


def test_the_body_sent_is_not_changed() -> None:
    sent = [{"type": "webhook", "url": MASKED_HOOK, "secret_set": True}, {"type": "slack"}]
    before = [dict(t) for t in sent]
    carry_over(sent, STORED)
    assert sent == before
