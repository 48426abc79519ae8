"""The watchlists file, re-read when it changes on disk.

An edit takes effect without a restart. A broken edit is reported (every
problem, with its line) and the last good watchlists stay in force: a typo
must never silence every alert.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from watchfloor.services.watchlists.actors import KnownActors
from watchfloor.services.watchlists.model import Watchlist, WatchlistError, load_watchlists
from watchfloor.shared.addresses import AddressPolicy
from watchfloor.shared.logging import get_logger

log = get_logger("watchfloor.notifier")


class WatchlistsFile:
    def __init__(
        self,
        path: Path,
        *,
        env: Mapping[str, str],
        known_tags: Collection[str],
        known_actors: KnownActors | None = None,
        addresses: AddressPolicy | None = None,
    ) -> None:
        self.path = Path(path)
        self._env = env
        self._known_tags = known_tags
        self._known_actors = known_actors
        self._addresses = addresses
        self._stamp = self._stat()
        # At start-up a broken file is an error the user must see (exit 2).
        self.current: list[Watchlist] = self._load()

    def _load(self) -> list[Watchlist]:
        return load_watchlists(
            self.path, env=self._env, known_tags=self._known_tags,
            known_actors=self._known_actors, addresses=self._addresses
        )

    def _stat(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def reload_if_changed(self) -> bool:
        """True if the file changed and its new watchlists are now current."""
        stamp = self._stat()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            watchlists = self._load()
        except WatchlistError as exc:
            log.error("watchlists_file_invalid", file=str(self.path), problems=exc.problems,
                      action="keeping the previous watchlists")
            return False
        self.current = watchlists
        log.info("watchlists_file_reloaded", file=str(self.path), count=len(watchlists))
        return True
