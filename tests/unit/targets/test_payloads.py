"""The webhook body (versioned) and the Slack Block Kit message."""

from __future__ import annotations

import base64
import json
import time

from standardwebhooks.webhooks import Webhook
from watchfloor.services.targets.base import to_json
from watchfloor.services.targets.slack import slack_body
from watchfloor.services.targets.webhook import signature_headers, webhook_body

from tests.unit.notifier.factories import country, figure, make_alert, tag

NOW = 1_900_000_000.0


def test_webhook_body_shape() -> None:
    alert = make_alert(figures=[figure()], actors=[country("KP", "North Korea")])
    body = webhook_body(alert, now=NOW)
    assert body["type"] == "watchfloor.alert"
    assert body["version"] == 1
    assert body["timestamp"] == "2030-03-17T17:46:40Z"
    data = body["data"]
    assert data["alert_id"] == alert.id
    assert data["watchlist"] == {"id": "wl-test", "name": "Test watchlist"}
    assert data["article"] == {
        "id": "art-001",
        "title": "Coastal battery fires rockets during drill",
        "url": "https://news.example.test/a/1",
        "source": "Example Wire",
        "published_at": "2031-03-04T04:00:00Z",
        "ingested_at": alert.article.ingested_at.isoformat().replace("+00:00", "Z"),
        "story_id": alert.article.story_id or alert.article.id,
    }
    assert data["tags"] == [
        {
            "tag": "missile_test",
            "confidence": 0.9,
            "modality": "asserted",
            "evidence": "The coastal battery fired two rockets into the strait on Tuesday.",
        }
    ]
    assert data["actors"] == [{"id": "KP", "name": "North Korea", "kind": "country"}]
    assert data["figures"][0]["kind"] == "missiles" and data["figures"][0]["value"] == 2
    assert data["classifier_version"] == "test-classifier-1"


def test_webhook_body_serialises_compactly_and_round_trips() -> None:
    body = webhook_body(make_alert(url=None), now=NOW)
    text = to_json(body)
    assert ", " not in text[:40] and json.loads(text) == body
    assert body["data"]["article"]["url"] is None


def test_slack_body_blocks() -> None:
    alert = make_alert(
        title="Drill <live> & loud",
        tags=[tag(confidence=0.87, modality="reported", evidence="Officials said\nit flew far.")],
    )
    body = slack_body(alert)
    assert body["text"] == "[Test watchlist] Drill &lt;live&gt; &amp; loud"
    header, headline, facts, quote, context = body["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Test watchlist", "emoji": False},
    }
    assert headline["text"]["text"].startswith(
        "*<https://news.example.test/a/1|Drill &lt;live&gt; &amp; loud>*"
    )
    assert "Example Wire" in headline["text"]["text"]
    assert facts["fields"][0]["text"] == "*Tags*\n`missile_test` 87%, reported"
    assert facts["fields"][1]["text"] == "*Actors*\nNorth Korea"
    assert quote["text"]["text"] == "> Officials said it flew far."
    assert alert.id in context["elements"][0]["text"]


def test_slack_body_without_url_or_actors() -> None:
    body = slack_body(make_alert(url=None, actors=[]))
    assert body["blocks"][1]["text"]["text"].startswith("*Coastal battery")
    assert body["blocks"][2]["fields"][1]["text"] == "*Actors*\nnone identified"


def test_slack_header_is_clipped_to_block_kit_limit() -> None:
    alert = make_alert().model_copy(update={"watchlist_name": "x" * 400})
    header = slack_body(alert)["blocks"][0]["text"]["text"]
    assert len(header) == 150 and header.endswith("…")


def test_a_signature_made_a_hair_before_a_full_second_verifies() -> None:
    # The header says whole seconds; the signature must cover the same value
    # (datetime rounds 0.9999997 s up to the next second at microseconds).
    secret = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    for fraction in (0.0, 0.5, 0.9999997):
        now = int(time.time()) - 10 + fraction
        headers = signature_headers(secret, "msg_1", now, "{}")
        assert headers["webhook-timestamp"] == str(int(now))
        Webhook(secret).verify("{}", headers)  # raises when it does not verify


def _quotes(alert) -> list[str]:
    texts = [b.get("text", {}).get("text", "") for b in slack_body(alert)["blocks"]]
    return [t for t in texts if t.startswith(">")]


def test_every_tag_s_sentence_is_shown_not_only_the_strongest_one_s() -> None:
    # "visits Baku" and a drill alerted together, and only the drill's
    # sentence was quoted: nothing backed the visit
    from watchfloor.services.targets.email import plain_text
    from watchfloor.services.targets.teams import teams_body

    drill = tag("military_exercise", 0.98, evidence="Navies drilled off the coast.")
    visit = tag("diplomatic_visit", 0.79, evidence="The president arrived in the capital.")
    twin = tag("missile_test", 0.6, evidence="Navies drilled  off the coast.")  # same sentence
    alert = make_alert(tags=[visit, drill, twin])

    [quote] = _quotes(alert)
    assert quote.splitlines() == [
        "> `military_exercise, missile_test` Navies drilled off the coast.",
        "> `diplomatic_visit` The president arrived in the capital.",
    ]
    card = json.dumps(teams_body(alert))
    assert "The president arrived in the capital." in card and "Navies drilled" in card
    text = plain_text(alert)
    assert "Evidence (diplomatic_visit): The president arrived in the capital." in text
    assert "Evidence (military_exercise, missile_test): Navies drilled off the coast." in text
    # one tag: its sentence alone, as before
    [single] = _quotes(make_alert(tags=[visit]))
    assert single == "> The president arrived in the capital."
