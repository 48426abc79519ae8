"""Console sessions: a signed cookie holding who signed in and a CSRF token.

The cookie is signed (itsdangerous) with a random key kept in Redis, made on
first use, so every ingest copy accepts every other's cookies and a restart
signs nobody out. It is HttpOnly and SameSite=Strict; it carries no secret
beyond the per-session CSRF token, which every state-changing request must
send back (a hidden form field or the ``X-CSRF-Token`` header) and which is
compared in constant time. A session names the account's ``generation``: a
new token for the account ends its older sessions.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, URLSafeTimedSerializer

if TYPE_CHECKING:
    import redis.asyncio as aioredis

COOKIE = "watchfloor_console"
MAX_AGE_S = 12 * 3600
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Session:
    csrf: str
    user: str | None = None
    generation: int = 0

    @classmethod
    def anonymous(cls) -> Session:
        return cls(csrf=secrets.token_urlsafe(24))

    def signed_in(self, user: str, generation: int) -> Session:
        """A fresh session for ``user``: a new CSRF token too (no fixation)."""
        return replace(Session.anonymous(), user=user, generation=generation)


class SessionCodec:
    """Cookie value <-> Session, signed with ``key``."""

    def __init__(self, key: bytes, *, max_age_s: int = MAX_AGE_S) -> None:
        self._serializer = URLSafeTimedSerializer(key, salt="watchfloor-console-session")
        self.max_age_s = max_age_s

    def dumps(self, session: Session) -> str:
        return self._serializer.dumps(
            {"c": session.csrf, "u": session.user, "g": session.generation})

    def loads(self, cookie: str | None) -> Session | None:
        """The session, or None when missing, forged, expired or malformed."""
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=self.max_age_s)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        user, generation = data.get("u"), data.get("g", 0)
        if not isinstance(user, str | None) or not isinstance(generation, int):
            return None
        return Session(csrf=data["c"], user=user, generation=generation)


def csrf_ok(session: Session | None, sent: str | None) -> bool:
    return bool(session and sent) and hmac.compare_digest(session.csrf.encode(), sent.encode())


async def signing_key(redis: aioredis.Redis, key_name: str) -> bytes:
    """The shared cookie-signing key: made once (SET NX), then read."""
    await redis.set(key_name, secrets.token_hex(32), nx=True)
    value = await redis.get(key_name)
    if value is None:  # removed between the two calls: make it again
        return await signing_key(redis, key_name)
    return value if isinstance(value, bytes) else value.encode()
