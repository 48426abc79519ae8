"""Prometheus Alertmanager: alerts posted to ``/api/v2/alerts``.

Config::

    {type: alertmanager, url: https://alertmanager.example.org,
     username: ..., password: ...}     # optional basic auth, or
     token: ...}                       # optional bearer token (not both)

``url`` is Alertmanager's base URL (``/api/v2/alerts`` is added; a URL that
already ends with it is taken as it is). The API shows the URL (credentials
in it masked) and ``"password_set"``/``"token_set": true``; a PUT without
``password``/``token`` keeps the stored one of the target with the same URL
(as stored, or as the API showed it).

One Watchfloor alert becomes **one Alertmanager alert per tag**, so that
routes, silences and inhibitions can match a tag exactly (``tag="nuclear"``)
and each carries its own severity. Labels (what Alertmanager groups and
deduplicates on):

=============  ===============================================================
``alertname``  ``WatchfloorAlert``
``watchlist``  the watchlist's id
``tag``        the tag
``severity``   from the tag's confidence: ``critical`` ≥ 0.9, ``warning``
               ≥ 0.7, else ``info``
``story``      the article's story id: every version of a story has the same
               labels, so Alertmanager keeps it as one alert (and
               ``group_by: [story]`` sends a story's tags together)
``modality``   asserted, reported, planned, ...
=============  ===============================================================

Annotations: ``title``, ``evidence``, ``url``, ``source``, ``actors``,
``figures``, ``alert_id`` (each clipped). ``startsAt`` is when the alert was
raised, ``endsAt`` that plus ``active_for_s`` (default an hour, after which
Alertmanager resolves it), ``generatorURL`` the article's URL.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from watchfloor.services.targets.base import (
    Outcome,
    SendContext,
    TargetConfig,
    check_http_url,
    stored_by_url,
    to_json,
)
from watchfloor.shared.schemas import Alert, Delivery, TagMatch
from watchfloor.shared.urls import redact_credentials

API_PATH = "/api/v2/alerts"
ALERT_NAME = "WatchfloorAlert"
#: Severity by confidence, highest first.
SEVERITIES = ((0.9, "critical"), (0.7, "warning"), (0.0, "info"))
#: At most this many alerts (tags) per delivery; annotation values clipped.
MAX_ALERTS = 20
ANNOTATION_MAX = 1000
LABEL_MAX = 200
_ELLIPSIS = "…"


class AlertmanagerTarget(TargetConfig):
    """Alertmanager's v2 API; secrets (password, token) are ``SecretStr``."""

    type: Literal["alertmanager"]
    url: str
    username: str | None = None
    password: SecretStr | None = None
    token: SecretStr | None = None
    active_for_s: float = Field(3600.0, gt=0, le=30 * 86400)

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return check_http_url(value)

    @field_validator("token", "password")
    @classmethod
    def _header_safe(cls, value: SecretStr | None) -> SecretStr | None:
        # a secret read from a file often ends in a newline, which no HTTP
        # header may hold: every send would fail
        if value is None:
            return None
        raw = value.get_secret_value().strip()
        if not raw or any(ord(c) < 32 or ord(c) == 127 for c in raw):
            raise ValueError("must be one line of text, without control characters")
        return SecretStr(raw)

    @model_validator(mode="after")
    def _one_way_to_sign_in(self) -> AlertmanagerTarget:
        if self.token is not None and (self.username or self.password):
            raise ValueError("give either username and password, or token, not both")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        # the HTTP client refuses a sign-in header beside a URL's own
        # user:password@, so every send would fail
        if (self.username or self.token) and "@" in urlsplit(self.url).netloc:
            raise ValueError("the url carries credentials (user:password@): give them either "
                             "there or as username and password or token, not both")
        return self

    def alerts_url(self) -> str:
        """The API's alerts endpoint: ``API_PATH`` added to the URL's path
        (not after its query: ``?tenant=ops`` stays a query)."""
        parts = urlsplit(self.url)
        path = parts.path.rstrip("/")
        if not path.endswith(API_PATH):
            path += API_PATH
        return urlunsplit(parts._replace(path=path))


class AlertmanagerType:
    name: ClassVar[str] = "alertmanager"
    config: ClassVar[type[AlertmanagerTarget]] = AlertmanagerTarget
    markers: ClassVar[frozenset[str]] = frozenset({"password_set", "token_set"})

    def redacted(self, target: AlertmanagerTarget) -> dict[str, Any]:
        shown: dict[str, Any] = {"url": redact_credentials(target.url),
                                 "active_for_s": target.active_for_s}
        if target.username is not None:
            shown |= {"username": target.username, "password_set": True}
        if target.token is not None:
            shown["token_set"] = True
        return shown

    def carry_over(
        self, sent: Sequence[dict[str, Any]], stored: Sequence[AlertmanagerTarget]
    ) -> list[dict[str, Any]]:
        # By URL, real or as shown: a masked URL put back gets the real one too.
        restored = []
        for target, old in zip(sent, stored_by_url(sent, stored, lambda t: t.url), strict=True):
            if old is not None:
                target = {**target, "url": old.url}
                # one sign-in or the other: the one given replaces the stored
                # one (a token sent drops the stored password, and back), and
                # a password belongs to its username
                if (old.password is not None and not {"password", "token"} & target.keys()
                        and target.get("username") == old.username):
                    target["password"] = old.password.get_secret_value()
                if old.token is not None and not {"password", "token"} & target.keys():
                    target["token"] = old.token.get_secret_value()
            restored.append(target)
        return restored

    async def send(
        self, delivery: Delivery, target: AlertmanagerTarget, context: SendContext[Outcome]
    ) -> Outcome:
        body = to_json(alertmanager_body(delivery.alert, now=context.now,
                                         active_for_s=target.active_for_s))
        return await context.post_json(target.alerts_url(), body, auth_headers(target))


TARGET = AlertmanagerType()


def auth_headers(target: AlertmanagerTarget) -> dict[str, str]:
    if target.token is not None:
        return {"authorization": f"Bearer {target.token.get_secret_value()}"}
    if target.username is not None and target.password is not None:
        pair = f"{target.username}:{target.password.get_secret_value()}".encode()
        return {"authorization": f"Basic {base64.b64encode(pair).decode()}"}
    return {}


# --- payload --------------------------------------------------------------------


def severity(confidence: float) -> str:
    return next(name for floor, name in SEVERITIES if confidence >= floor)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _labels(alert: Alert, tag: TagMatch) -> dict[str, str]:
    article = alert.article
    labels = {
        "alertname": ALERT_NAME,
        "watchlist": alert.watchlist_id,
        "tag": tag.tag,
        "severity": severity(tag.confidence),
        "modality": tag.modality,
        "story": article.story_id or article.id,
    }
    # An empty label value means "no label" to Alertmanager: leave those out.
    return {name: _clip(value, LABEL_MAX) for name, value in labels.items() if value}


def _annotations(alert: Alert, tag: TagMatch) -> dict[str, str]:
    article = alert.article
    annotations = {
        "title": article.title,
        "summary": f"{alert.watchlist_name}: {article.title}",
        "evidence": " ".join(tag.evidence.split()),
        "confidence": f"{tag.confidence:.2f}",
        "url": article.url or "",
        "source": article.source or "",
        "actors": ", ".join(a.name for a in alert.actors),
        "figures": "; ".join(f.text for f in alert.figures),
        "alert_id": alert.id,
    }
    # A URL is never cut: one too long is left out.
    if len(annotations["url"]) > ANNOTATION_MAX:
        annotations["url"] = ""
    return {k: _clip(v, ANNOTATION_MAX) for k, v in annotations.items() if v}


def alertmanager_body(alert: Alert, *, now: float, active_for_s: float) -> list[dict[str, Any]]:
    """The ``POST /api/v2/alerts`` body: one alert per tag (at most ``MAX_ALERTS``,
    the most confident first)."""
    starts = alert.created_at
    ends = max(starts, datetime.fromtimestamp(now, UTC)) + timedelta(seconds=active_for_s)
    url = alert.article.url
    tags = sorted(alert.tags, key=lambda t: -t.confidence)[:MAX_ALERTS]
    alerts = []
    for tag in tags:
        item: dict[str, Any] = {
            "labels": _labels(alert, tag),
            "annotations": _annotations(alert, tag),
            "startsAt": _iso(starts),
            "endsAt": _iso(ends),
        }
        if url and len(url) <= ANNOTATION_MAX:
            item["generatorURL"] = url
        alerts.append(item)
    return alerts
