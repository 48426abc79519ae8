"""The ingest API (articles, watchlists) may listen beyond this machine only
behind a real token.

Without ``WATCHFLOOR_API_TOKEN`` anyone who reaches the API can add a
watchlist and so choose where the notifier sends alerts; on a loopback
address only this machine can. So a non-loopback ``WATCHFLOOR_HTTP_HOST``
(``0.0.0.0``, a LAN address, a host name) stops the worker before it starts
when the token is unset, or too short to be one (the deploy files' placeholder,
``REPLACE_ME``, is: a forgotten placeholder must not become the password).
"""

from __future__ import annotations

from watchfloor.shared.addresses import is_loopback_host
from watchfloor.shared.errors import ConfigError
from watchfloor.shared.settings import Settings

MIN_EXPOSED_TOKEN_CHARS = 16
_HOW = ("Set WATCHFLOOR_API_TOKEN to a long random value (e.g. `openssl rand -hex 32`; "
        "clients then send 'Authorization: Bearer <token>'), or listen on 127.0.0.1")


class ApiExposedWithoutToken(ConfigError):
    """The API would listen beyond loopback without a usable token (exit code 2)."""


def check_api_exposure(settings: Settings) -> None:
    """Raise ``ApiExposedWithoutToken`` for a non-loopback host without a token
    of at least ``MIN_EXPOSED_TOKEN_CHARS`` characters."""
    host = settings.http_host
    if is_loopback_host(host):
        return
    where = f"WATCHFLOOR_HTTP_HOST is {host!r}, which is not a loopback address"
    if settings.api_token is None:
        raise ApiExposedWithoutToken(
            f"{where}, and WATCHFLOOR_API_TOKEN is not set: anyone who can reach the API "
            f"could add watchlists and choose where alerts are sent. {_HOW}"
        )
    length = len(settings.api_token.get_secret_value().strip())
    if length < MIN_EXPOSED_TOKEN_CHARS:
        raise ApiExposedWithoutToken(
            f"{where}, and WATCHFLOOR_API_TOKEN has {length} characters, fewer than "
            f"{MIN_EXPOSED_TOKEN_CHARS} (is it still the placeholder?). {_HOW}"
        )
