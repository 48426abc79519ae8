"""``watchfloor ingest FILE...``: publish articles from JSON / JSON-lines
files, RSS/Atom feeds (``--feed``) and HTML pages (``--page``).

Exit codes: 0 all articles ingested (new or duplicate); 1 some were
rejected (the rest were still ingested); 2 a file, feed or page could not be
read or fetched, or Redis could not be reached (nothing more was done after
that).

A feed or page URL is fetched with ``WATCHFLOOR_FEED_TIMEOUT_S`` per step and
``WATCHFLOOR_FETCH_DEADLINE_S`` in all, never from a non-public address
unless ``WATCHFLOOR_TARGET_ALLOWLIST`` opens it; what is printed shows URLs
without their credentials.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from pydantic import ValidationError
from watchfloor.services.cli.common import add_settings_flags, check_redis, settings_from_args
from watchfloor.services.ingest.feeds import FeedUnavailable, read_feed
from watchfloor.services.ingest.files import FileArticle, FileItem, Rejection, read_articles
from watchfloor.services.ingest.pages import PageUnavailable, read_page
from watchfloor.services.ingest.publisher import ArticlePublisher
from watchfloor.shared.keys import Keys
from watchfloor.shared.logging import configure_logging
from watchfloor.shared.progress import Progress
from watchfloor.shared.redis_client import REDIS_ERRORS, REDIS_FAILURES, redis_client
from watchfloor.shared.schemas import Article
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.partition_layout import recorded_partitions
from watchfloor.shared.urls import looks_like_http_url, redact_credentials, redact_url

DEFAULT_BATCH_SIZE = 500
SHOWN_REJECTIONS = 20

_DESCRIPTION = """\
Read articles from JSON or JSON-lines files, normalise them, drop the ones
already seen (same canonical URL, or same title and text under another URL)
and publish the new ones to the articles stream, where the classifier picks
them up.

Each article is a JSON object with at least "title" (non-empty) and
optionally "text", "url" (http or https), "source", "published_at" (ISO
8601) and "id" (the source's own id). Other fields are ignored. A file holds
one article per line (JSON lines, .jsonl), or a JSON document: one article,
an array of them, or {"articles": [...]}.

--feed reads every entry of an RSS or Atom feed (URL or saved file). --page
reads one news article from an HTML page (URL or saved file): its main text
without menus, adverts or comments, its title, publication date, site name
and canonical URL. A page without an article in it is rejected. A URL gets
WATCHFLOOR_FETCH_DEADLINE_S (30 s) in all; loopback, private and other
non-public addresses are refused unless WATCHFLOOR_TARGET_ALLOWLIST opens them.

Prints a line per file, feed or page and a summary: how many were new,
duplicate or rejected, and why each rejected article was refused
(file:line: reason, or page: reason). Running the same sources again is
safe: everything comes back as duplicate."""

_EPILOG = """\
exit status:
  0  every article was ingested (new or duplicate)
  1  some articles were rejected; the others were ingested
  2  a file, feed or page is missing or unreadable (for a URL: unreachable,
     a refused address, an HTTP error, not HTML, too large, or not fetched
     within the deadline), Redis cannot be reached, or the workers' streams
     are made for another WATCHFLOOR_PARTITIONS
  130  Ctrl-C: stopped after the batch in flight, saying how many were
     published (a second Ctrl-C stops at once)

example:
  watchfloor ingest articles.jsonl more/*.json --redis-url redis://localhost:6379/0
  watchfloor ingest --feed https://news.example/rss.xml --feed saved-feed.xml
  watchfloor ingest --page https://news.example/2024/05/story.html --page saved.html"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "ingest",
        help="publish articles from JSON / JSON-lines files, feeds and HTML pages",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE", help="JSON or JSONL file")
    parser.add_argument(
        "--feed",
        action="append",
        default=[],
        metavar="URL_OR_FILE",
        help="an RSS or Atom feed to read too (repeatable; needs the feedparser package)",
    )
    parser.add_argument(
        "--page",
        action="append",
        default=[],
        metavar="URL_OR_FILE",
        help="an HTML page whose article to read too (repeatable)",
    )
    add_settings_flags(parser)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"articles per Redis round trip (default: {DEFAULT_BATCH_SIZE})",
    )
    parser.set_defaults(func=_run)


@dataclass
class _Tally:
    new: int = 0
    duplicate: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)  # the first few only

    def add(self, other: _Tally) -> None:
        self.new += other.new
        self.duplicate += other.duplicate
        self.rejected += other.rejected
        room = SHOWN_REJECTIONS - len(self.rejections)
        self.rejections.extend(other.rejections[: max(room, 0)])

    def summary(self) -> str:
        return f"{self.new} new, {self.duplicate} duplicate, {self.rejected} rejected"


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _run(args: argparse.Namespace) -> int:
    if not args.files and not args.feed and not args.page:
        return _error("nothing to ingest: name at least one FILE, --feed or --page")
    if args.batch_size < 1:
        return _error("--batch-size must be at least 1")
    try:
        settings = settings_from_args(args)
    except ValidationError as exc:
        return _error(f"invalid settings (check WATCHFLOOR_* variables and .env): {exc}")
    # Check every file before publishing anything: a typo in the last name
    # should not leave the first files half done.
    for path in args.files:
        try:
            path.open("rb").close()
        except OSError as exc:
            return _error(f"cannot read {path}: {exc.strerror or exc}")
    configure_logging(settings.log_level, settings.log_format)
    # unreachable, or a cluster node named as one Redis (raised: says what to set)
    if problem := check_redis(settings):
        return _error(problem)
    return asyncio.run(_ingest(settings, args.files, args.feed, args.page, args.batch_size))


def _shown(location: str) -> str:
    """A source as printed: a URL without its credentials."""
    return redact_credentials(location) if looks_like_http_url(location) else location


Reader = Callable[[], Awaitable[Iterable[FileItem]]]


def _readers(
    settings: Settings, paths: list[Path], feeds: list[str], pages: list[str]
) -> list[tuple[str, Reader]]:
    """(label, reader) per source: files, then feeds, then pages."""
    fetch = {
        "timeout_s": settings.feed_timeout_s,
        "deadline_s": settings.fetch_deadline_s,
        "addresses": settings.address_policy,
    }

    async def file_items(path: Path) -> Iterable[FileItem]:
        return read_articles(path)  # lazy: read while publishing

    async def page_items(location: str) -> Iterable[FileItem]:
        return [await read_page(location, **fetch)]

    return [
        *((str(p), partial(file_items, p)) for p in paths),
        *((_shown(f), partial(read_feed, f, **fetch)) for f in feeds),
        *((_shown(p), partial(page_items, p)) for p in pages),
    ]


async def _ingest(
    settings: Settings, paths: list[Path], feeds: list[str], pages: list[str], batch_size: int
) -> int:
    url = settings.resolved_redis_url  # a usable URL: the settings checked it
    client = redis_client(settings, connect_timeout_s=5, timeout_s=30)
    try:
        keys = Keys.for_settings(settings)
        try:
            recorded = await recorded_partitions(client, keys)
        except REDIS_FAILURES as exc:  # gone since check_redis
            return _error(f"cannot reach Redis at {redact_url(url)}: {exc}")
        if recorded is not None and recorded != keys.partitions:
            # published here, the articles would sit in streams no worker reads
            return _error(f"WATCHFLOOR_PARTITIONS is {keys.partitions}, but the workers' "
                          f"streams are made for {recorded}: set WATCHFLOOR_PARTITIONS="
                          f"{recorded} (or change it for the workers first)")
        publisher = ArticlePublisher(client, keys, settings)
        total = _Tally()
        sources = _readers(settings, paths, feeds, pages)
        stop = _StopRequest.on_sigint()
        for label, read in sources:
            tally = _Tally()  # filled as batches go: what was published before a failure
            try:
                await _ingest_items(await read(), publisher, batch_size, tally, stop)
            except _Interrupted:
                print(f"interrupted: {total.new + tally.new} new articles were published "
                      f"before stopping ({label} not finished); running the command again is "
                      "safe (they count as duplicate)", file=sys.stderr)
                return 130
            except (FeedUnavailable, PageUnavailable) as exc:
                return _error(str(exc))
            except REDIS_ERRORS as exc:  # not OSError: a file's
                return _error(
                    f"Redis at {redact_url(url)} failed while ingesting {label}: {exc}; "
                    f"at least {total.new + tally.new} new articles were published before; "
                    "running the command again is safe (they count as duplicate)"
                )
            except OSError as exc:
                return _error(f"cannot read {label}: {exc.strerror or exc}")
            print(f"{label}: {tally.summary()}", flush=True)
            total.add(tally)
    finally:
        _StopRequest.off()
        await client.aclose()

    print(f"ingested {len(sources)} source(s): {total.summary()}")
    for rejection in total.rejections:
        print(f"  {rejection}")
    if total.rejected > len(total.rejections):
        print(f"  ... and {total.rejected - len(total.rejections)} more rejected")
    return 1 if total.rejected else 0


class _Interrupted(Exception):
    """Ctrl-C: stopped between batches."""


@dataclass
class _StopRequest:
    """Ctrl-C asks to stop after the batch in flight, whose articles are then
    counted as published; a second Ctrl-C stops at once. (Left to asyncio,
    the first one cancels a Redis call, and Python 3.11's ``wait_for``, which
    redis-py's timeouts use, can swallow that: the command ran to the end.)"""

    requested: bool = False

    @classmethod
    def on_sigint(cls) -> _StopRequest:
        stop = cls()
        loop = asyncio.get_running_loop()

        def requested() -> None:
            stop.requested = True
            print("stopping after this batch (Ctrl-C again to stop at once)", file=sys.stderr)
            loop.remove_signal_handler(signal.SIGINT)  # the next one: KeyboardInterrupt

        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            return stop  # ignored on purpose (`trap '' INT`, nohup-style jobs): keep it so
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGINT, requested)
        return stop

    @staticmethod
    def off() -> None:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)

    def check(self) -> None:
        if self.requested:
            raise _Interrupted


async def _ingest_items(
    items: Iterable[FileItem], publisher: ArticlePublisher, batch_size: int, tally: _Tally,
    stop: _StopRequest | None = None,
) -> None:
    """Publish ``items`` in batches, counting into ``tally`` as each batch goes
    (so a failure part way leaves what was published counted); ``stop``
    checked after each batch."""
    batch: list[Article] = []
    progress = Progress("ingested")
    stop = stop or _StopRequest()

    async def flush() -> None:
        stop.check()
        outcomes = await publisher.publish(batch)
        progress.add(len(outcomes))
        tally.new += sum(1 for o in outcomes if o.status == "new")
        tally.duplicate += sum(1 for o in outcomes if o.status == "duplicate")
        batch.clear()
        stop.check()

    for item in items:
        if isinstance(item, FileArticle):
            batch.append(item.article)
            if len(batch) >= batch_size:
                await flush()
        else:
            tally.rejected += 1
            if len(tally.rejections) < SHOWN_REJECTIONS:
                tally.rejections.append(item)
    if batch:
        await flush()
    await publisher.record_rejected(tally.rejected)
