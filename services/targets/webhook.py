"""The generic JSON webhook, signed per Standard Webhooks.

Config: ``{type: webhook, url: https://..., secret: whsec_...}``. The body is
versioned: receivers switch on ``type`` and ``version``; a change that removes
or renames a field bumps the version. The API shows the URL (credentials in it
masked) and ``"secret_set": true``; a PUT without ``secret`` keeps the stored
secret of the target with the same URL (as stored, or as the API showed it).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar, Literal

from pydantic import SecretStr, field_validator
from standardwebhooks.webhooks import Webhook
from watchfloor.services.targets.base import (
    Outcome,
    SendContext,
    TargetConfig,
    check_http_url,
    stored_by_url,
    to_json,
)
from watchfloor.shared.schemas import Alert, Delivery
from watchfloor.shared.urls import redact_credentials

WEBHOOK_SECRET_PREFIX = "whsec_"
# Standard Webhooks: "secret keys SHOULD be between 24 and 64 bytes".
MIN_SECRET_BYTES = 24
WEBHOOK_EVENT_TYPE = "watchfloor.alert"
WEBHOOK_VERSION = 1


class WebhookTarget(TargetConfig):
    """Generic JSON webhook, signed per Standard Webhooks."""

    type: Literal["webhook"]
    url: str
    secret: SecretStr

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return check_http_url(value)

    @field_validator("secret")
    @classmethod
    def _check_secret(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if not raw.startswith(WEBHOOK_SECRET_PREFIX):
            raise ValueError(f"must start with {WEBHOOK_SECRET_PREFIX}")
        body = raw[len(WEBHOOK_SECRET_PREFIX) :]
        try:
            key = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"must be {WEBHOOK_SECRET_PREFIX} followed by base64") from None
        if len(key) < MIN_SECRET_BYTES:
            raise ValueError(f"must encode at least {MIN_SECRET_BYTES} bytes of key")
        return value


class WebhookType:
    name: ClassVar[str] = "webhook"
    config: ClassVar[type[WebhookTarget]] = WebhookTarget
    markers: ClassVar[frozenset[str]] = frozenset({"secret_set"})

    def redacted(self, target: WebhookTarget) -> dict[str, Any]:
        return {"url": redact_credentials(target.url), "secret_set": True}

    def carry_over(
        self, sent: Sequence[dict[str, Any]], stored: Sequence[WebhookTarget]
    ) -> list[dict[str, Any]]:
        # By URL, real or as shown: a masked URL put back gets the real one
        # too, also when a new secret comes with it.
        restored = []
        for target, old in zip(sent, stored_by_url(sent, stored, lambda t: t.url), strict=True):
            if old is not None:
                target = {**target, "url": old.url}
                if "secret" not in target:
                    target["secret"] = old.secret.get_secret_value()
            restored.append(target)
        return restored

    async def send(
        self, delivery: Delivery, target: WebhookTarget, context: SendContext[Outcome]
    ) -> Outcome:
        # Serialised once: the signature covers these exact bytes.
        body = to_json(webhook_body(delivery.alert, now=context.now))
        secret = target.secret.get_secret_value()
        headers = signature_headers(secret, delivery.id, context.now, body)
        return await context.post_json(target.url, body, headers)


TARGET = WebhookType()


# --- payload --------------------------------------------------------------------


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


# --- signature ------------------------------------------------------------------


def signature_headers(secret: str, msg_id: str, now: float, body: str) -> dict[str, str]:
    """Standard Webhooks headers; the library signs, we never hand-roll HMAC.
    ``msg_id`` (the delivery id) is the same on every retry: receivers dedupe on it."""
    # Whole seconds for both: the signature covers the header's value, and a
    # time a hair before a full second would round up at microseconds.
    seconds = int(now)
    timestamp = datetime.fromtimestamp(seconds, UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(seconds),
        "webhook-signature": _signer(secret).sign(msg_id, timestamp, body),
    }


@lru_cache(maxsize=256)
def _signer(secret: str) -> Webhook:
    """Decoding a whsec_ secret once per target, not once per delivery."""
    return Webhook(secret)
