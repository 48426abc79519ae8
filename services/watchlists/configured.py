"""The watchlists a deployment is configured with: the tags they may name and
the YAML file (``WATCHFLOOR_WATCHLISTS_FILE``)."""

from __future__ import annotations

from collections.abc import Mapping

from watchfloor.services.classifier.taxonomy import known_tag_ids
from watchfloor.services.watchlists.actors import KnownActors, known_actors
from watchfloor.services.watchlists.file import WatchlistsFile
from watchfloor.services.watchlists.model import Watchlist, load_watchlists
from watchfloor.shared.logging import get_logger
from watchfloor.shared.settings import Settings

log = get_logger("watchfloor.watchlists")


def watchlist_tags(settings: Settings) -> frozenset[str]:
    """Tags a watchlist may name: the loaded taxonomy's (packaged, plus a custom file's)."""
    return known_tag_ids(settings.taxonomy_file)


def watchlist_actors(settings: Settings) -> KnownActors:
    """Actors a watchlist may name: the loaded gazetteer's ids."""
    return known_actors(settings.gazetteer_file)


def open_watchlists_file(settings: Settings, env: Mapping[str, str]) -> WatchlistsFile | None:
    """The configured watchlists file (re-read on change), or None."""
    if settings.watchlists_file is None:
        log.info("no_watchlists_file", hint="set WATCHFLOOR_WATCHLISTS_FILE or use /v1/watchlists")
        return None
    return WatchlistsFile(settings.watchlists_file, env=env, known_tags=watchlist_tags(settings),
                          known_actors=watchlist_actors(settings),
                          addresses=settings.address_policy)


def load_configured_watchlists(settings: Settings, env: Mapping[str, str]) -> list[Watchlist]:
    if settings.watchlists_file is None:
        log.info("no_watchlists_file", hint="set WATCHFLOOR_WATCHLISTS_FILE or use /v1/watchlists")
        return []
    watchlists = load_watchlists(settings.watchlists_file, env=env,
                                 known_tags=watchlist_tags(settings),
                                 known_actors=watchlist_actors(settings),
                                 addresses=settings.address_policy)
    log.info("watchlists_loaded", count=len(watchlists), file=str(settings.watchlists_file))
    return watchlists
