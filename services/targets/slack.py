"""Slack incoming webhooks: a Block Kit message.

Config: ``{type: slack, url: https://hooks.slack.com/services/...}``. The URL
is the credential (whoever has it can post), hence ``SecretStr``: the API
shows ``"url_set": true`` only, and a PUT without ``url`` keeps the stored URL
of the Slack target in the same place among the Slack targets.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from watchfloor.services.targets.base import Outcome, SendContext, to_json
from watchfloor.services.targets.evidence import evidence_of
from watchfloor.services.targets.secret_url import SecretUrlTarget, SecretUrlType
from watchfloor.shared.html_entities import decode_entities
from watchfloor.shared.schemas import Alert, Delivery, TagMatch

# Slack Block Kit limits (plain_text header 150, section text 3000, section
# fields 2000); ours: a source or classifier version shown at most 200
# characters, a linked title at least 100 (else the link is left out).
_SLACK_HEADER_MAX = 150
_SLACK_TEXT_MAX = 3000
_SLACK_FIELD_MAX = 2000
_SLACK_SOURCE_MAX = 200
_SLACK_MIN_TITLE = 100


class SlackTarget(SecretUrlTarget):
    """Slack incoming webhook. Its URL is the credential (``secret_url``)."""

    type: Literal["slack"]


class SlackType(SecretUrlType):
    name: ClassVar[str] = "slack"
    config: ClassVar[type[SlackTarget]] = SlackTarget
    #: Slack takes about one message a second per webhook.
    default_rate_per_s: ClassVar[float | None] = 1.0

    async def send(
        self, delivery: Delivery, target: SlackTarget, context: SendContext[Outcome]
    ) -> Outcome:
        body = to_json(slack_body(delivery.alert))
        return await context.post_json(target.url.get_secret_value(), body, {})


TARGET = SlackType()


# --- payload --------------------------------------------------------------------


# Escaping. Slack reads "&", "<" and ">" as control characters in every text
# field (mrkdwn, plain_text, the top-level "text" that notifications show):
# "<!channel>" pings a channel, "<http://x|label>" disguises a link. Every
# piece of alert text is therefore entity-decoded first (an encoded
# "&lt;!everyone&gt;" must not survive as a mention after Slack decodes it),
# then escaped, then clipped on character boundaries of the original text,
# so a clip never cuts an "&amp;" in half nor a link of ours open.

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ELLIPSIS = "…"


def _escape(text: str, limit: int | None = None) -> str:
    """``text`` decoded, escaped for Slack and, when longer than ``limit``,
    cut between characters (never inside an escape) with an ellipsis."""
    text = decode_entities(text)
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if limit is None or len(escaped) <= limit:
        return escaped
    budget, used, cut = limit - len(_ELLIPSIS), 0, 0
    for char in text:
        width = len(_ESCAPES.get(char, char))
        if used + width > budget:
            break
        used += width
        cut += 1
    return _escape(text[:cut]) + _ELLIPSIS


def _join(head: str, items: list[str], limit: int, sep: str = ", ") -> str:
    """``head`` and the (already escaped) ``items``, as many whole items as fit
    in ``limit`` characters, an ellipsis after the last one when some are left."""
    text = head
    for index, item in enumerate(items):
        piece = (sep if index else "") + item
        room = limit - len(text) - (len(_ELLIPSIS) if index < len(items) - 1 else 0)
        if len(piece) > room:
            return text + _ELLIPSIS
        text += piece
    return text


def _link_url(url: str) -> str:
    # "|" and ">" end a Slack link early; percent-encoding keeps the URL valid.
    return url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")


def _headline(title: str, url: str | None, source: str | None) -> str:
    """``*<url|title>*`` (or ``*title*``) and the source on a second line,
    within a section's limit: the title is what gets clipped, inside the link;
    a URL too long to leave room for a title is left out."""
    source_line = f"\n{_escape(source, _SLACK_SOURCE_MAX)}" if source else ""
    room = _SLACK_TEXT_MAX - len(source_line) - len("**")
    link = _link_url(url) if url else ""
    if link and room - len(link) - len("<|>") >= _SLACK_MIN_TITLE:
        shown = _escape(title, room - len(link) - len("<|>"))
        return f"*<{link}|{shown}>*{source_line}"
    return f"*{_escape(title, room)}*{source_line}"


def _tag_line(tag: TagMatch) -> str:
    modality = "" if tag.modality == "asserted" else f", {_escape(tag.modality)}"
    return f"`{_escape(tag.tag)}` {tag.confidence:.0%}{modality}"


def slack_body(alert: Alert) -> dict[str, Any]:
    """A Block Kit message, with ``text`` as the notification fallback. Every
    text field is escaped (see ``_escape``) and within Slack's limits."""
    article = alert.article
    actors = [_escape(a.name, _SLACK_SOURCE_MAX) for a in alert.actors]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _escape(alert.watchlist_name, _SLACK_HEADER_MAX),
                "emoji": False,
            },
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn",
                     "text": _headline(article.title, article.url, article.source)},
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn",
                 "text": _join("*Tags*\n", [_tag_line(t) for t in alert.tags], _SLACK_FIELD_MAX)},
                {"type": "mrkdwn",
                 "text": _join("*Actors*\n", actors or ["none identified"], _SLACK_FIELD_MAX)},
            ],
        },
    ]
    if evidence := evidence_of(alert):
        # a "> " quote in mrkdwn covers one line: a line per sentence, each
        # named by its tags when there are several
        room = _SLACK_TEXT_MAX // len(evidence) - 2
        lines = []
        for shown in evidence:
            label = f"`{_escape(', '.join(shown.tags))}` " if len(evidence) > 1 else ""
            lines.append(f"> {label}{_escape(shown.sentence, room - len(label))}")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    version = _escape(alert.classifier_version, _SLACK_SOURCE_MAX)
    blocks.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"alert `{_escape(alert.id)}` · {version}"}
            ],
        }
    )
    name = _escape(alert.watchlist_name, _SLACK_HEADER_MAX)
    fallback = f"[{name}] {_escape(article.title, _SLACK_TEXT_MAX - len(name) - 3)}"
    return {"text": fallback, "blocks": blocks}
