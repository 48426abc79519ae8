"""The watchlists a notifier matches against right now: the file's, plus the
ones managed through the API (Redis), reloaded when their version moves."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from redis.exceptions import RedisError

from services.notifier.matching import WatchlistMatcher
from services.notifier.watchlist_store import WatchlistStore
from services.notifier.watchlists import Watchlist
from shared.logging import get_logger

log = get_logger("watchfloor.notifier")


class ActiveWatchlists:
    def __init__(self, file_watchlists: Sequence[Watchlist], store: WatchlistStore | None,
                 on_change: Callable[[list[Watchlist]], None] | None = None) -> None:
        self._file = list(file_watchlists)
        self._store = store
        self._on_change = on_change
        self._version: int | None = None
        self.watchlists: list[Watchlist] = list(file_watchlists)
        self.matcher = WatchlistMatcher(self.watchlists)

    async def refresh(self) -> bool:
        """Reload if the stored watchlists changed; True if the set changed.
        On a Redis error the current set stays in force."""
        if self._store is None:
            return False
        try:
            # version first: a change landing between the two reads is seen next time
            version = await self._store.version()
            if version == self._version:
                return False
            stored = await self._store.list()
        except (RedisError, OSError) as exc:
            log.warning("watchlists_reload_failed", error=repr(exc))
            return False
        file_ids = {w.id for w in self._file}  # the file wins on a shared id
        self.watchlists = self._file + [w for w in stored if w.id not in file_ids]
        self.matcher = WatchlistMatcher(self.watchlists)
        self._version = version
        if self._on_change is not None:
            self._on_change(self.watchlists)
        log.info("watchlists_loaded", count=len(self.watchlists), from_file=len(self._file),
                 from_api=len(self.watchlists) - len(self._file), version=version)
        return True
