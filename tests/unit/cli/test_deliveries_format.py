"""`watchfloor deliveries`: what one failed-deliveries entry shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from watchfloor.services.cli.deliveries import parse_entry


def entry(**fields: object) -> dict[bytes, bytes]:
    return {k.encode(): str(v).encode() for k, v in fields.items()}


PAYLOAD = json.dumps({
    "id": "msg_1", "target_name": "ops-hook", "attempt": 3,
    "alert": {"id": "al_1", "watchlist_id": "baltic",
              "article": {"id": "u-1", "title": "Fleet drill announced off the coast"}},
})


def test_a_failed_delivery_shows_watchlist_target_reason_attempts_and_time():
    record = parse_entry(entry(
        delivery_id="msg_1", alert_id="al_1", watchlist_id="baltic", article_id="u-1",
        target="ops-hook", attempt=3, reason="exhausted: http_503", attempts=3,
        failed_at=repr(1_900_000_000.5), payload=PAYLOAD))
    assert (record.watchlist, record.target, record.reason, record.attempts) == (
        "baltic", "ops-hook", "exhausted: http_503", 3)
    assert record.at == datetime.fromtimestamp(1_900_000_000.5, UTC)
    assert record.format().splitlines() == [
        "2030-03-17 17:46:40Z [baltic] ops-hook: exhausted: http_503 after 3 attempts",
        '    alert al_1, article u-1 "Fleet drill announced off the coast"',
        "    delivery msg_1",
    ]
    data = json.loads(record.as_json())
    assert data["at"] == "2030-03-17T17:46:40.500000Z" and data["title"].startswith("Fleet")


def test_an_entry_written_before_targets_had_names_shows_the_target_place():
    record = parse_entry(entry(delivery_id="msg_2", watchlist_id="w", alert_id="al_2",
                               article_id="c-2", target_index=1, attempt=1,
                               reason="permanent: http_410", failed_at="1900000000"))
    assert record.target == "target #1" and record.attempts == 1 and record.title is None


def test_a_damaged_entry_is_still_listed():
    record = parse_entry(entry(reason="permanent: unknown_target", payload="{not json",
                               failed_at="soon"))
    assert record.reason == "permanent: unknown_target"
    assert record.at is None and "(time unknown)" in record.format()
