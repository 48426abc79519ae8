"""Slack messages: no alert text can ping a channel or disguise a link.

Slack reads "&", "<" and ">" as control characters in every text field,
the top-level ``text`` (what notifications show) included. Headlines and
evidence are untrusted: each must arrive escaped, after entity decoding, and
clipping to Slack's limits must never cut an escape or one of our links.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from watchfloor.services.ingest.normalise import normalise_line
from watchfloor.services.targets.slack import slack_body
from watchfloor.shared.schemas import Actor

from tests.unit.notifier.factories import make_alert, tag

HOSTILE = [
    "<!channel> missile test",
    "&lt;!everyone&gt; drill",  # entity-encoded: decoded first, then escaped
    "&amp;lt;!here&amp;gt; twice encoded",
    "read <http://evil.example.test|news.example.test/a/1> now",
    "<@U024BE7LH> and <#C024BE7LH>",
    "a & b > c < d",
]

# Anything Slack would parse: <...> (mentions, links) after its own decoding
# of the three escapes it knows.
_CONTROL = re.compile(r"<[^>]*>")


def text_fields(value: Any) -> list[str]:
    """Every "text" string in a Slack body, however deep."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                found.append(item)
            else:
                found += text_fields(item)
    elif isinstance(value, list):
        for item in value:
            found += text_fields(item)
    return found


def hostile_alert(text: str, **changes: Any):
    alert = make_alert(
        title=text, source=text, url=None,
        tags=[tag(evidence=f"Officials said {text}.")],
        actors=[Actor(id="KP", name=text, kind="country")],
    )
    return alert.model_copy(update={"watchlist_name": text, **changes})


@pytest.mark.parametrize("text", HOSTILE)
def test_no_text_field_carries_a_mention_or_a_link_of_the_sender(text: str) -> None:
    body = slack_body(hostile_alert(text))

    fields = text_fields(body)
    assert body["text"] in fields and len(fields) >= 6
    for field in fields:
        assert not _CONTROL.search(field), field
        # every "&" starts one of the three escapes: nothing left for Slack to decode
        assert re.fullmatch(r"(?:[^&]|&amp;|&lt;|&gt;)*", field), field


def test_entity_encoded_mention_in_an_ingested_title_stays_text_in_the_preview() -> None:
    # Ingest decodes the entities of a headline as it arrived from a feed...
    title = normalise_line("&lt;!everyone&gt; Drill ends")
    assert title == "<!everyone> Drill ends"
    # ...and the notification preview shows it as text, not as a mention.
    body = slack_body(make_alert(title=title))

    assert body["text"] == "[Test watchlist] &lt;!everyone&gt; Drill ends"


def test_the_link_of_the_article_is_ours_and_the_title_inside_it_is_escaped() -> None:
    alert = make_alert(title="See <http://evil.example.test|a trusted site>", source=None)

    headline = slack_body(alert)["blocks"][1]["text"]["text"]

    assert headline == (
        "*<https://news.example.test/a/1|See &lt;http://evil.example.test|a trusted site&gt;>*"
    )
    assert headline.count("<") == 1 and headline.count(">") == 1


@pytest.mark.parametrize("filler", ["&", "<", "x&", "ab>"])
def test_clipping_never_cuts_an_escape_or_our_link(filler: str) -> None:
    long_text = filler * 2000
    alert = make_alert(title=long_text, source=long_text, actors=[],
                       tags=[tag(evidence=long_text)])
    alert = alert.model_copy(update={"watchlist_name": long_text})

    body = slack_body(alert)

    header, headline, facts, quote, context = body["blocks"]
    assert len(header["text"]["text"]) <= 150
    assert len(headline["text"]["text"]) <= 3000
    assert len(quote["text"]["text"]) <= 3000
    assert all(len(f["text"]) <= 2000 for f in facts["fields"])
    assert len(body["text"]) <= 3000
    for field in text_fields(body):
        # escapes whole up to the ellipsis a clip adds
        assert re.fullmatch(r"(?:[^&]|&amp;|&lt;|&gt;)*", field), field[-20:]
    link = headline["text"]["text"]
    assert link.startswith("*<https://news.example.test/a/1|")
    assert re.match(r"\*<https://news\.example\.test/a/1\|[^<>]*…>\*\n[^<>]*…$", link), link[-40:]


def test_a_url_too_long_to_leave_room_for_the_title_is_left_out() -> None:
    url = "https://news.example.test/" + "a" * 2990
    headline = slack_body(make_alert(url=url, source=None))["blocks"][1]["text"]["text"]

    assert headline == "*Coastal battery fires rockets during drill*"


def test_many_actors_are_cut_between_names() -> None:
    actors = [Actor(id=f"X{i}", name=f"Country & {i}", kind="country") for i in range(400)]
    field = slack_body(make_alert(actors=actors))["blocks"][2]["fields"][1]["text"]

    assert len(field) <= 2000 and field.endswith("…")
    assert field.removeprefix("*Actors*\n").removesuffix("…").split(", ")[-1].startswith(
        "Country &amp; "
    )
