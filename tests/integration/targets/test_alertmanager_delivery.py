"""An Alertmanager delivery through the notifier's pipeline (real Redis) to a
local fake Alertmanager that checks the body against the v2 API's
``postableAlerts`` shape and the bearer token."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from watchfloor.services.notifier.delivery import OutcomeKind

from tests.integration.targets.local_servers import deliver_one, json_server
from tests.unit.notifier.factories import country, figure, make_alert, tag

TOKEN = "am-token-quay83"
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
FIELDS = {"labels", "annotations", "startsAt", "endsAt", "generatorURL"}


def _rfc3339(value: Any) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def check_alerts(path: str, headers: dict[str, str], body: Any) -> list[str]:
    """What Alertmanager's POST /api/v2/alerts accepts (postableAlerts)."""
    problems = []
    if path != "/api/v2/alerts":
        problems.append(f"posted to {path}")
    if headers.get("authorization") != f"Bearer {TOKEN}":
        problems.append("no bearer token")
    if not isinstance(body, list) or not body:
        return [*problems, "body must be a non-empty array of alerts"]
    for alert in body:
        if set(alert) - FIELDS:
            problems.append(f"unknown fields {sorted(set(alert) - FIELDS)}")
        labels = alert.get("labels")
        if not isinstance(labels, dict) or not labels:
            problems.append("labels are required")
            continue
        for name, value in [*labels.items(), *alert.get("annotations", {}).items()]:
            if not LABEL_NAME.fullmatch(name) or not isinstance(value, str):
                problems.append(f"bad label or annotation {name!r}")
        for field in ("startsAt", "endsAt"):
            if field in alert and not _rfc3339(alert[field]):
                problems.append(f"{field} is not an RFC 3339 time")
        if "generatorURL" in alert and not alert["generatorURL"].startswith("https://"):
            problems.append("generatorURL is not a URL")
    return problems


async def test_alerts_arrive_in_alertmanager_v2_shape(redis_client, keys, settings) -> None:
    alert = make_alert(tags=[tag(confidence=0.92), tag("nuclear", 0.6)],
                       actors=[country("KP", "North Korea")], figures=[figure()])
    async with json_server(check_alerts) as am:
        target = {"type": "alertmanager", "url": am.url("/"), "token": TOKEN}
        _, outcome = await deliver_one(redis_client, keys, settings, target, alert)

    assert outcome.kind is OutcomeKind.DELIVERED and outcome.reason == "http_200"
    (received,) = am.received
    assert received.problems == []
    by_tag = {a["labels"]["tag"]: a for a in received.body}
    assert set(by_tag) == {"missile_test", "nuclear"}
    assert by_tag["missile_test"]["labels"]["severity"] == "critical"
    assert by_tag["nuclear"]["labels"]["severity"] == "info"
    assert {a["labels"]["story"] for a in received.body} == {alert.article.story_id or alert.article.id}
    assert by_tag["nuclear"]["annotations"]["actors"] == "North Korea"


async def test_a_refused_post_is_a_permanent_failure(redis_client, keys, settings) -> None:
    async with json_server(check_alerts) as am:
        target = {"type": "alertmanager", "url": am.url("/"), "token": "wrong"}
        _, outcome = await deliver_one(redis_client, keys, settings, target)

    assert outcome.kind is OutcomeKind.FAILED and outcome.reason == "permanent: http_400"
    assert am.received[0].problems == ["no bearer token"]
