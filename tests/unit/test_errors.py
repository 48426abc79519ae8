"""One exception root: each error Watchfloor raises sits on its branch and
keeps the built-in base its callers (and pydantic) catch it by."""

from __future__ import annotations

import pytest
from watchfloor.services.classifier.gazetteer import GazetteerError
from watchfloor.services.classifier.taxonomy import TaxonomyError, TaxonomyErrors
from watchfloor.services.cli.common import RedisUnavailable, SettingsProblem
from watchfloor.services.ingest.api import ApiError
from watchfloor.services.ingest.feed_poller import FeedFetchError
from watchfloor.services.ingest.feed_sources import FeedConfigError
from watchfloor.services.ingest.feeds import FeedUnavailable
from watchfloor.services.ingest.normalise import InvalidURL
from watchfloor.services.ingest.pages import PageUnavailable
from watchfloor.services.ingest.problems import ArticleRejected
from watchfloor.services.watchlists.model import WatchlistError
from watchfloor.services.watchlists.store import StoredWatchlistInvalid
from watchfloor.shared.errors import ConfigError, InvalidInput, Unavailable, WatchfloorError
from watchfloor.shared.redis_server import RedisServerError
from watchfloor.shared.yaml_config import YamlSyntaxError

BRANCHES = {
    ConfigError: [SettingsProblem, TaxonomyError, TaxonomyErrors, GazetteerError,
                  WatchlistError, FeedConfigError, YamlSyntaxError],
    InvalidInput: [ArticleRejected, InvalidURL, ApiError, StoredWatchlistInvalid],
    Unavailable: [RedisUnavailable, RedisServerError, FeedUnavailable, PageUnavailable,
                  FeedFetchError],
}


@pytest.mark.parametrize(
    ("branch", "error"), [(b, e) for b, errors in BRANCHES.items() for e in errors]
)
def test_each_error_is_on_its_branch_of_the_one_root(branch: type, error: type) -> None:
    assert issubclass(error, branch) and issubclass(error, WatchfloorError)
    others = [b for b in BRANCHES if b is not branch]
    assert not any(issubclass(error, b) for b in others)


@pytest.mark.parametrize(
    "error",
    [TaxonomyError, GazetteerError, WatchlistError, FeedConfigError, YamlSyntaxError,
     ArticleRejected, InvalidURL, StoredWatchlistInvalid],
)
def test_value_errors_stay_value_errors(error: type) -> None:
    # Raised inside pydantic validators and caught as ValueError by callers.
    assert issubclass(error, ValueError)


def test_redis_server_error_stays_a_runtime_error() -> None:
    assert issubclass(RedisServerError, RuntimeError)
