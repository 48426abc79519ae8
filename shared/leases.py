"""Leases: a short-lived Redis key holding a random token, so that one copy
of a worker at a time does a piece of work (polls a feed, sends a delivery).

A lease is taken with SET NX and an expiry, so a holder that dies frees it by
timing out, and it is freed only by its holder: compare the token, then
delete, in one Lua call, so a copy whose lease expired never frees the lease
another copy has taken since.

- One lease at a time (the feed poller): ``single_lease``, redis-py's
  ``Lock``, which is exactly that (SET NX PX with a token; compare-and-delete
  on release), used without blocking.
- A batch of leases (the delivery batch): ``queue_take`` and
  ``queue_release`` write the same keys and values by hand, because the batch
  takes its leases in the pipeline that also reads its delivered markers and
  frees them inside the MULTI/EXEC that writes its outcomes. ``Lock`` would
  cost a round trip per lease, and a batch holds hundreds.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

from redis.exceptions import LockNotOwnedError

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import Pipeline
    from redis.asyncio.lock import Lock

# Delete each lease only if it still holds our token. KEYS: leases; ARGV: tokens.
_RELEASE_MANY = """
local freed = 0
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i] then
    freed = freed + redis.call('DEL', key)
  end
end
return freed
"""


def single_lease(redis: Redis, key: str, ttl_s: float) -> Lock:
    """A lease on ``key`` for ``ttl_s`` seconds: ``await lease.acquire()`` is
    False at once when another copy holds it; free it with ``release``."""
    return redis.lock(key, timeout=ttl_s, blocking=False)


async def release(lease: Lock) -> bool:
    """Free a lease we acquired. False when it had expired meanwhile (and may
    be another copy's now): not an error, the lease did its job or timed out."""
    try:
        await lease.release()
    except LockNotOwnedError:
        return False
    return True


def new_token() -> str:
    """A random token for one lease of a batch."""
    return secrets.token_hex(8)


def queue_take(pipe: Pipeline, key: str, token: str, ttl_s: int) -> None:
    """Queue taking one lease; its reply is True when taken, None when held."""
    pipe.set(key, token, nx=True, ex=ttl_s)


def queue_release(pipe: Pipeline, held: Sequence[tuple[str, str]]) -> None:
    """Queue freeing the ``(key, token)`` leases that still hold their token,
    all in one Lua call."""
    if held:
        pipe.eval(_RELEASE_MANY, len(held), *(k for k, _ in held), *(t for _, t in held))
