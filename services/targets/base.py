"""What a target type is: the protocol each module of this package implements.

A target type owns everything about one kind of destination:

==============  ==============================================================
``name``        the ``type:`` a watchlist gives (``webhook``)
``config``      its pydantic model: the fields a watchlist gives, validated;
                secrets are ``SecretStr`` so they never print
``redacted``    what the watchlists API shows of it: never a secret
``markers``     the flags ``redacted`` shows in place of secrets
                (``secret_set``); a PUT that sends them back has them dropped
``carry_over``  a PUT that sends back what it read (secrets missing) gets the
                stored secrets back
``send``        one attempt: build the payload, hand it to the context
==============  ==============================================================

Every target has a ``name``, unique within its watchlist: the one it is
given (letters, digits, ``.``, ``_``, ``-``), else ``<type>-<n>``, n counting
the watchlist's targets of that type from 1 (``targets.target_names``). Deliveries
refer to a target by it, so a waiting delivery reaches the target's current
URL and secret after an edit; renaming a target, or moving an unnamed one
among its type, makes it another target.

Every field named in a config's ``url_fields`` is checked when a watchlist
is saved (file load, the watchlists API): a host written as a literal
address that is not public (loopback, private, link-local, ...) and not
opened by ``WATCHFLOOR_TARGET_ALLOWLIST`` is refused. The caller passes the
``AddressPolicy`` in the validation context under ``ADDRESS_POLICY``; without
it (re-reading what was already saved) the save-time check is skipped, and the
notifier's connect-time check (``shared.egress``) still refuses the address.

Senders do not do I/O themselves: the notifier gives them a ``SendContext``
whose methods reach the outside world and judge the answer (delivered, retry,
give up: the notifier's ``DeliveryResult``). So a target type shapes what is
sent and where, never decides retries, and this part imports nothing of the
notifier nor of the watchlists (both stand on it). A target that does not
POST JSON (email) asks the context for its own way out (``send_mail``), which
the notifier then provides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator
from watchfloor.shared.addresses import AddressPolicy
from watchfloor.shared.schemas import Delivery
from watchfloor.shared.urls import REDACTED, is_http_url, redact_credentials

#: What one attempt came to: the notifier's ``DeliveryResult``. A type
#: variable, so that this part need not import the notifier.
Outcome = TypeVar("Outcome")
Outcome_co = TypeVar("Outcome_co", covariant=True)
Config = TypeVar("Config", bound="TargetConfig")

#: The validation-context key under which callers pass the ``AddressPolicy``.
ADDRESS_POLICY = "address_policy"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class TargetConfig(BaseModel):
    """Base of every target type's config model. Unknown keys are refused:
    a misspelt ``secrte`` must not leave a target unsigned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The fields holding a URL the notifier connects to (str or SecretStr).
    url_fields: ClassVar[frozenset[str]] = frozenset({"url"})

    type: str
    name: str | None = None  # see the module docstring; None: ``<type>-<n>``
    #: At most this many sends a second to this target; None: the type's
    #: ``default_rate_per_s`` (Slack 1), else no limit. Over it, a delivery
    #: waits in the retry schedule (not a failure, not an attempt).
    rate_per_s: float | None = Field(None, gt=0, le=1000)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str | None) -> str | None:
        if value is not None and not _NAME.fullmatch(value):
            raise ValueError(
                "must be 1 to 64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        return value

    @field_validator("*")
    @classmethod
    def _check_address(cls, value: Any, info: ValidationInfo) -> Any:
        """Save time: refuse a literal non-public address (see the module docstring)."""
        policy = (info.context or {}).get(ADDRESS_POLICY)
        if info.field_name not in cls.url_fields or not isinstance(policy, AddressPolicy):
            return value
        url = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(url, str):
            problem = policy.literal_refusal(url)
            if problem is not None:
                raise ValueError(problem)
        return value


class SendContext(Protocol[Outcome_co]):
    """What the notifier gives a sender for one attempt."""

    @property
    def now(self) -> float:
        """The attempt's time, unix seconds (timestamps, signatures)."""
        ...

    async def post_json(self, url: str, body: str, headers: Mapping[str, str]) -> Outcome_co:
        """POST ``body`` (already JSON) with ``content-type: application/json``
        and these extra headers; never follows a redirect."""
        ...

    async def send_mail(self, message: EmailMessage, server: MailServer) -> Outcome_co:
        """Send ``message`` (its From and To headers are the envelope) through
        ``server``, under the same address guard and time budget as a POST."""
        ...


@dataclass(frozen=True)
class MailServer:
    """Where ``send_mail`` hands a message: an SMTP server and how to talk to it."""

    host: str
    port: int
    security: Literal["starttls", "tls", "none"]
    username: str | None = None
    password: str | None = field(default=None, repr=False)


class TargetType(Protocol[Config]):
    """One kind of destination. See the module docstring for each member."""

    name: ClassVar[str]
    config: ClassVar[type[TargetConfig]]
    markers: ClassVar[frozenset[str]]

    def redacted(self, target: Config) -> dict[str, Any]: ...

    def carry_over(
        self, sent: Sequence[dict[str, Any]], stored: Sequence[Config]
    ) -> list[dict[str, Any]]:
        """``sent``: this type's targets of a PUT body, in order, markers
        dropped; ``stored``: this type's targets as stored, in order. Returns
        ``sent`` with the stored secrets put back where the client left them out."""
        ...

    async def send(
        self, delivery: Delivery, target: Config, context: SendContext[Outcome]
    ) -> Outcome: ...


# --- helpers for target types -------------------------------------------------


def check_http_url(url: str) -> str:
    """``url`` if it is http(s) with a host that can be looked up and a
    port up to 65535 (``is_http_url``); else ValueError, which does not echo
    the value: a URL can carry a token."""
    if not is_http_url(url):
        raise ValueError("must be an http(s) URL with a host")
    if REDACTED in url:
        # what the API shows in place of a credential, sent back for a target
        # it does not match: stored as is, every delivery would fail
        raise ValueError(f"holds {REDACTED} where the API hid a credential: give the full URL")
    return url


def stored_by_url(
    sent: Sequence[dict[str, Any]], stored: Sequence[Config], url_of: Callable[[Config], str]
) -> list[Config | None]:
    """For each target of a PUT body, the stored target it sends back, by its
    URL: the real one, or as the API shows it (credentials hidden). Two
    stored targets can show the same URL (``?token=***``): then the one of
    the same ``name``, or, unnamed, at the same place among its type's
    targets (how an unnamed target is told apart anyway); else none, so a
    secret never goes to a target it does not belong to."""
    matches: list[Config | None] = []
    for place, target in enumerate(sent):
        url = target.get("url")
        if not isinstance(url, str):
            matches.append(None)
            continue
        found = ([old for old in stored if url_of(old) == url]
                 or [old for old in stored if redact_credentials(url_of(old)) == url])
        if len(found) > 1:
            name = target.get("name")
            found = ([old for old in found if old.name == name] if name is not None
                     else [old for old in found
                           if old.name is None and place < len(stored) and stored[place] is old])
        matches.append(found[0] if len(found) == 1 else None)
    return matches


def to_json(body: dict[str, Any]) -> str:
    """The exact string that is signed and sent: compact, UTF-8, stable key order."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
