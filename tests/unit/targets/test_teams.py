"""The Teams target: config, what the API shows, carry-over, the Adaptive Card."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError
from watchfloor.services.targets import carry_over, redacted
from watchfloor.services.targets.base import TargetConfig, to_json
from watchfloor.services.targets.teams import (
    CARD_CONTENT_TYPE,
    CARD_VERSION,
    TeamsTarget,
    markdown_escape,
    teams_body,
)
from watchfloor.services.watchlists.model import Watchlist

from tests.unit.notifier.factories import country, figure, make_alert, tag

URL = "https://prod-01.westeurope.logic.example.test/workflows/abc/triggers/manual?sig=harbour42"
OTHER = "https://prod-02.westeurope.logic.example.test/workflows/def/triggers/manual?sig=quay17"


def targets(*configs: dict[str, Any]) -> list[TargetConfig]:
    return Watchlist.model_validate({"id": "w", "name": "W", "targets": list(configs)}).targets


def card(alert) -> dict[str, Any]:
    body = teams_body(alert)
    (attachment,) = body["attachments"]
    assert body["type"] == "message"
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    return attachment["content"]


def texts(element: Any) -> list[str]:
    """Every shown string of a card, facts included."""
    if isinstance(element, dict):
        found = [element["text"]] if isinstance(element.get("text"), str) else []
        if "value" in element and "title" in element:
            found.append(element["value"])
        return found + [t for k, v in element.items() if k != "text" for t in texts(v)]
    if isinstance(element, list):
        return [t for item in element for t in texts(item)]
    return []


# --- config ---------------------------------------------------------------------


def test_a_teams_target_holds_its_url_as_a_secret() -> None:
    (target,) = targets({"type": "teams", "url": URL})
    assert isinstance(target, TeamsTarget)
    assert "harbour42" not in repr(target)
    assert target.url.get_secret_value() == URL


@pytest.mark.parametrize("url", ["ftp://files.example.test/x", "not a url", "https://"])
def test_a_url_that_is_not_http_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(ValidationError) as info:
        targets({"type": "teams", "url": url})
    (error,) = info.value.errors()
    assert "must be an http(s) URL with a host" in error["msg"]
    assert url not in error["msg"]


def test_a_misspelt_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="extra_forbidden|Extra inputs"):
        targets({"type": "teams", "url": URL, "channel": "ops"})


# --- API view and carry-over ----------------------------------------------------


def test_the_api_shows_that_a_url_is_set_never_the_url() -> None:
    (target,) = targets({"type": "teams", "url": URL})
    shown = redacted(target)
    assert shown == {"type": "teams", "url_set": True}
    assert "harbour42" not in json.dumps(shown)


def test_what_was_shown_put_back_keeps_each_url_by_place() -> None:
    stored = targets({"type": "teams", "url": URL}, {"type": "teams", "url": OTHER})
    restored = carry_over([redacted(t) for t in stored], stored)
    assert targets(*restored) == stored


def test_a_new_url_sent_replaces_the_stored_one_and_no_url_is_invented() -> None:
    stored = targets({"type": "teams", "url": URL})
    sent = [{"type": "teams", "url": OTHER}, {"type": "teams", "url_set": True}]
    assert carry_over(sent, stored) == [{"type": "teams", "url": OTHER}, {"type": "teams"}]


# --- the card -------------------------------------------------------------------


def test_the_card_has_the_headline_linked_tags_evidence_actors_and_figures() -> None:
    alert = make_alert(
        tags=[tag(confidence=0.87), tag("nuclear", 0.4, modality="planned")],
        actors=[country("KP", "North Korea")],
        figures=[figure()],
    )
    content = card(alert)
    assert content["type"] == "AdaptiveCard" and content["version"] == CARD_VERSION
    assert content["$schema"].startswith("http://adaptivecards.io/schemas/")
    headline = content["body"][1]
    assert headline["type"] == "RichTextBlock"
    (run,) = headline["inlines"]
    assert run["text"] == "Coastal battery fires rockets during drill"
    assert run["selectAction"] == {"type": "Action.OpenUrl", "url": "https://news.example.test/a/1"}
    facts = {f["title"]: f["value"] for b in content["body"] if b["type"] == "FactSet"
             for f in b["facts"]}
    assert facts == {
        "Tags": "missile\\_test 87%, nuclear 40%, planned",
        "Actors": "North Korea",
        "Figures": "two rockets",
    }
    shown = texts(content["body"])
    assert "The coastal battery fired two rockets into the strait on Tuesday." in shown
    assert any("Example Wire" in t and "2031-03-04 04:00 UTC" in t for t in shown)
    assert content["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open source", "url": "https://news.example.test/a/1"}
    ]


def test_markdown_in_alert_text_is_shown_literally() -> None:
    assert markdown_escape("**urgent** [click](http://evil.example.test) _x_", 200) == (
        "\\*\\*urgent\\*\\* \\[click\\](http://evil.example.test) \\_x\\_"
    )
    assert markdown_escape("- not a list", 200) == "\\- not a list"
    assert markdown_escape("1. not a list", 200) == "1\\. not a list"
    assert markdown_escape("a &amp; b <b>", 200) == "a & b <b>"


def test_markdown_in_every_field_is_escaped() -> None:
    alert = make_alert(
        source="**Wire**",
        tags=[tag(evidence="Officials said *three* launches [sic] followed.")],
        actors=[country("XX", "_Ruritania_")],
    )
    shown = texts(card(alert)["body"])
    assert any("\\*\\*Wire\\*\\*" in t for t in shown)
    assert "Officials said \\*three\\* launches \\[sic\\] followed." in shown
    assert any("\\_Ruritania\\_" in t for t in shown)


def test_a_huge_alert_stays_within_teams_limits_and_its_url_is_never_cut() -> None:
    long_url = "https://news.example.test/a/" + "x" * 4096
    alert = make_alert(
        title="Launch " * 2000,
        url=long_url,
        source="Wire " * 500,
        tags=[tag(f"tag_{n}", evidence="word " * 5000) for n in range(40)],
        actors=[country(f"C{n}", "Name " * 100) for n in range(40)],
        figures=[figure(text="many " * 100) for _ in range(40)],
    )
    payload = to_json(teams_body(alert))
    assert len(payload.encode()) < 28_000
    assert long_url not in payload and long_url[:2000] not in payload  # left out, not cut
    facts = next(b for b in card(alert)["body"] if b["type"] == "FactSet")["facts"]
    assert all(f["value"].endswith("and 30 more") for f in facts)


def test_an_article_without_url_has_no_link() -> None:
    content = card(make_alert(url=None))
    assert "selectAction" not in content["body"][1]["inlines"][0]
    assert "actions" not in content
