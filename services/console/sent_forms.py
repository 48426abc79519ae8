"""Forms that must not do their work twice when a browser resends them.

Reloading the page a POST answered sends the POST again (the browser asks
first, and people confirm). For "Replace token" that issued another token and
ended the one just handed out. Such a form carries a random id; the first
POST with it claims the id, and a second one is refused instead of done.
"""

from __future__ import annotations

import re
import secrets

import redis.asyncio as aioredis
from watchfloor.shared.keys import Keys

FORM_ID_FIELD = "form_id"
_FORM_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
# A page left open longer than this can send its form once more.
REMEMBERED_S = 7 * 86_400


def new_form_id() -> str:
    return secrets.token_urlsafe(16)


class SentForms:
    """Which forms (by their id) have been sent."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def claim(self, form_id: str) -> bool:
        """True the first time ``form_id`` is sent; False after (or when it is
        not an id this console gave out)."""
        if not _FORM_ID.fullmatch(form_id):
            return False
        return bool(await self._redis.set(self._keys.console_form_sent(form_id), 1,
                                          nx=True, ex=REMEMBERED_S))

    async def release(self, form_id: str) -> None:
        """The form's work was refused: sending it again is not a repeat."""
        if _FORM_ID.fullmatch(form_id):
            await self._redis.delete(self._keys.console_form_sent(form_id))
