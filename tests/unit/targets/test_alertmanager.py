"""The Alertmanager target: config, what the API shows, carry-over, the v2 body."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from watchfloor.services.targets import carry_over, redacted
from watchfloor.services.targets.alertmanager import (
    AlertmanagerTarget,
    alertmanager_body,
    auth_headers,
    severity,
)
from watchfloor.services.targets.base import TargetConfig
from watchfloor.services.watchlists.model import Watchlist

from tests.unit.notifier.factories import country, figure, make_alert, tag

NOW = 1_900_000_000.0
AM = "https://am.example.test"
AM_WITH_USER = "https://ops:quay31@am.example.test/?token=harbour55"


def targets(*configs: dict[str, Any]) -> list[TargetConfig]:
    return Watchlist.model_validate({"id": "w", "name": "W", "targets": list(configs)}).targets


# --- config ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "posted_to"),
    [
        (AM, "https://am.example.test/api/v2/alerts"),
        ("https://am.example.test/prefix/", "https://am.example.test/prefix/api/v2/alerts"),
        ("https://am.example.test/api/v2/alerts", "https://am.example.test/api/v2/alerts"),
        # the path goes before the query (it went after it: a 404, the alert lost)
        ("https://am.example.test/?tenant=ops", "https://am.example.test/api/v2/alerts?tenant=ops"),
        ("https://am.example.test/p?x=1&y=2", "https://am.example.test/p/api/v2/alerts?x=1&y=2"),
    ],
)
def test_the_alerts_endpoint_is_added_to_the_base_url(url: str, posted_to: str) -> None:
    (target,) = targets({"type": "alertmanager", "url": url})
    assert isinstance(target, AlertmanagerTarget) and target.alerts_url() == posted_to


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"username": "wf"}, "username and password go together"),
        ({"password": "pw"}, "username and password go together"),
        ({"username": "wf", "password": "pw", "token": "t"}, "not both"),
        ({"active_for_s": 0}, "greater than 0"),
        # every send failed: the HTTP client refuses a header beside URL credentials
        ({"url": "https://am:pw@am.example.test", "username": "wf", "password": "pw"},
         "the url carries credentials"),
        ({"url": "https://am:pw@am.example.test", "token": "t"}, "the url carries credentials"),
        ({"url": "ftp://am.example.test"}, "must be an http\\(s\\) URL"),
    ],
)
def test_a_broken_config_is_refused_with_a_clear_message(extra: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        targets({"type": "alertmanager", "url": AM, **extra})


def test_a_token_read_with_its_trailing_newline_is_trimmed() -> None:
    # a Kubernetes secret made from a file ends in "\n": every send failed
    (target,) = targets({"type": "alertmanager", "url": AM, "token": "tok-123\n"})
    assert auth_headers(target) == {"authorization": "Bearer tok-123"}


@pytest.mark.parametrize("field", ["token", "password"])
def test_a_secret_with_a_line_break_inside_is_refused(field: str) -> None:
    extra = {field: "tok\r\nX-Injected: 1"} | ({"username": "wf"} if field == "password" else {})
    with pytest.raises(ValidationError, match="must be one line of text"):
        targets({"type": "alertmanager", "url": AM, **extra})


def test_basic_auth_or_bearer_token_headers() -> None:
    basic, bearer, neither = targets(
        {"type": "alertmanager", "url": AM, "username": "wf", "password": "pw:1"},
        {"type": "alertmanager", "url": AM, "token": "tok-123"},
        {"type": "alertmanager", "url": AM},
    )
    assert auth_headers(basic) == {"authorization": "Basic " + base64.b64encode(b"wf:pw:1").decode()}
    assert auth_headers(bearer) == {"authorization": "Bearer tok-123"}
    assert auth_headers(neither) == {}


# --- API view and carry-over ----------------------------------------------------


def test_the_api_never_shows_a_password_a_token_or_url_credentials() -> None:
    in_url, basic, bearer = targets(
        {"type": "alertmanager", "url": AM_WITH_USER},
        {"type": "alertmanager", "url": AM, "username": "wf", "password": "harbour77"},
        {"type": "alertmanager", "url": AM, "token": "harbour99"},
    )
    shown = json.dumps([redacted(in_url), redacted(basic), redacted(bearer)])
    for secret in ("harbour77", "harbour99", "quay31", "harbour55"):
        assert secret not in shown
    assert redacted(basic)["password_set"] is True and redacted(bearer)["token_set"] is True


def test_what_was_shown_put_back_keeps_the_secrets_and_the_real_url() -> None:
    stored = targets(
        {"type": "alertmanager", "url": AM_WITH_USER},
        {"type": "alertmanager", "url": AM, "username": "wf", "password": "harbour77"},
        {"type": "alertmanager", "url": AM, "token": "harbour99"},
    )
    assert targets(*carry_over([redacted(t) for t in stored], stored)) == stored


def test_a_new_url_gets_no_stored_secret_and_a_sent_one_is_kept() -> None:
    stored = targets({"type": "alertmanager", "url": AM, "token": "harbour99"})
    elsewhere = {"type": "alertmanager", "url": "https://other.example.test"}
    new_token = {"type": "alertmanager", "url": AM, "token": "fresh"}
    assert carry_over([elsewhere, new_token], stored) == [elsewhere, new_token]


# --- the body -------------------------------------------------------------------


def test_one_alert_per_tag_with_labels_annotations_and_times() -> None:
    alert = make_alert(
        tags=[tag(confidence=0.75), tag("nuclear", 0.95, modality="reported")],
        actors=[country("KP", "North Korea")],
        figures=[figure()],
    )
    body = alertmanager_body(alert, now=NOW, active_for_s=3600)
    assert [a["labels"]["tag"] for a in body] == ["nuclear", "missile_test"]
    first = body[0]
    assert first["labels"] == {
        "alertname": "WatchfloorAlert",
        "watchlist": "wl-test",
        "tag": "nuclear",
        "severity": "critical",
        "modality": "reported",
        "story": alert.article.story_id or alert.article.id,
    }
    assert body[1]["labels"]["severity"] == "warning"
    assert first["annotations"]["title"] == alert.article.title
    assert first["annotations"]["url"] == first["generatorURL"] == alert.article.url
    assert first["annotations"]["actors"] == "North Korea"
    assert first["annotations"]["figures"] == "two rockets"
    assert first["annotations"]["alert_id"] == alert.id
    assert first["annotations"]["evidence"].startswith("The coastal battery")
    starts = datetime.fromisoformat(first["startsAt"])
    ends = datetime.fromisoformat(first["endsAt"])
    assert starts == alert.created_at.astimezone(UTC).replace(microsecond=starts.microsecond)
    assert (ends - max(starts, datetime.fromtimestamp(NOW, UTC))).total_seconds() == pytest.approx(3600, abs=0.01)


def test_every_version_of_a_story_gets_the_same_labels() -> None:
    one = make_alert(article_id="art-1", url="https://news.example.test/1")
    two = make_alert(article_id="art-2", url="https://news.example.test/2")
    one = one.model_copy(update={"article": one.article.model_copy(update={"story_id": "s-1"})})
    two = two.model_copy(update={"article": two.article.model_copy(update={"story_id": "s-1"})})
    labels = [alertmanager_body(a, now=NOW, active_for_s=60)[0]["labels"] for a in (one, two)]
    assert labels[0] == labels[1] and labels[0]["story"] == "s-1"


@pytest.mark.parametrize(("confidence", "expected"),
                         [(1.0, "critical"), (0.9, "critical"), (0.89, "warning"),
                          (0.7, "warning"), (0.5, "info"), (0.0, "info")])
def test_severity_from_confidence(confidence: float, expected: str) -> None:
    assert severity(confidence) == expected


def test_sizes_are_bounded_and_a_long_url_is_left_out_not_cut() -> None:
    long_url = "https://news.example.test/a/" + "x" * 4096
    alert = make_alert(url=long_url, title="Launch " * 1000,
                       tags=[tag(f"t{n}", evidence="w " * 5000) for n in range(50)])
    body = alertmanager_body(alert, now=NOW, active_for_s=60)
    assert len(body) == 20
    text = json.dumps(body)
    assert long_url[:1000] not in text
    assert all(len(v) <= 1000 for a in body for v in a["annotations"].values())
    assert all("generatorURL" not in a for a in body)
