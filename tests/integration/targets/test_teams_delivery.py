"""A Teams delivery through the notifier's pipeline (real Redis) to a local
stand-in for a Teams workflow webhook that checks the Adaptive Card."""

from __future__ import annotations

from typing import Any

from watchfloor.services.notifier.delivery import OutcomeKind

from tests.integration.targets.local_servers import deliver_one, json_server
from tests.unit.notifier.factories import country, figure, make_alert, tag

ELEMENTS = {"TextBlock", "RichTextBlock", "FactSet"}


def check_card(path: str, headers: dict[str, str], body: Any) -> list[str]:
    """What Teams workflows need of a posted card (Adaptive Card 1.4 schema)."""
    problems = []
    if headers.get("content-type") != "application/json":
        problems.append("content-type is not application/json")
    if not isinstance(body, dict) or body.get("type") != "message":
        return [*problems, "type must be message"]
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or len(attachments) != 1:
        return [*problems, "one attachment expected"]
    attachment = attachments[0]
    if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
        problems.append("contentType is not an Adaptive Card")
    card = attachment.get("content") or {}
    if card.get("type") != "AdaptiveCard" or card.get("version") not in ("1.2", "1.3", "1.4", "1.5"):
        problems.append("content is not an Adaptive Card of a version Teams renders")
    if card.get("$schema") != "http://adaptivecards.io/schemas/adaptive-card.json":
        problems.append("$schema missing")
    for element in card.get("body", []):
        kind = element.get("type")
        if kind not in ELEMENTS:
            problems.append(f"unknown element {kind}")
        elif kind == "TextBlock" and not isinstance(element.get("text"), str):
            problems.append("TextBlock without text")
        elif kind == "RichTextBlock" and not all(
            i.get("type") == "TextRun" and isinstance(i.get("text"), str)
            for i in element.get("inlines", [])
        ):
            problems.append("RichTextBlock inlines must be TextRuns")
        elif kind == "FactSet" and not all(
            isinstance(f.get("title"), str) and isinstance(f.get("value"), str)
            for f in element.get("facts", [])
        ):
            problems.append("facts need a title and a value")
    for action in card.get("actions", []):
        if action.get("type") != "Action.OpenUrl" or not action.get("url"):
            problems.append("actions must open a URL")
    return problems


async def test_a_teams_alert_arrives_as_a_valid_adaptive_card(redis_client, keys, settings) -> None:
    alert = make_alert(
        title="Drill *ends* with [two] launches",
        tags=[tag(confidence=0.8)], actors=[country("KP", "North Korea")], figures=[figure()],
    )
    async with json_server(check_card, accepted=202) as teams:
        target = {"type": "teams", "url": teams.url("/workflows/abc/triggers/manual")}
        _, outcome = await deliver_one(redis_client, keys, settings, target, alert)

    assert outcome.kind is OutcomeKind.DELIVERED and outcome.reason == "http_202"
    (received,) = teams.received
    assert received.problems == []
    assert received.path == "/workflows/abc/triggers/manual"
    card = received.body["attachments"][0]["content"]
    (run,) = card["body"][1]["inlines"]
    assert run["text"] == "Drill *ends* with [two] launches"  # a TextRun renders no markdown
    assert run["selectAction"]["url"] == alert.article.url
    facts = {f["title"]: f["value"] for f in card["body"][3]["facts"]}
    assert facts["Actors"] == "North Korea" and facts["Figures"] == "two rockets"
