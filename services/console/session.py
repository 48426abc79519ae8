"""Console sessions: a signed cookie holding who signed in and a CSRF token.

The cookie is signed (itsdangerous) with a random key kept in Redis, made on
first use, so every ingest copy accepts every other's cookies and a restart
signs nobody out. It is HttpOnly and SameSite=Strict; it carries no secret
beyond the per-session CSRF token, which every state-changing request must
send back (a hidden form field or the ``X-CSRF-Token`` header) and which is
compared in constant time. A session names the account's ``generation``: a
new token for the account (or the account removed and made again) ends its
older sessions. A signed-in session lasts ``MAX_AGE_S`` from the sign-in,
however often its cookie is signed again, and has an id: signing out
records it (``SignedOut``), so a copy of the cookie is refused too.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
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
    session_id: str = ""  # signed-in sessions only
    signed_in_at: int = 0  # epoch seconds

    @classmethod
    def anonymous(cls) -> Session:
        return cls(csrf=secrets.token_urlsafe(24))

    def signed_in(self, user: str, generation: int, *, now: float | None = None) -> Session:
        """A fresh session for ``user``: a new CSRF token and id too (no fixation)."""
        return replace(Session.anonymous(), user=user, generation=generation,
                       session_id=secrets.token_urlsafe(16),
                       signed_in_at=int(time.time() if now is None else now))


class SessionCodec:
    """Cookie value <-> Session, signed with ``key``."""

    def __init__(self, key: bytes, *, max_age_s: int = MAX_AGE_S) -> None:
        self._serializer = URLSafeTimedSerializer(key, salt="watchfloor-console-session")
        self.max_age_s = max_age_s

    def dumps(self, session: Session) -> str:
        return self._serializer.dumps(
            {"c": session.csrf, "u": session.user, "g": session.generation,
             "s": session.session_id, "t": session.signed_in_at})

    def remaining_s(self, session: Session, now: float | None = None) -> int:
        """How long a signed-in session has left."""
        elapsed = (time.time() if now is None else now) - session.signed_in_at
        return max(0, int(self.max_age_s - elapsed))

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
        session_id, signed_in_at = data.get("s", ""), data.get("t", 0)
        if (not isinstance(user, str | None) or not isinstance(generation, int)
                or not isinstance(session_id, str) or not isinstance(signed_in_at, int)):
            return None
        session = Session(csrf=data["c"], user=user, generation=generation,
                          session_id=session_id, signed_in_at=signed_in_at)
        if user is not None and (not session_id or self.remaining_s(session) <= 0):
            # signed in longer ago than a session lasts (or by a console before
            # sessions had ids): signed out, the CSRF token kept for the sign-in form
            return Session(csrf=session.csrf)
        return session


def csrf_ok(session: Session | None, sent: str | None) -> bool:
    return bool(session and sent) and hmac.compare_digest(session.csrf.encode(), sent.encode())


async def signing_key(redis: aioredis.Redis, key_name: str) -> bytes:
    """The shared cookie-signing key: made once (SET NX), then read."""
    await redis.set(key_name, secrets.token_hex(32), nx=True)
    value = await redis.get(key_name)
    if value is None:  # removed between the two calls: make it again
        return await signing_key(redis, key_name)
    return value if isinstance(value, bytes) else value.encode()


class SignedOut:
    """The ids of sessions signed out before they ran out, each kept until
    its session would have ended anyway."""

    def __init__(self, redis: aioredis.Redis, key: Callable[[str], str]) -> None:
        self._redis = redis
        self._key = key

    async def record(self, session: Session, remaining_s: int) -> None:
        if session.session_id and remaining_s > 0:
            await self._redis.set(self._key(session.session_id), 1, ex=remaining_s)

    async def includes(self, session: Session) -> bool:
        return bool(session.session_id) and bool(
            await self._redis.exists(self._key(session.session_id)))
