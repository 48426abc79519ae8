"""Watchlists managed through the API, kept in Redis.

One hash (``keys.watchlists``) maps a watchlist id to its full JSON, secrets
included: the notifier needs them to sign and deliver, and Redis is already
the one shared, trusted state (DESIGN.md). Every change also bumps
``keys.watchlists_version`` in the same MULTI, so a notifier that polls the
counter reloads exactly when something changed and never sees a change
without its bump.

Reading re-validates every entry (with the known tags of the moment): an
entry that no longer validates (hand-edited, written by an older version, a
tag dropped from the taxonomy) is skipped with a warning naming its id, so it
never stops the notifier. The warning names the fields, never the values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from typing import Any

from pydantic import SecretStr, ValidationError
from redis.asyncio import Redis
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.shared.errors import InvalidInput
from watchfloor.shared.keys import Keys
from watchfloor.shared.logging import get_logger
from watchfloor.shared.redis_replies import as_str

log = get_logger("watchfloor.watchlists.store")


class StoredWatchlistInvalid(InvalidInput, ValueError):
    """A stored entry is unusable. ``problems`` name fields, never values."""

    def __init__(self, watchlist_id: str, problems: list[str]) -> None:
        self.watchlist_id = watchlist_id
        self.problems = problems
        super().__init__(f"watchlist {watchlist_id!r}: " + "; ".join(problems))


def dump_watchlist(watchlist: Watchlist) -> str:
    """The watchlist as JSON *with* its secrets (``SecretStr`` masks them by default)."""

    def reveal(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        raise TypeError(f"cannot serialise {type(value).__name__}")

    # By alias: a field named apart from its key (an email target's ``from``)
    # is written under the key validation reads.
    return json.dumps(
        watchlist.model_dump(mode="python", by_alias=True), default=reveal,
        separators=(",", ":"), sort_keys=True,
    )


def load_watchlist(
    watchlist_id: str, raw: bytes | str, *, known_tags: Collection[str]
) -> Watchlist:
    """Parse and re-validate one stored entry; ``StoredWatchlistInvalid`` if unusable."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoredWatchlistInvalid(
            watchlist_id, [f"not valid JSON ({type(exc).__name__})"]
        ) from None
    try:
        watchlist = Watchlist.model_validate(data, context={"known_tags": frozenset(known_tags)})
    except ValidationError as exc:
        # Locations and messages only: pydantic's str(exc) would echo input
        # values, and those can be secrets.
        problems = [
            ".".join(str(p) for p in err["loc"]) + ": " + err["msg"] if err["loc"] else err["msg"]
            for err in exc.errors(include_url=False, include_input=False)
        ]
        raise StoredWatchlistInvalid(watchlist_id, problems) from None
    if watchlist.id != watchlist_id:
        raise StoredWatchlistInvalid(watchlist_id, ["id in the entry differs from its key"])
    return watchlist


def revision_of(raw: bytes | str) -> str:
    """What a stored entry is, in a few bytes: the SHA-1 of its JSON (the
    same Redis's ``sha1hex`` computes, so a script can compare it)."""
    return hashlib.sha1(raw if isinstance(raw, bytes) else raw.encode()).hexdigest()  # noqa: S324


# Replace only what the editor saw: the entry whose revision is ARGV[3], or
# none when ARGV[3] is empty. 0: changed meanwhile; 1: replaced; 2: created.
_PUT_IF_UNCHANGED = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[3] == '' then
  if current then return 0 end
elseif not current or redis.sha1hex(current) ~= ARGV[3] then
  return 0
end
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCR', KEYS[2])
return 1 + added
"""


class WatchlistChanged(InvalidInput):
    """Saved by someone else (or deleted) since it was read for editing."""


class WatchlistStore:
    """CRUD on the API-managed watchlists. ``known_tags`` validates on read."""

    def __init__(self, redis: Redis, keys: Keys, *, known_tags: Collection[str]) -> None:
        self._redis = redis
        self._keys = keys
        self.known_tags: frozenset[str] = frozenset(known_tags)
        self._put_script: Any = None  # registered when first needed

    async def list(self) -> list[Watchlist]:
        """Every valid stored watchlist, sorted by id; invalid entries are skipped."""
        entries = await self._redis.hgetall(self._keys.watchlists)
        watchlists = []
        for key, raw in entries.items():
            watchlist = self._load(as_str(key), raw)
            if watchlist is not None:
                watchlists.append(watchlist)
        return sorted(watchlists, key=lambda w: w.id)

    async def get(self, watchlist_id: str) -> Watchlist | None:
        """The watchlist, or None when absent or invalid (the latter logged)."""
        raw = await self._redis.hget(self._keys.watchlists, watchlist_id)
        return None if raw is None else self._load(watchlist_id, raw)

    async def put(self, watchlist: Watchlist) -> bool:
        """Create or replace; True if it was created."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._keys.watchlists, watchlist.id, dump_watchlist(watchlist))
            pipe.incr(self._keys.watchlists_version)
            added, _ = await pipe.execute()
        return bool(added)

    async def revision(self, watchlist_id: str) -> str | None:
        """The stored entry's revision (``revision_of``), or None when absent."""
        raw = await self._redis.hget(self._keys.watchlists, watchlist_id)
        return None if raw is None else revision_of(raw)

    async def get_with_revision(self, watchlist_id: str) -> tuple[Watchlist | None, str | None]:
        """``get`` and the revision of what it read, in one read."""
        raw = await self._redis.hget(self._keys.watchlists, watchlist_id)
        if raw is None:
            return None, None
        return self._load(watchlist_id, raw), revision_of(raw)

    async def put_if_unchanged(self, watchlist: Watchlist, revision: str | None) -> bool:
        """``put``, only while the stored entry is still the one of
        ``revision`` (None: while there is none), so an editor's stale form
        never undoes another's save nor brings back a deleted watchlist.
        True if it was created; ``WatchlistChanged`` otherwise."""
        if self._put_script is None:
            self._put_script = self._redis.register_script(_PUT_IF_UNCHANGED)
        done = await self._put_script(
            keys=[self._keys.watchlists, self._keys.watchlists_version],
            args=[watchlist.id, dump_watchlist(watchlist), revision or ""])
        if not done:
            raise WatchlistChanged(f"watchlist {watchlist.id!r} was changed or removed since "
                                   "it was read")
        return int(done) == 2

    async def delete(self, watchlist_id: str) -> bool:
        """Remove; True if it existed.

        The version is bumped in the same MULTI even when nothing was there:
        a needless reload is harmless, a missed one is not.
        """
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self._keys.watchlists, watchlist_id)
            pipe.incr(self._keys.watchlists_version)
            removed, _ = await pipe.execute()
        return bool(removed)

    async def version(self) -> int:
        """The change counter: 0 before the first change."""
        raw = await self._redis.get(self._keys.watchlists_version)
        return int(raw) if raw is not None else 0

    def _load(self, watchlist_id: str, raw: bytes | str) -> Watchlist | None:
        try:
            return load_watchlist(watchlist_id, raw, known_tags=self.known_tags)
        except StoredWatchlistInvalid as exc:
            log.warning(
                "stored_watchlist_skipped",
                watchlist_id=watchlist_id,
                key=self._keys.watchlists,
                problems=exc.problems,
            )
            return None
