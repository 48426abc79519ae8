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


# Saves a watchlist (ARGV[2]) under its id (ARGV[1]) when the entry is still
# the one the caller read: ARGV[3] is "*" (whatever is there), "" (none) or
# the revision read. Its revision is the change counter's new value: a number
# that says nothing of the content (a hash of it would let a reader test
# guesses of the secrets in it). An entry saved before revisions were kept
# is revision "0". 0: changed meanwhile; else {created, revision}.
_SAVE = """
local expected = ARGV[3]
if expected ~= '*' then
  local exists = redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1
  if expected == '' then
    if exists then return 0 end
  elseif not exists or (redis.call('HGET', KEYS[3], ARGV[1]) or '0') ~= expected then
    return 0
  end
end
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local revision = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[3], ARGV[1], revision)
return {added, revision}
"""


class WatchlistChanged(InvalidInput):
    """Saved by someone else (or deleted) since it was read for editing."""


class WatchlistStore:
    """CRUD on the API-managed watchlists. ``known_tags`` validates on read."""

    def __init__(self, redis: Redis, keys: Keys, *, known_tags: Collection[str]) -> None:
        self._redis = redis
        self._keys = keys
        self.known_tags: frozenset[str] = frozenset(known_tags)
        self._save_script: Any = None  # registered when first needed

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
        created, _ = await self.save(watchlist)
        return created

    async def save(self, watchlist: Watchlist, expected: str = "*") -> tuple[bool, str]:
        """Write ``watchlist`` and bump the change counter, in one step, if
        the stored entry is ``expected`` ("*": any, "": none, else the
        revision read: an editor's stale form never undoes another's save nor
        brings back a deleted watchlist); (created, its new revision), or
        ``WatchlistChanged``."""
        if self._save_script is None:
            self._save_script = self._redis.register_script(_SAVE)
        done = await self._save_script(
            keys=[self._keys.watchlists, self._keys.watchlists_version,
                  self._keys.watchlist_revisions],
            args=[watchlist.id, dump_watchlist(watchlist), expected])
        if not done:
            raise WatchlistChanged(f"watchlist {watchlist.id!r} was changed or removed since "
                                   "it was read")
        added, revision = done
        return bool(int(added)), as_str(revision)

    async def get_with_revision(self, watchlist_id: str) -> tuple[Watchlist | None, str | None]:
        """``get`` and the revision of what it read, read together; an entry
        that does not validate is (None, its revision): it may be replaced."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hget(self._keys.watchlists, watchlist_id)
            pipe.hget(self._keys.watchlist_revisions, watchlist_id)
            raw, revision = await pipe.execute()
        if raw is None:
            return None, None
        return self._load(watchlist_id, raw), as_str(revision) if revision is not None else "0"

    async def delete(self, watchlist_id: str) -> bool:
        """Remove; True if it existed.

        The version is bumped in the same MULTI even when nothing was there:
        a needless reload is harmless, a missed one is not.
        """
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self._keys.watchlists, watchlist_id)
            pipe.hdel(self._keys.watchlist_revisions, watchlist_id)
            pipe.incr(self._keys.watchlists_version)
            removed, _, _ = await pipe.execute()
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
