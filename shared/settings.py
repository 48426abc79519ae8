"""One settings object, built once at start-up and passed in.

Values come from the environment (prefix ``WATCHFLOOR_``) and from a ``.env``
file. Nothing else in the code reads ``os.environ``.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from watchfloor.shared.addresses import AddressPolicy, Network, parse_allowlist
from watchfloor.shared.logging import check_log_format, check_log_level


def redis_url_problem(url: str, *, cluster: bool = False) -> str | None:
    """Why redis-py cannot use ``url``, in words that never quote it (it may
    hold a password), or None. Found when settings are read, not as a
    traceback when the first connection is made. A cluster client takes
    options of its own (``read_from_replicas``...): its URL is only parsed."""
    from redis.asyncio.connection import BlockingConnectionPool, parse_url

    if not url.lower().startswith(("redis://", "rediss://", "unix://")):
        return "must start with redis://, rediss:// or unix://"
    try:
        if cluster:
            parse_url(url)
        else:  # the pool the workers use; builds a connection, does not connect
            BlockingConnectionPool.from_url(url).make_connection()
    except TypeError as exc:
        unknown = re.search(r"unexpected keyword argument '(\w+)'", str(exc))
        name = f" {unknown.group(1)!r}" if unknown else ""
        return f"has a query parameter{name} Redis connections do not take"
    except ValueError:
        return ("cannot be read: the port must be a number up to 65535, and a password "
                "holding / ? # @ or % must be percent-encoded (/ as %2F)")
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WATCHFLOOR_", env_file=".env", extra="ignore", frozen=False,
        # a refused value may be a secret (a Redis URL's password, a token):
        # errors, and tracebacks that print them, name the setting only
        hide_input_in_errors=True,
        # nan and inf are no seconds, sizes or rates: refused with the setting's
        # name (a nan retry wait lost the delivery it scheduled)
        allow_inf_nan=False,
    )

    # Redis. None means "not configured": `demo` and `up` then start an
    # embedded Redis; `worker` uses the local default.
    # A Redis Cluster: redis_url names any node, the others are discovered.
    # (Before redis_url: its check depends on it.)
    redis_cluster: bool = False
    redis_url: SecretStr | None = None  # may hold a password: never in repr or logs
    key_prefix: str = "watchfloor"
    # Writes that hand work on (articles published, classified, alerts fanned
    # out, delivery leases and outcomes) are confirmed by this many replicas
    # (WAIT) before the work is acknowledged, so a failover cannot lose them.
    # None: 1 on a cluster, 0 (off) on a single Redis.
    redis_wait_replicas: int | None = Field(None, ge=0)
    redis_wait_timeout_ms: int = Field(1000, ge=1)
    # Each pipeline stream is this many streams, consumed and reclaimed
    # alike; an article's path stays in one (shared/keys.py). Change it only
    # on a drained pipeline: stream names depend on it.
    partitions: int = Field(1, ge=1, le=64)
    data_dir: Path = Path(".watchfloor")  # embedded Redis data, demo output
    # Connections per client (process part); a command waits up to
    # redis_pool_timeout_s for a free one instead of failing at once.
    redis_max_connections: int = Field(64, ge=2)
    redis_pool_timeout_s: float = Field(5.0, gt=0)
    # A worker started before Redis answers waits this long for it (a
    # deployment starting all at once), then exits; 0: says so and exits at
    # once (a mistyped URL on a terminal).
    redis_wait_s: float = Field(0.0, ge=0)
    # POST /v1/articles in flight (waiting or being handled) per ingest
    # process; beyond that the API answers 429 with Retry-After.
    ingest_max_in_flight: int = Field(128, ge=1)

    # Consuming
    batch_size: int = Field(100, ge=1, le=5000)
    # How long a reader's XREADGROUP blocks when nothing is new: an entry
    # that arrives ends the wait at once, so a longer one costs no latency,
    # only fewer wake-ups of an idle worker.
    poll_interval_ms: int = Field(1000, ge=10)
    reclaim_idle_ms: int = Field(30_000, ge=100)  # well above batch handling time
    max_deliveries: int = Field(5, ge=1)  # then the entry goes to dead letters
    # the classified stream (the console reads it back); the work queues keep
    # only what a group still needs (pipeline.KEPT_STREAMS). Trimmed only below acked entries.
    stream_maxlen: int = Field(100_000, ge=100)
    # deliveries given up, waiting for `replay --deliveries`: their own bound,
    # not stream_maxlen's (lowered to save memory, it dropped owed alerts)
    failed_deliveries_maxlen: int = Field(100_000, ge=1_000)
    maintenance_interval_s: float = Field(5.0, gt=0)
    consumer_name: str | None = None  # default: host-pid
    graceful_timeout_s: float = Field(15.0, gt=0)

    # Ingest
    http_host: str = "127.0.0.1"
    http_port: int = Field(8080, ge=0, le=65535)  # 0: a free port, logged
    # Proxies whose X-Forwarded-Proto/-For the API believes (uvicorn's
    # forwarded_allow_ips: addresses, networks, or "*"): behind a proxy that
    # ends TLS, the console then sees https (its Secure cookie, its same-site check).
    # Also read as uvicorn's own FORWARDED_ALLOW_IPS; uvicorn's default.
    trusted_proxies: str = Field(
        "127.0.0.1,::1",
        validation_alias=AliasChoices("WATCHFLOOR_TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS",
                                      "trusted_proxies"))
    # Names a browser may reach a token-less API by (a proxy's site), beside
    # addresses and localhost: any other name may be one made to resolve to
    # 127.0.0.1 (DNS rebinding).
    api_host_names: Annotated[tuple[str, ...], NoDecode] = ()
    dedupe_ttl_s: int = Field(30 * 24 * 3600, ge=60)
    max_batch_articles: int = Field(1000, ge=1)
    # API request bodies: larger ones get 413 before they are read whole;
    # at most parse_concurrency are parsed (off the event loop) and ingested
    # at once, which bounds the API's memory under many large posts.
    max_body_bytes: int = Field(32 << 20, ge=1 << 10)
    # A body that stops arriving for this long gets 408 and frees its place
    # (INGEST_MAX_IN_FLIGHT); a whole body gets six times as long.
    body_idle_timeout_s: float = Field(15.0, gt=0)
    parse_concurrency: int = Field(1, ge=1)
    # Near-duplicate stories: versions of one story (another outlet, a
    # reworded headline) share a story id, and a watchlist is alerted once
    # per story unless a later version adds a tag.
    story_clustering: bool = True
    story_window_s: int = Field(72 * 3600, ge=60)
    story_similarity: float = Field(0.7, gt=0, le=1)
    story_alert_window_s: int = Field(24 * 3600, ge=0)  # 0: alert on every version
    # alert_on: event: how long the alerts about one event's actors count as
    # one event (from the first; 0 above turns this off too).
    event_alert_window_s: int = Field(12 * 3600, ge=60)
    # Feeds polled by the ingest worker (YAML: feeds: [{url, name, interval_s}]);
    # interval_s is each feed's default poll interval, timeout_s per request step.
    feeds_file: Path | None = None
    feed_interval_s: float = Field(300, ge=30)
    feed_timeout_s: float = Field(10, gt=0)
    # A feed or page fetch (the poller's, `ingest --feed/--page`) ends after
    # this long in all, however slowly the server keeps sending.
    fetch_deadline_s: float = Field(30, gt=0)

    # Addresses targets, feeds and pages may reach besides public ones:
    # comma-separated CIDR ranges ("127.0.0.0/8,::1/128"). Loopback, private,
    # link-local, multicast and reserved addresses are refused otherwise
    # (shared/addresses.py).
    target_allowlist: Annotated[tuple[Network, ...], NoDecode] = ()

    # API: a bearer token required on /v1/watchlists (and on POST /v1/articles
    # when api_token_for_ingest). None: no authentication (local use only).
    api_token: SecretStr | None = None
    api_token_for_ingest: bool = False

    # Classifier
    taxonomy_file: Path | None = None  # default: the packaged taxonomy
    gazetteer_file: Path | None = None  # default: the packaged gazetteer
    # "learned": the rules propose, the trained verifier decides (default);
    # "rules": the hand-written rules alone
    classifier: Literal["learned", "rules"] = "learned"
    classifier_model: Path | None = None  # default: the packaged verifier model

    # Notifier
    watchlists_file: Path | None = None
    webhook_timeout_s: float = Field(5.0, gt=0)
    # seconds between attempts; env form "1,5,30" (or a JSON list)
    retry_schedule_s: Annotated[list[Annotated[float, Field(ge=0)]], NoDecode] = Field(
        default_factory=lambda: [1, 5, 30, 120, 600, 1800], min_length=1
    )
    delivered_ttl_s: int = Field(7 * 24 * 3600, ge=60)
    delivery_concurrency: int = Field(32, ge=1)
    # sends in flight to one target: a hanging target holds at most these of the above
    delivery_target_concurrency: int = Field(8, ge=1)
    # a target that has failed every attempt for this long is paused: its
    # deliveries are held until resumed (0: never pause)
    target_pause_after_s: float = Field(24 * 3600, ge=0)
    # The retry mover looks for due retries at most this often, and when none
    # it knows of is due sooner, at least every retry_idle_poll_s (retries
    # another notifier copy scheduled and left behind).
    retry_poll_interval_s: float = Field(0.2, gt=0)
    retry_idle_poll_s: float = Field(1.0, gt=0)
    watchlists_refresh_s: float = Field(2.0, gt=0)  # how soon API changes reach notifiers

    # The workers' event loop: "uvloop" (libuv, in C: less CPU where each
    # message wakes a worker) or "asyncio", the standard library's.
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"

    # Logging (checked: a typo is a settings error, not silently INFO/auto)
    log_level: str = "INFO"  # DEBUG | INFO | WARNING | ERROR | CRITICAL, any case
    log_format: str = "auto"  # auto | json | console, any case

    # Health: /livez and /readyz of a worker process on this port (None: off;
    # 0: a free port, logged). Each process on one machine needs its own.
    health_port: int | None = Field(None, ge=0, le=65535)
    health_host: str = "127.0.0.1"

    @field_validator("redis_url")
    @classmethod
    def _readable_redis_url(cls, value: SecretStr | None,
                            info: ValidationInfo) -> SecretStr | None:
        cluster = bool(info.data.get("redis_cluster"))
        problem = (redis_url_problem(value.get_secret_value(), cluster=cluster)
                   if value is not None else None)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("api_token", mode="before")
    @classmethod
    def _token_without_spaces_around(cls, value: object) -> object:
        # HTTP drops the spaces around a header value: a token read with a
        # trailing newline (a file, a secret store) could never be matched
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            if not value.strip():
                # read as "no token", it would open the API that a blank
                # (which matches no request) kept shut
                raise ValueError("is blank: give a token, or unset it for no authentication "
                                 "(loopback use only)")
            return value.strip()
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_level(cls, value: object) -> object:
        return check_log_level(value) if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _known_format(cls, value: object) -> object:
        return check_log_format(value) if isinstance(value, str) else value

    @field_validator("retry_schedule_s", mode="before")
    @classmethod
    def _split_schedule(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [v.strip() for v in text.split(",") if v.strip()]
        return value

    @field_validator("api_host_names", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(v.strip().rstrip(".").lower() for v in value.split(",") if v.strip())
        for name in value if isinstance(value, tuple) else ():
            # compared with the name a Host header gives, port removed
            if not re.fullmatch(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*", name):
                raise ValueError(f"{name[:100]!r} is not a host name: give names only, "
                                 "without a scheme, a port or a path (watchfloor.example.org)")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        """Addresses, networks or "*", as uvicorn reads them; it takes anything
        else as a name no client has, so a typo would silently trust nobody."""
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        if entries == ["*"]:
            return "*"  # uvicorn trusts everyone for exactly "*"; "* " would be a name
        if "*" in entries:
            raise ValueError("'*' trusts every address: give it alone, not in a list")
        for entry in entries:
            try:
                if "/" in entry:
                    ipaddress.ip_network(entry)
                else:
                    ipaddress.ip_address(entry)
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not an address, a network (10.0.0.0/8) "
                                 f"or '*': {exc}") from None
        return ",".join(entries)

    @field_validator("target_allowlist", mode="before")
    @classmethod
    def _parse_allowlist(cls, value: object) -> object:
        if isinstance(value, str | list | tuple):
            return parse_allowlist(value)
        return value

    @property
    def address_policy(self) -> AddressPolicy:
        """What targets, feeds and pages may connect to."""
        return AddressPolicy(self.target_allowlist)

    @property
    def resolved_redis_url(self) -> str:
        if self.redis_url is None:
            return "redis://127.0.0.1:6379/0"
        return self.redis_url.get_secret_value()

    @property
    def resolved_wait_replicas(self) -> int:
        if self.redis_wait_replicas is not None:
            return self.redis_wait_replicas
        return 1 if self.redis_cluster else 0

    @property
    def resolved_consumer_name(self) -> str:
        return self.consumer_name or f"{socket.gethostname()}-{os.getpid()}"



def misspelt_settings(environ: Mapping[str, str]) -> list[str]:
    """Warnings for ``WATCHFLOOR_`` variables that name no setting but look
    like one misspelt (``WATCHFLOOR_HEALTH_PROT``): settings ignore unknown
    variables, so the typo would silently leave the default in force. Other
    unknown ones (a watchlists file's ``${WATCHFLOOR_WEBHOOK_SECRET}``) are
    not settings and are left alone."""
    prefix = "WATCHFLOOR_"
    fields = [name.upper() for name in Settings.model_fields]
    warnings = []
    for variable in sorted(environ):
        if not variable.upper().startswith(prefix):
            continue
        name = variable[len(prefix):].upper()
        if name in fields:
            continue
        close = difflib.get_close_matches(name, fields, n=1, cutoff=0.85)
        if close:
            warnings.append(f"{variable} is not a setting and is ignored: did you mean "
                            f"{prefix}{close[0]}?")
    return warnings
