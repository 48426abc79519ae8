"""Watchfloor's exception root and its three branches.

Every error Watchfloor raises on purpose derives from ``WatchfloorError``, so
an entry point can catch the one class (the CLI prints the message and exits
2). Classes that were ``ValueError`` or ``RuntimeError`` keep that as a second
base: pydantic validators and callers catch them by it.

::

    WatchfloorError
    ├── ConfigError        settings, or a file the user wrote, are wrong:
    │                      fix the configuration and start again
    │     SettingsProblem (cli), TaxonomyError > TaxonomyErrors, GazetteerError,
    │     WatchlistError, FeedConfigError, YamlSyntaxError, EventLoopUnavailable
    ├── InvalidInput       data handed in (an article, a URL, a request, a
    │                      stored record) is refused: retrying it as it is
    │                      will not help
    │     ArticleRejected, InvalidURL, ApiError (ingest API), StoredWatchlistInvalid
    └── Unavailable        something Watchfloor depends on did not answer or
                           serve: the same call may work later
          RedisUnavailable (cli), RedisServerError, FeedUnavailable,
          PageUnavailable, FeedFetchError
"""

from __future__ import annotations


class WatchfloorError(Exception):
    """Base of every error Watchfloor raises on purpose."""


class ConfigError(WatchfloorError):
    """Settings, or a file the user wrote (watchlists, feeds, taxonomy,
    gazetteer), are unusable. The message says where and what."""


class InvalidInput(WatchfloorError):
    """Data handed in is refused as it is; sending it again will not help."""


class Unavailable(WatchfloorError):
    """A dependency (Redis, a feed, a page) did not answer; later may work."""
