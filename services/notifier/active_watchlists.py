"""The watchlists a notifier matches against right now: the file's, plus the
ones managed through the API (Redis), reloaded when their version moves."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from watchfloor.services.notifier.matching import WatchlistMatcher
from watchfloor.services.watchlists.file import WatchlistsFile
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.services.watchlists.store import WatchlistStore
from watchfloor.shared.logging import get_logger
from watchfloor.shared.redis_client import REDIS_FAILURES

log = get_logger("watchfloor.notifier")


class ActiveWatchlists:
    """``file`` is the watchlists file (re-read when it changes), or a fixed list."""

    def __init__(self, file: WatchlistsFile | Sequence[Watchlist], store: WatchlistStore | None,
                 on_change: Callable[[list[Watchlist]], None] | None = None) -> None:
        self._file = file
        self._store = store
        self._on_change = on_change
        self._version: int | None = None
        self._stored: list[Watchlist] = []
        self.watchlists: list[Watchlist] = self._from_file()
        self.matcher = WatchlistMatcher(self.watchlists)

    def _from_file(self) -> list[Watchlist]:
        return list(self._file.current if isinstance(self._file, WatchlistsFile) else self._file)

    async def refresh(self) -> bool:
        """Reload what changed (the file, the stored watchlists); True if the
        set changed. On an error the current set stays in force."""
        file_changed = isinstance(self._file, WatchlistsFile) and self._file.reload_if_changed()
        version = self._version
        if self._store is not None:
            try:
                # version first: a change landing between the two reads is seen next time
                version = await self._store.version()
                if version != self._version:
                    self._stored = await self._store.list()
            except REDIS_FAILURES as exc:
                log.warning("watchlists_reload_failed", error=repr(exc))
                version = self._version
        if not file_changed and version == self._version:
            return False
        from_file = self._from_file()
        file_ids = {w.id for w in from_file}  # the file wins on a shared id
        hidden = sorted(w.id for w in self._stored if w.id in file_ids)
        if hidden:
            log.warning("watchlists_hidden_by_file", ids=hidden,
                        fix="DELETE /v1/watchlists/<id> removes the API's copy")
        self.watchlists = from_file + [w for w in self._stored if w.id not in file_ids]
        self.matcher = WatchlistMatcher(self.watchlists)
        self._version = version
        if self._on_change is not None:
            self._on_change(self.watchlists)
        log.info("watchlists_loaded", count=len(self.watchlists), from_file=len(from_file),
                 from_api=len(self.watchlists) - len(from_file), version=version)
        return True
