"""Every Redis key and stream Watchfloor uses, in one place (consumer groups
and which stage uses which stream: ``shared/pipeline.py``).

All keys live under a configurable prefix so tests and tenants never collide.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "watchfloor"

    # Streams. Which stage reads and writes which, through which consumer
    # group, is declared in ``shared/pipeline.py``.
    def stream(self, name: str) -> str:
        """A pipeline stream, by its name in ``shared/pipeline.py``."""
        return f"{self.prefix}:{name}"

    @property
    def articles(self) -> str:
        return self.stream("articles")

    @property
    def classified(self) -> str:
        return self.stream("classified")

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
        return f"{self.prefix}:alert-ids"

    @property
    def dead_letters(self) -> str:
        """Stream entries that could not be processed: error + original payload."""
        return f"{self.prefix}:dead"

    @property
    def failed_deliveries(self) -> str:
        """Deliveries given up: permanent failures and exhausted retry schedules."""
        return f"{self.prefix}:deliveries:failed"

    @property
    def delivered_log(self) -> str:
        """Deliveries that succeeded (bounded history)."""
        return f"{self.prefix}:deliveries:done"

    # Dedupe and delivery state
    def seen_article(self, article_id: str) -> str:
        return f"{self.prefix}:seen:{article_id}"

    def seen_content(self, content_hash: str) -> str:
        return f"{self.prefix}:seen-content:{content_hash}"

    def delivered(self, delivery_id: str) -> str:
        return f"{self.prefix}:delivered:{delivery_id}"

    def sending(self, delivery_id: str) -> str:
        """Short lease so two copies never send the same delivery at once."""
        return f"{self.prefix}:sending:{delivery_id}"

    # Story clustering (near-duplicates) and the per-story alert throttle
    def story_buckets(self, band: int, generation: int) -> str:
        """Hash: LSH bucket of band ``band`` -> the first articles that fell
        into it, for articles indexed in ``generation`` (time // window)."""
        return f"{self.prefix}:story:buckets:{band}:{generation}"

    def story_article(self, article_id: str) -> str:
        """An indexed article: its story id and shingle ids."""
        return f"{self.prefix}:story:article:{article_id}"

    def story_alerts(self, watchlist_id: str, story_id: str) -> str:
        """Hash: alert id -> throttle decision, for one (watchlist, story)."""
        return f"{self.prefix}:story-alerts:{watchlist_id}:{story_id}"

    @property
    def throttled_alerts(self) -> str:
        """Stream (bounded): the alerts the story throttle held back, with why."""
        return f"{self.prefix}:alerts:throttled"

    @property
    def retry_schedule(self) -> str:
        """Sorted set: delivery id -> due time (unix seconds)."""
        return f"{self.prefix}:retry:due"

    @property
    def retry_payloads(self) -> str:
        """Hash: delivery id -> delivery JSON waiting for its retry."""
        return f"{self.prefix}:retry:payload"

    # Paused targets (services/notifier/target_pauses.py)
    @property
    def targets_failing(self) -> str:
        """Hash: "<watchlist>/<target>" -> when its current run of failed attempts began."""
        return f"{self.prefix}:targets:failing"

    @property
    def targets_paused(self) -> str:
        """Hash: "<watchlist>/<target>" -> why and since when it is paused."""
        return f"{self.prefix}:targets:paused"

    def held_deliveries(self, target: str) -> str:
        """Hash: delivery id -> delivery JSON, held while the target is paused."""
        return f"{self.prefix}:targets:held:{target}"

    @property
    def watchlists(self) -> str:
        """Hash: watchlist id -> watchlist JSON (those managed through the API)."""
        return f"{self.prefix}:watchlists"

    @property
    def watchlists_version(self) -> str:
        """Counter bumped on every watchlist change: notifiers reload when it moves."""
        return f"{self.prefix}:watchlists:version"

    # Feed polling (services/ingest/feed_poller.py)
    @property
    def feeds(self) -> str:
        """Set of the ids of feeds that have been polled (see ``feed_state``)."""
        return f"{self.prefix}:feeds"

    def feed_state(self, feed_id: str) -> str:
        """Hash: one feed's validators, last outcome and next poll time."""
        return f"{self.prefix}:feed:{feed_id}"

    def feed_lease(self, feed_id: str) -> str:
        """Short lease so two ingest copies never poll the same feed at once."""
        return f"{self.prefix}:feed-lease:{feed_id}"

    @property
    def metrics(self) -> str:
        """Hash of counters (ingested, duplicates, alerts, delivered, ...)."""
        return f"{self.prefix}:metrics"

    # The console (services/console) and the silences the notifier honours
    @property
    def console_accounts(self) -> str:
        """Hash: account name -> account JSON (role, scrypt hash of its token)."""
        return f"{self.prefix}:console:accounts"

    @property
    def console_session_key(self) -> str:
        """The random key that signs console session cookies (made on first use)."""
        return f"{self.prefix}:console:session-key"

    @property
    def console_labels(self) -> str:
        """Hash: "<article id> <annotator>" -> label record judged in the console."""
        return f"{self.prefix}:console:labels"

    @property
    def alert_acks(self) -> str:
        """Hash: alert id -> who acknowledged it, and when."""
        return f"{self.prefix}:alert-acks"

    @property
    def muted_stories(self) -> str:
        """Hash: story id -> silence JSON: the notifier raises no alert for that story."""
        return f"{self.prefix}:silence:stories"

    @property
    def snoozed_watchlists(self) -> str:
        """Hash: watchlist id -> silence JSON with an end time: no alerts until then."""
        return f"{self.prefix}:silence:watchlists"
