"""Slack incoming webhooks: a Block Kit message.

Config: ``{type: slack, url: https://hooks.slack.com/services/...}``. The URL
is the credential (whoever has it can post), hence ``SecretStr``: the API
shows ``"url_set": true`` only, and a PUT without ``url`` keeps the stored URL
of the Slack target in the same place among the Slack targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from pydantic import SecretStr, field_validator
from watchfloor.services.targets.base import (
    Outcome,
    SendContext,
    TargetConfig,
    check_http_url,
    to_json,
)
from watchfloor.shared.schemas import Alert, Delivery, TagMatch

# Slack Block Kit limits (plain_text header 150, section text 3000).
_SLACK_HEADER_MAX = 150
_SLACK_TEXT_MAX = 3000


class SlackTarget(TargetConfig):
    """Slack incoming webhook. Its URL is the credential, hence ``SecretStr``."""

    type: Literal["slack"]
    url: SecretStr

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: SecretStr) -> SecretStr:
        check_http_url(value.get_secret_value())
        return value


class SlackType:
    name: ClassVar[str] = "slack"
    config: ClassVar[type[SlackTarget]] = SlackTarget
    markers: ClassVar[frozenset[str]] = frozenset({"url_set"})

    def identity(self, target: SlackTarget) -> str:
        return target.url.get_secret_value()

    def redacted(self, target: SlackTarget) -> dict[str, Any]:
        return {"url_set": True}

    def carry_over(
        self, sent: Sequence[dict[str, Any]], stored: Sequence[SlackTarget]
    ) -> list[dict[str, Any]]:
        # By position among the Slack targets: the shown view has nothing else
        # to match on.
        restored = []
        for position, target in enumerate(sent):
            if "url" not in target and position < len(stored):
                target = {**target, "url": stored[position].url.get_secret_value()}
            restored.append(target)
        return restored

    async def send(
        self, delivery: Delivery, target: SlackTarget, context: SendContext[Outcome]
    ) -> Outcome:
        body = to_json(slack_body(delivery.alert))
        return await context.post_json(target.url.get_secret_value(), body, {})


TARGET = SlackType()


# --- payload --------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn_escape(text: str) -> str:
    # Slack asks for exactly these three to be escaped in mrkdwn text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link_url(url: str) -> str:
    # "|" and ">" end a Slack link early; percent-encoding keeps the URL valid.
    return url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")


def _tag_line(tag: TagMatch) -> str:
    modality = "" if tag.modality == "asserted" else f", {tag.modality}"
    return f"`{tag.tag}` {tag.confidence:.0%}{modality}"


def _best_tag(alert: Alert) -> TagMatch | None:
    return max(alert.tags, key=lambda t: t.confidence, default=None)


def slack_body(alert: Alert) -> dict[str, Any]:
    """A Block Kit message, with ``text`` as the notification fallback."""
    article = alert.article
    title = _mrkdwn_escape(article.title)
    headline = f"*<{_link_url(article.url)}|{title}>*" if article.url else f"*{title}*"
    if article.source:
        headline += f"\n{_mrkdwn_escape(article.source)}"

    tags = ", ".join(_tag_line(t) for t in alert.tags)
    actors = ", ".join(_mrkdwn_escape(a.name) for a in alert.actors) or "none identified"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _clip(alert.watchlist_name, _SLACK_HEADER_MAX),
                "emoji": False,
            },
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(headline, _SLACK_TEXT_MAX)}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": _clip(f"*Tags*\n{tags}", 2000)},
                {"type": "mrkdwn", "text": _clip(f"*Actors*\n{actors}", 2000)},
            ],
        },
    ]
    best = _best_tag(alert)
    if best and best.evidence:
        # One line: a "> " quote in mrkdwn covers a single line only.
        sentence = " ".join(best.evidence.split())
        quote = _clip(_mrkdwn_escape(sentence), _SLACK_TEXT_MAX - 2)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"> {quote}"}})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"alert `{alert.id}` · {alert.classifier_version}"}
            ],
        }
    )
    fallback = f"[{alert.watchlist_name}] {article.title}"
    return {"text": _clip(fallback, _SLACK_TEXT_MAX), "blocks": blocks}
