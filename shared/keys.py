"""Every Redis key and stream Watchfloor uses, in one place (consumer groups
and which stage uses which stream: ``shared/pipeline.py``).

All keys live under a configurable prefix so tests and tenants never collide.

Partitions and hash tags (Redis Cluster). With ``partitions`` N > 1 each
pipeline stream is N streams, and an article's whole path (articles,
classified, deliveries, retries) stays in partition ``partition_of(article
id)``. In a cluster a Lua script or MULTI/EXEC may only touch keys of one
hash slot, so keys carry a hash tag (the part in braces), chosen by what is
written together:

- ``{<prefix>}``: everything global, and what one script or transaction
  writes with it: the dedupe keys with the articles streams (ingest's
  dedupe-and-publish script), the delivery state (markers, leases, retry
  schedule, logs, counters) with the deliveries streams (the notifier's
  outcome MULTI/EXEC and the retry mover), watchlists, story index, history;
- ``{<prefix>:p<n>}``: partition n's classified stream, the stream between
  classifier and notifier that no script touches, and beside it the record
  of the articles that got no tag (``untagged``); its tag is chosen so the N
  partitions fall in N different slot ranges (on different masters when the
  cluster splits its slots evenly).

On a single Redis with one partition no tags are used: the key names are
those of earlier versions. Changing ``partitions`` renames streams: drain the
pipeline first (``watchfloor status`` shows lag 0).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

if TYPE_CHECKING:
    from watchfloor.shared.settings import Settings

#: Streams split into partitions, and the ones of those in the global slot.
PARTITIONED_STREAMS = ("articles", "classified", "untagged", "deliveries")
GLOBAL_SLOT_STREAMS = ("articles", "deliveries")


def short_name(key: str, prefix: str) -> str:
    """A key without its prefix or hash tag ("articles:p1"), for people and labels."""
    if key.startswith("{"):
        return key.partition("}:")[2] or key
    return key.removeprefix(prefix + ":")


def spread_tag(base: str, partition: int, partitions: int) -> str:
    """A hash tag for ``partition`` whose slot lies in the partition's share
    of the 16384 slots, so partitions land on different masters."""
    low = partition * REDIS_CLUSTER_HASH_SLOTS // partitions
    high = (partition + 1) * REDIS_CLUSTER_HASH_SLOTS // partitions
    for attempt in range(100_000):
        tag = f"{base}:p{partition}" + (f".{attempt}" if attempt else "")
        if low <= key_slot(tag.encode()) < high:
            return tag
    return f"{base}:p{partition}"  # pragma: no cover - a share is ~16384/N slots wide


@dataclass(frozen=True)
class Keys:
    prefix: str = "watchfloor"
    partitions: int = 1
    # Hash tags in key names: needed on a Redis Cluster, used whenever there
    # is more than one partition (same names on a single Redis and a cluster).
    cluster: bool = False

    @classmethod
    def for_settings(cls, settings: Settings) -> Keys:
        return cls(settings.key_prefix, settings.partitions, settings.redis_cluster)

    @property
    def tagged(self) -> bool:
        return self.cluster or self.partitions > 1

    @property
    def base(self) -> str:
        """What every global key starts with (the global hash tag when tagged)."""
        return f"{{{self.prefix}}}" if self.tagged else self.prefix

    def partition_of(self, article_id: str) -> int:
        """The partition an article's path goes through (stable across processes)."""
        if self.partitions == 1:
            return 0
        return zlib.crc32(article_id.encode()) % self.partitions

    # Streams. Which stage reads and writes which, through which consumer
    # group, is declared in ``shared/pipeline.py``.
    def stream(self, name: str, partition: int = 0) -> str:
        """A pipeline stream, by its name in ``shared/pipeline.py``."""
        if name not in PARTITIONED_STREAMS or self.partitions == 1:
            return f"{self.base}:{name}"
        if not 0 <= partition < self.partitions:
            raise ValueError(f"partition {partition} out of range 0..{self.partitions - 1}")
        if name in GLOBAL_SLOT_STREAMS:
            return f"{self.base}:{name}:p{partition}"
        return f"{{{spread_tag(self.prefix, partition, self.partitions)}}}:{name}:p{partition}"

    def probe(self, key: str) -> str:
        """A scratch key in ``key``'s hash slot: written to confirm replication
        of what was written there (``shared/replication.py``)."""
        if key.startswith("{") and "}" in key:
            return key[: key.index("}") + 1] + ":replicated"
        return f"{self.base}:replicated"

    def streams(self, name: str) -> list[str]:
        """Every partition of a stream (one name for an unpartitioned one)."""
        count = self.partitions if name in PARTITIONED_STREAMS else 1
        return [self.stream(name, p) for p in range(count)]

    @property
    def articles(self) -> str:
        """Partition 0's articles stream (the only one with one partition)."""
        return self.stream("articles")

    @property
    def classified(self) -> str:
        return self.stream("classified")

    @property
    def untagged(self) -> str:
        """Partition 0's record of the classified articles that got no tag."""
        return self.stream("untagged")

    @property
    def deliveries(self) -> str:
        """One entry per (alert, target) to send."""
        return self.stream("deliveries")

    @property
    def alerts(self) -> str:
        """History of alerts raised (for status and audit)."""
        return self.stream("alerts")

    @property
    def alert_ids(self) -> str:
        """Sorted set: alert id -> when it entered the alert history; bounded
        like the history, it keeps a reprocessed batch from adding an alert twice."""
        return f"{self.base}:alert-ids"

    @property
    def alerts_fanned_out(self) -> str:
        """Sorted set: alert id -> when its deliveries were written (bounded
        like the history): an old article come back is not alerted again."""
        return f"{self.base}:alerts:fanned-out"

    @property
    def dead_letters(self) -> str:
        """Stream entries that could not be processed: error + original payload."""
        return f"{self.base}:dead"

    @property
    def failed_deliveries(self) -> str:
        """Deliveries given up: permanent failures and exhausted retry schedules."""
        return f"{self.base}:deliveries:failed"

    @property
    def delivered_log(self) -> str:
        """Deliveries that succeeded (bounded history)."""
        return f"{self.base}:deliveries:done"

    # Dedupe and delivery state
    def seen_article(self, article_id: str) -> str:
        return f"{self.base}:seen:{article_id}"

    def seen_content(self, content_hash: str) -> str:
        return f"{self.base}:seen-content:{content_hash}"

    def delivered(self, delivery_id: str) -> str:
        return f"{self.base}:delivered:{delivery_id}"

    def sending(self, delivery_id: str) -> str:
        """Short lease so two copies never send the same delivery at once."""
        return f"{self.base}:sending:{delivery_id}"

    # Story clustering (near-duplicates) and the per-story alert throttle
    def story_buckets(self, band: int, generation: int) -> str:
        """Hash: LSH bucket of band ``band`` -> the first articles that fell
        into it, for articles indexed in ``generation`` (time // window)."""
        return f"{self.base}:story:buckets:{band}:{generation}"

    def story_article(self, article_id: str) -> str:
        """An indexed article: its story id and shingle ids."""
        return f"{self.base}:story:article:{article_id}"

    def story_alerts(self, watchlist_id: str, story_id: str) -> str:
        """Hash: alert id -> throttle decision, for one (watchlist, story)."""
        return f"{self.base}:story-alerts:{watchlist_id}:{story_id}"

    def event_alerts(self, watchlist_id: str, group: str) -> str:
        """Hash: alert id -> throttle decision, for one (watchlist, event group)."""
        return f"{self.base}:event-alerts:{watchlist_id}:{group}"

    @property
    def throttled_alerts(self) -> str:
        """Stream (bounded): the alerts the story throttle held back, with why."""
        return f"{self.base}:alerts:throttled"

    @property
    def retry_schedule(self) -> str:
        """Sorted set: delivery id -> due time (unix seconds), partition 0's."""
        return self.retry_schedule_of(0)

    def retry_schedule_of(self, partition: int) -> str:
        """The retry schedule whose due deliveries go back to that partition's stream."""
        return f"{self.base}:retry:due" + (f":p{partition}" if partition else "")

    def retry_schedules(self) -> list[str]:
        return [self.retry_schedule_of(p) for p in range(self.partitions)]

    @property
    def retry_payloads(self) -> str:
        """Hash: delivery id -> delivery JSON waiting for its retry."""
        return f"{self.base}:retry:payload"

    # Paused targets (services/notifier/target_pauses.py)
    @property
    def targets_failing(self) -> str:
        """Hash: "<watchlist>/<target>" -> when its current run of failed attempts began."""
        return f"{self.base}:targets:failing"

    @property
    def targets_paused(self) -> str:
        """Hash: "<watchlist>/<target>" -> why and since when it is paused."""
        return f"{self.base}:targets:paused"

    def held_deliveries(self, target: str) -> str:
        """Hash: delivery id -> delivery JSON, held while the target is paused."""
        return f"{self.base}:targets:held:{target}"

    @property
    def watchlists(self) -> str:
        """Hash: watchlist id -> watchlist JSON (those managed through the API)."""
        return f"{self.base}:watchlists"

    @property
    def watchlist_revisions(self) -> str:
        """Hash: watchlist id -> the change counter's value at its last save
        (what an edit names as the version it replaces: ETag, the console's form)."""
        return f"{self.base}:watchlists:revisions"

    @property
    def watchlists_version(self) -> str:
        """Counter bumped on every watchlist change: notifiers reload when it moves."""
        return f"{self.base}:watchlists:version"

    # Feed polling (services/ingest/feed_poller.py)
    @property
    def feeds(self) -> str:
        """Set of the ids of feeds that have been polled (see ``feed_state``)."""
        return f"{self.base}:feeds"

    def feed_state(self, feed_id: str) -> str:
        """Hash: one feed's validators, last outcome and next poll time."""
        return f"{self.base}:feed:{feed_id}"

    def feed_lease(self, feed_id: str) -> str:
        """Short lease so two ingest copies never poll the same feed at once."""
        return f"{self.base}:feed-lease:{feed_id}"

    @property
    def metrics(self) -> str:
        """Hash of counters (ingested, duplicates, alerts, delivered, ...)."""
        return f"{self.base}:metrics"

    # The console (services/console) and the silences the notifier honours
    @property
    def console_accounts(self) -> str:
        """Hash: account name -> account JSON (role, scrypt hash of its token)."""
        return f"{self.base}:console:accounts"

    @property
    def console_session_key(self) -> str:
        """The random key that signs console session cookies (made on first use)."""
        return f"{self.base}:console:session-key"

    def replaying(self, stream: str, entry_id: str) -> str:
        """Set while one ``replay`` moves that entry back (another run skips it)."""
        return f"{self.base}:replaying:{stream}:{entry_id}"

    def console_signed_out(self, session_id: str) -> str:
        """Set while the console session ``session_id``, signed out, would still run."""
        return f"{self.base}:console:signed-out:{session_id}"

    def console_form_sent(self, form_id: str) -> str:
        """Set when the console form ``form_id`` was sent (``sent_forms``)."""
        return f"{self.base}:console:form-sent:{form_id}"

    @property
    def workers(self) -> str:
        """Hash: consumer name -> the worker process's record (shared/streams/workers.py)."""
        return f"{self.base}:workers"

    @property
    def console_labels(self) -> str:
        """Hash: "<article id> <annotator>" -> label record judged in the console."""
        return f"{self.base}:console:labels"

    @property
    def alert_acks(self) -> str:
        """Hash: alert id -> who acknowledged it, and when."""
        return f"{self.base}:alert-acks"

    @property
    def muted_stories(self) -> str:
        """Hash: story id -> silence JSON: the notifier raises no alert for that story."""
        return f"{self.base}:silence:stories"

    @property
    def snoozed_watchlists(self) -> str:
        """Hash: watchlist id -> silence JSON with an end time: no alerts until then."""
        return f"{self.base}:silence:watchlists"
