"""Email over SMTP: a plain-text and HTML message per alert.

Config::

    {type: email, to: [ops@example.org], from: watchfloor@example.org,
     host: smtp.example.org, port: 587, security: starttls,
     username: watchfloor, password: ...}

``security`` is ``starttls`` (default; port 587), ``tls`` (implicit TLS,
port 465) or ``none`` (plain, port 25: for a relay on the same network, and
then without username/password, which would cross in clear). ``port``
defaults by ``security``. ``username``/``password`` are optional, together.
The API shows everything but the password (``"password_set": true``); a PUT
without ``password`` keeps the stored one of the email target with the same
host and username.

The host is checked like a URL's: a literal non-public address is refused
when the watchlist is saved, and every address it resolves to is checked
when the notifier connects (``WATCHFLOOR_TARGET_ALLOWLIST`` opens ranges).

The message: ``Subject: [<watchlist>] <headline>``, a ``Message-ID`` made
from the delivery id (the same on every retry, so a mail system can drop a
duplicate), the alert as plain text and as HTML (every piece of alert text
HTML-escaped; links only to http(s) URLs). Sending, and what an SMTP answer
means (4xx retried, 5xx permanent), is the notifier's (``send_mail``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, SecretStr, ValidationInfo, field_validator, model_validator
from watchfloor.services.targets.base import (
    ADDRESS_POLICY,
    MailServer,
    Outcome,
    SendContext,
    TargetConfig,
)
from watchfloor.services.targets.evidence import evidence_of
from watchfloor.shared.addresses import AddressPolicy
from watchfloor.shared.schemas import Alert, Delivery

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
MAX_RECIPIENTS = 50
SUBJECT_MAX = 200
TEXT_MAX = 2000  # a title, the evidence; lists show at most LIST_MAX items
LIST_MAX = 20
_ELLIPSIS = "…"


def _address(value: str) -> str:
    """``value`` if it is one plain address (``name@domain``); else ValueError."""
    try:
        parsed = Address(addr_spec=value)
    except (ValueError, IndexError, TypeError, HeaderParseError):  # the last is no ValueError
        raise ValueError(f"{value!r} is not an email address such as ops@example.org") from None
    if not parsed.username or "." not in parsed.domain:
        raise ValueError(f"{value!r} is not an email address such as ops@example.org")
    return value


class EmailTarget(TargetConfig):
    """SMTP delivery. ``from`` is a Python keyword, hence the alias."""

    # ``sender`` is read too: versions before 2026-12 stored it by that name
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    url_fields: ClassVar[frozenset[str]] = frozenset()

    type: Literal["email"]
    to: tuple[str, ...] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    sender: str = Field(alias="from")
    host: str = Field(min_length=1, max_length=253)
    port: int | None = Field(None, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = Field(None, min_length=1)
    password: SecretStr | None = None

    @field_validator("to")
    @classmethod
    def _check_to(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_address(item) for item in value)

    @field_validator("sender")
    @classmethod
    def _check_sender(cls, value: str) -> str:
        return _address(value)

    @field_validator("host")
    @classmethod
    def _check_host(cls, value: str, info: ValidationInfo) -> str:
        if any(c in value for c in "/:@ ?#") and not value.startswith("["):
            raise ValueError("must be a host name or address, such as smtp.example.org")
        policy = (info.context or {}).get(ADDRESS_POLICY)
        if isinstance(policy, AddressPolicy):
            problem = policy.literal_refusal(f"smtp://{value}")
            if problem is not None:
                raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _check_sign_in(self) -> EmailTarget:
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        if self.password is not None and self.security == "none":
            raise ValueError(
                "a password is never sent in clear: use security starttls or tls"
            )
        return self

    def server(self) -> MailServer:
        host = self.host.strip("[]")
        return MailServer(
            host=host,
            port=self.port or DEFAULT_PORTS[self.security],
            security=self.security,
            username=self.username,
            password=self.password.get_secret_value() if self.password else None,
        )


class EmailType:
    name: ClassVar[str] = "email"
    config: ClassVar[type[EmailTarget]] = EmailTarget
    markers: ClassVar[frozenset[str]] = frozenset({"password_set"})

    def redacted(self, target: EmailTarget) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "to": list(target.to),
            "from": target.sender,
            "host": target.host,
            "security": target.security,
        }
        if target.port is not None:
            shown["port"] = target.port
        if target.username is not None:
            shown |= {"username": target.username, "password_set": True}
        return shown

    def carry_over(
        self, sent: Sequence[dict[str, Any]], stored: Sequence[EmailTarget]
    ) -> list[dict[str, Any]]:
        # By (host, username): the password belongs to that account on that server.
        kept = {(old.host, old.username): old.password for old in stored if old.password}
        restored = []
        for target in sent:
            key = (target.get("host"), target.get("username"))
            password = kept.get(key) if all(isinstance(k, str) for k in key) else None
            if password is not None and "password" not in target:
                target = {**target, "password": password.get_secret_value()}
            restored.append(target)
        return restored

    async def send(
        self, delivery: Delivery, target: EmailTarget, context: SendContext[Outcome]
    ) -> Outcome:
        message = email_message(delivery, target, now=context.now)
        return await context.send_mail(message, target.server())


TARGET = EmailType()


# --- the message ----------------------------------------------------------------


def _line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS


def _header_line(text: str, limit: int) -> str:
    """``_line`` for a header: "=?" opens an RFC 2047 encoded word, which the
    email package decodes when the header is set, line breaks included (a
    title could then add headers or a body of its own); a space keeps it text."""
    return _line(text.replace("=?", "= ?"), limit)


def _http_url(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("https://", "http://")) else None


def _shown(items: Sequence[str]) -> str:
    more = f", and {len(items) - LIST_MAX} more" if len(items) > LIST_MAX else ""
    return ", ".join(_line(i, 200) for i in items[:LIST_MAX]) + more


def _sections(alert: Alert) -> list[tuple[str, str]]:
    """(heading, text) pairs shown in both bodies."""
    article = alert.article
    published = (article.published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
                 if article.published_at else "")
    tags = [f"{t.tag} {t.confidence:.0%}" + ("" if t.modality == "asserted" else f", {t.modality}")
            for t in alert.tags]
    evidence = evidence_of(alert)
    rows = [
        ("Source", " · ".join(p for p in (_line(article.source or "", 200), published) if p)),
        ("Tags", _shown(tags)),
        *[("Evidence" + (f" ({', '.join(e.tags)})" if len(evidence) > 1 else ""),
           _line(e.sentence, TEXT_MAX)) for e in evidence],
        ("Actors", _shown([a.name for a in alert.actors])),
        ("Figures", _shown([f.text for f in alert.figures])),
    ]
    return [(heading, text) for heading, text in rows if text]


def plain_text(alert: Alert) -> str:
    article = alert.article
    lines = [_line(article.title, TEXT_MAX)]
    url = _http_url(article.url)
    if url:
        lines.append(url)
    lines.append("")
    lines += [f"{heading}: {text}" for heading, text in _sections(alert)]
    lines += ["", f"Watchlist: {_line(alert.watchlist_name, 200)}",
              f"Alert {alert.id} · {_line(alert.classifier_version, 200)}"]
    return "\n".join(lines) + "\n"


def html_text(alert: Alert) -> str:
    esc = html.escape
    article = alert.article
    title = esc(_line(article.title, TEXT_MAX))
    url = _http_url(article.url)
    headline = f'<a href="{esc(url, quote=True)}">{title}</a>' if url else title
    rows = "".join(
        f'<tr><th align="left" valign="top">{esc(heading)}</th><td>{esc(text)}</td></tr>'
        for heading, text in _sections(alert)
    )
    return (
        "<!DOCTYPE html><html><body>"
        f"<p>{esc(_line(alert.watchlist_name, 200))}</p>"
        f"<h2>{headline}</h2>"
        f"<table>{rows}</table>"
        f"<p><small>Alert {esc(alert.id)} · {esc(_line(alert.classifier_version, 200))}"
        "</small></p></body></html>"
    )


def email_message(delivery: Delivery, target: EmailTarget, *, now: float) -> EmailMessage:
    alert = delivery.alert
    message = EmailMessage()
    name = _line(alert.watchlist_name, 60)
    message["Subject"] = _header_line(f"[{name}] {alert.article.title}", SUBJECT_MAX)
    message["From"] = target.sender
    message["To"] = ", ".join(target.to)
    message["Date"] = format_datetime(datetime.fromtimestamp(now, UTC))
    message["Message-ID"] = f"<{delivery.id}@watchfloor>"
    message["X-Watchfloor-Alert"] = alert.id
    message.set_content(plain_text(alert))
    message.add_alternative(html_text(alert), subtype="html")
    return message
