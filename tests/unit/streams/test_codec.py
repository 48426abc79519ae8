"""Stream entries: what is written reads back as the same message."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from watchfloor.shared.schemas import (
    Actor,
    Alert,
    Article,
    Classification,
    ClassifiedArticle,
    Delivery,
    Figure,
    TagMatch,
)
from watchfloor.shared.streams.codec import DATA_FIELD, decode, encode

ARTICLE = Article(id="u-1", title="A port reopens", text="The harbour reopened on Monday.",
                  ingested_at=datetime(2031, 1, 1, tzinfo=UTC))
CLASSIFICATION = Classification(
    tags=[TagMatch(tag="t", confidence=0.9, evidence="The harbour reopened on Monday.")],
    actors=[Actor(id="XX", name="Someland", kind="country")],
    figures=[Figure(kind="other", value=3, text="3")],
    classifier_version="v1",
)


def test_messages_read_back_equal_without_their_none_fields() -> None:
    alert = Alert(id="al_1", watchlist_id="w", watchlist_name="W", article=ARTICLE,
                  tags=CLASSIFICATION.tags, actors=[], figures=[], classifier_version="v1")
    for message in (ARTICLE, ClassifiedArticle(article=ARTICLE, classification=CLASSIFICATION),
                    alert, Delivery(id="msg_1", alert=alert, target_name="hook")):
        fields = encode(message)
        assert "null" not in fields[DATA_FIELD].decode()
        assert json.loads(fields[DATA_FIELD])["schema_version"] == message.schema_version
        assert decode({DATA_FIELD.encode(): fields[DATA_FIELD]}, type(message)) == message


def test_entries_written_with_none_fields_still_read() -> None:
    written = ARTICLE.model_dump_json().encode()  # as entries were written before
    assert b'"story_id":null' in written
    assert decode({DATA_FIELD.encode(): written}, Article) == ARTICLE
