"""What a target receives: the versioned webhook body and the Slack message.

Pure functions of the alert (and the send time), so they are tested without
HTTP. The webhook body is versioned: receivers switch on ``type`` and
``version``; a change that removes or renames a field bumps the version.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from watchfloor.shared.schemas import Alert, TagMatch

WEBHOOK_EVENT_TYPE = "watchfloor.alert"
WEBHOOK_VERSION = 1

# Slack Block Kit limits (plain_text header 150, section text 3000).
_SLACK_HEADER_MAX = 150
_SLACK_TEXT_MAX = 3000


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def webhook_body(alert: Alert, *, now: float) -> dict[str, Any]:
    """The generic webhook payload; ``now`` (unix seconds) is its timestamp."""
    article = alert.article
    return {
        "type": WEBHOOK_EVENT_TYPE,
        "version": WEBHOOK_VERSION,
        "timestamp": _iso(datetime.fromtimestamp(now, UTC)),
        "data": {
            "alert_id": alert.id,
            "watchlist": {"id": alert.watchlist_id, "name": alert.watchlist_name},
            "article": {
                "id": article.id,
                "title": article.title,
                "url": article.url,
                "source": article.source,
                "published_at": _iso(article.published_at),
                "ingested_at": _iso(article.ingested_at),
                "story_id": article.story_id or article.id,
            },
            "tags": [
                {
                    "tag": t.tag,
                    "confidence": t.confidence,
                    "modality": t.modality,
                    "evidence": t.evidence,
                }
                for t in alert.tags
            ],
            "actors": [{"id": a.id, "name": a.name, "kind": a.kind} for a in alert.actors],
            "figures": [
                {
                    "kind": f.kind,
                    "value": f.value,
                    "low": f.low,
                    "high": f.high,
                    "unit": f.unit,
                    "approximate": f.approximate,
                    "text": f.text,
                }
                for f in alert.figures
            ],
            "classifier_version": alert.classifier_version,
        },
    }


def to_json(body: dict[str, Any]) -> str:
    """The exact string that is signed and sent: compact, UTF-8, stable key order."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


# --- Slack ------------------------------------------------------------------


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
