"""Microsoft Teams: an Adaptive Card posted to a Teams workflow webhook.

Config: ``{type: teams, url: https://...}``, the URL of a Teams workflow
("Post to a channel when a webhook request is received", Power Automate).
The URL is the credential, as Slack's is (``secret_url``): the API shows
``"url_set": true`` only, and a PUT without ``url`` keeps the stored URL of
the Teams target in the same place among the Teams targets.

The card: the watchlist's name, the headline (a link to the source when the
article has a URL) with outlet and published time, the tags with confidence
and modality, the evidence sentence, actors and figures, and an "Open
source" button. Text is escaped for the Adaptive Card markdown that
``TextBlock`` and ``FactSet`` render (``*``, ``_``, ``[``, a line starting
with ``-`` or ``1.`` would format; ``<``/``>``/``&`` are shown literally),
and every piece is clipped, so a card stays well inside Teams' 28 KB
message limit whatever the article holds. A URL is never cut: one too long
for a link is left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC
from typing import Any, ClassVar, Literal

from watchfloor.services.targets.base import Outcome, SendContext, to_json
from watchfloor.services.targets.evidence import evidence_of
from watchfloor.services.targets.secret_url import SecretUrlTarget, SecretUrlType
from watchfloor.shared.html_entities import decode_entities
from watchfloor.shared.schemas import Alert, Delivery, Figure, TagMatch

#: Adaptive Card schema and the version Teams workflows render.
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.4"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

# Bounds, in characters: with them a card is at most about 20 KB of JSON
# (Teams refuses messages over 28 KB).
TITLE_MAX = 300
LINE_MAX = 200  # watchlist name, source, an actor, a figure, a tag
EVIDENCE_MAX = 1000
URL_MAX = 2000  # a longer URL is not linked (never cut)
LIST_MAX = 10  # tags, actors, figures shown; "and N more" after
ELLIPSIS = "…"

# What the Adaptive Card markdown reads as formatting, anywhere in a line
# (emphasis, links, code, strike-through), and at its start (a list item, a
# heading, a quote); a backslash makes each literal. Other punctuation is left
# as it is, so ordinary text shows no stray backslashes.
_MARKDOWN = re.compile(r"([\\`*_\[\]~])")
_LINE_START = re.compile(r"^(\s*(?:\d+)?)([-+#>.)])")


class TeamsTarget(SecretUrlTarget):
    """Teams workflow webhook. Its URL is the credential (``secret_url``)."""

    type: Literal["teams"]


class TeamsType(SecretUrlType):
    name: ClassVar[str] = "teams"
    config: ClassVar[type[TeamsTarget]] = TeamsTarget

    async def send(
        self, delivery: Delivery, target: TeamsTarget, context: SendContext[Outcome]
    ) -> Outcome:
        body = to_json(teams_body(delivery.alert))
        return await context.post_json(target.url.get_secret_value(), body, {})


TARGET = TeamsType()


# --- payload --------------------------------------------------------------------


def clip(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(decode_entities(text).split())
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def markdown_escape(text: str, limit: int) -> str:
    """``text`` clipped (see ``clip``), then escaped for Adaptive Card markdown;
    clipping first means an escape is never cut in half."""
    escaped = _MARKDOWN.sub(r"\\\1", clip(text, limit))
    return _LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", escaped)


def _more(items: Sequence[str], total: int) -> list[str]:
    return [*items, f"and {total - len(items)} more"] if total > len(items) else list(items)


def _tag_text(tag: TagMatch) -> str:
    modality = "" if tag.modality == "asserted" else f", {tag.modality}"
    return markdown_escape(f"{tag.tag} {tag.confidence:.0%}{modality}", LINE_MAX)


def _figure_text(figure: Figure) -> str:
    return markdown_escape(figure.text or f"{figure.value:g} {figure.kind}", LINE_MAX)


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _headline(title: str, url: str | None) -> dict[str, Any]:
    """The title as a plain-text run (``TextRun`` renders no markdown), linked
    to the source when its URL fits whole."""
    run: dict[str, Any] = {"type": "TextRun", "text": clip(title, TITLE_MAX),
                           "weight": "Bolder", "size": "Medium"}
    if url and len(url) <= URL_MAX:
        run["selectAction"] = {"type": "Action.OpenUrl", "url": url}
    return {"type": "RichTextBlock", "inlines": [run]}


def teams_body(alert: Alert) -> dict[str, Any]:
    """The Teams workflow message: one attachment holding the Adaptive Card."""
    article = alert.article
    byline = [part for part in (
        article.source and markdown_escape(article.source, LINE_MAX),
        article.published_at and article.published_at.astimezone(UTC)
        .strftime("%Y-%m-%d %H:%M UTC"),
    ) if part]
    body: list[dict[str, Any]] = [
        _text(markdown_escape(alert.watchlist_name, LINE_MAX), weight="Bolder",
              color="Attention", spacing="None"),
        _headline(article.title, article.url),
    ]
    if byline:
        body.append(_text(" · ".join(byline), isSubtle=True, spacing="None", size="Small"))
    facts = [
        ("Tags", _more([_tag_text(t) for t in alert.tags[:LIST_MAX]], len(alert.tags))),
        ("Actors", _more([markdown_escape(a.name, LINE_MAX) for a in alert.actors[:LIST_MAX]],
                         len(alert.actors))),
        ("Figures", _more([_figure_text(f) for f in alert.figures[:LIST_MAX]],
                          len(alert.figures))),
    ]
    body.append({
        "type": "FactSet",
        "facts": [{"title": title, "value": ", ".join(values)}
                  for title, values in facts if values],
    })
    evidence = evidence_of(alert)
    for shown in evidence:
        label = f"{', '.join(shown.tags)}: " if len(evidence) > 1 else ""
        body.append(_text(markdown_escape(label + shown.sentence, EVIDENCE_MAX), isSubtle=True))
    body.append(_text(markdown_escape(f"alert {alert.id} · {alert.classifier_version}",
                                      LINE_MAX), isSubtle=True, size="Small"))
    card: dict[str, Any] = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if article.url and len(article.url) <= URL_MAX:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open source",
                            "url": article.url}]
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None,
                         "content": card}],
    }
