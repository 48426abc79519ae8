"""The email target: config, what the API shows, carry-over, the message."""

from __future__ import annotations

import email.policy
import json
from email.parser import BytesParser
from typing import Any

import pytest
from pydantic import ValidationError
from watchfloor.services.notifier.delivery import fan_out
from watchfloor.services.targets import carry_over, redacted
from watchfloor.services.targets.base import ADDRESS_POLICY, TargetConfig
from watchfloor.services.targets.email import EmailTarget, email_message
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.shared.addresses import AddressPolicy, parse_allowlist

from tests.unit.notifier.factories import country, figure, make_alert, make_watchlist, tag

NOW = 1_900_000_000.0
BASE = {"type": "email", "to": ["ops@example.org"], "from": "wf@example.org",
        "host": "smtp.example.org"}


def targets(*configs: dict[str, Any], context: dict | None = None) -> list[TargetConfig]:
    return Watchlist.model_validate(
        {"id": "w", "name": "W", "targets": list(configs)}, context=context
    ).targets


# --- config ---------------------------------------------------------------------


def test_a_minimal_email_target_uses_starttls_on_587() -> None:
    (target,) = targets(BASE)
    assert isinstance(target, EmailTarget)
    server = target.server()
    assert (server.host, server.port, server.security) == ("smtp.example.org", 587, "starttls")
    assert server.username is None and server.password is None


@pytest.mark.parametrize(("security", "port"), [("tls", 465), ("none", 25)])
def test_the_default_port_follows_security(security: str, port: int) -> None:
    (target,) = targets({**BASE, "security": security})
    assert target.server().port == port


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"to": []}, "at least 1 item"),
        ({"to": ["not-an-address"]}, "is not an email address"),
        ({"to": ["ops@example.org\r\nBcc: x@example.org"]}, "is not an email address"),
        ({"from": "Ops <ops@example.org>"}, "is not an email address"),
        # the parser raises no ValueError for these: a traceback at start-up, a 500
        ({"to": ["duty-officer@example.org."]}, "is not an email address"),
        ({"to": ["ops@@example.org"]}, "is not an email address"),
        ({"from": "ops@example..org"}, "is not an email address"),
        ({"host": "smtp://smtp.example.org"}, "must be a host name"),
        ({"port": 0}, "greater than or equal to 1"),
        ({"security": "ssl"}, "'starttls', 'tls' or 'none'"),
        ({"username": "wf"}, "username and password go together"),
        ({"security": "none", "username": "wf", "password": "pw"}, "never sent in clear"),
        ({"cc": ["x@example.org"]}, "Extra inputs are not permitted"),
    ],
)
def test_a_broken_config_is_refused_with_a_clear_message(change: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        targets({**BASE, **change})


def test_a_literal_non_public_host_is_refused_when_saved() -> None:
    context = {ADDRESS_POLICY: AddressPolicy()}
    for host in ("127.0.0.1", "10.1.2.3", "[::1]"):
        with pytest.raises(ValidationError, match="is refused: it points at"):
            targets({**BASE, "host": host}, context=context)
    allowed = {ADDRESS_POLICY: AddressPolicy(parse_allowlist("127.0.0.0/8"))}
    (target,) = targets({**BASE, "host": "127.0.0.1"}, context=allowed)
    assert target.server().host == "127.0.0.1"


# --- API view and carry-over ----------------------------------------------------


def test_the_api_shows_all_but_the_password() -> None:
    (target,) = targets({**BASE, "port": 2525, "username": "wf", "password": "harbour61"})
    shown = redacted(target)
    assert shown == {"type": "email", "to": ["ops@example.org"], "from": "wf@example.org",
                     "host": "smtp.example.org", "port": 2525, "security": "starttls",
                     "username": "wf", "password_set": True}
    assert "harbour61" not in json.dumps(shown) and "harbour61" not in repr(target)


def test_what_was_shown_put_back_keeps_the_password() -> None:
    stored = targets({**BASE, "username": "wf", "password": "harbour61"},
                     {**BASE, "host": "relay.example.org", "username": "wf", "password": "quay2"})
    assert targets(*carry_over([redacted(t) for t in stored], stored)) == stored


def test_another_server_or_account_gets_no_stored_password() -> None:
    stored = targets({**BASE, "username": "wf", "password": "harbour61"})
    moved = {**BASE, "host": "other.example.org", "username": "wf"}
    renamed = {**BASE, "username": "someone"}
    assert carry_over([moved, renamed], stored) == [moved, renamed]
    assert carry_over([{**BASE, "username": "wf", "password": "new"}], stored)[0]["password"] == "new"


# --- the message ----------------------------------------------------------------


def delivery_for(alert):
    watchlist = make_watchlist(targets=[BASE])
    (delivery,) = fan_out([alert], [watchlist], now=NOW)
    return delivery


def test_the_message_has_subject_recipients_and_both_bodies() -> None:
    alert = make_alert(tags=[tag(confidence=0.8)], actors=[country("KP", "North Korea")],
                       figures=[figure()])
    delivery = delivery_for(alert)
    (target,) = targets({**BASE, "to": ["ops@example.org", "duty@example.org"]})
    message = email_message(delivery, target, now=NOW)
    assert message["Subject"] == "[Test watchlist] Coastal battery fires rockets during drill"
    assert message["To"] == "ops@example.org, duty@example.org"
    assert message["From"] == "wf@example.org"
    assert message["Message-ID"] == f"<{delivery.id}@watchfloor>"
    plain = message.get_body(("plain",)).get_content()
    rich = message.get_body(("html",)).get_content()
    for text in ("missile_test 80%", "North Korea", "two rockets", alert.article.url,
                 "The coastal battery fired two rockets into the strait on Tuesday."):
        assert text in plain
    assert f'<a href="{alert.article.url}">Coastal battery fires rockets during drill</a>' in rich


def test_alert_text_is_html_escaped_and_only_http_links_are_made() -> None:
    alert = make_alert(title='<script>alert(1)</script> & "quotes"',
                       url="javascript:alert(1)", source="<b>Wire</b>",
                       actors=[country("XX", "<img src=x onerror=y>")])
    (target,) = targets(BASE)
    rich = email_message(delivery_for(alert), target, now=NOW).get_body(("html",)).get_content()
    assert "<script>" not in rich and "<img" not in rich and "<b>Wire" not in rich
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;" in rich
    assert "javascript:" not in rich


def test_a_headline_with_newlines_cannot_add_headers_and_sizes_are_bounded() -> None:
    alert = make_alert(title="Launch\r\nBcc: everyone@example.org " + "x" * 5000,
                       tags=[tag(f"t{n}", evidence="w " * 5000) for n in range(40)])
    (target,) = targets(BASE)
    message = email_message(delivery_for(alert), target, now=NOW)
    assert message["Bcc"] is None
    assert len(message["Subject"]) <= 200
    assert len(message.as_bytes()) < 40_000
    assert "and 20 more" in message.get_body(("plain",)).get_content()


def test_an_encoded_word_in_a_headline_cannot_add_headers_or_a_body() -> None:
    # RFC 2047: the email package decodes "=?...?=" when a header is set, and
    # "=0D=0A" in it is a line break
    alert = make_alert(title="Launch =?utf-8?q?=0D=0AReply-To:_x@evil.example=0D=0A=0D=0A"
                             "Log_in_at_evil.example?= ends")
    (target,) = targets(BASE)
    sent = email_message(delivery_for(alert), target, now=NOW).as_bytes()
    received = BytesParser(policy=email.policy.default).parsebytes(sent)
    assert received["Reply-To"] is None
    assert received["From"] == "wf@example.org"
    assert "\n" not in str(received["Subject"]) and "Log_in" in str(received["Subject"])
    assert received.get_content_type() == "multipart/alternative"  # MIME headers kept
