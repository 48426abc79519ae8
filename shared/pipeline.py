"""The pipeline's shape, declared once.

``STAGES`` says, for each step, which worker process runs it, which stream it
reads and through which consumer group, and which stream it writes for the
next step. ``WORKERS`` says where each worker's parts factory lives. Everything
else reads these two tables: the workers build their consumers and publish
from them, ``watchfloor status`` and /metrics list their streams, the demo
waits on their groups, ``watchfloor worker``/``up`` and the demo run their
workers.

Streams are named without the key prefix (``Keys.stream`` adds it). Parts
factories are "module:function" strings so that ``shared`` never imports a
service: only the entry points (the CLI) load them.
"""

from __future__ import annotations

from dataclasses import dataclass

from watchfloor.shared.keys import Keys


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline, run by ``worker``."""

    name: str
    worker: str
    input: str | None = None  # the stream it reads; None: a source (HTTP API, feeds)
    group: str | None = None  # the consumer group its worker copies share on ``input``
    output: str | None = None  # the stream the next stage reads; None: a sink (webhooks)
    # a record kept for people (`watchfloor alerts`, the console), that no
    # stage reads; trimmed where it is written
    history: str | None = None

    def reads(self, keys: Keys, partition: int = 0) -> tuple[str, str]:
        """(stream, consumer group) this stage consumes, in one partition."""
        if self.input is None or self.group is None:
            raise ValueError(f"stage {self.name!r} reads no stream")
        return keys.stream(self.input, partition), self.group

    def reads_all(self, keys: Keys) -> list[tuple[str, str]]:
        """(stream, consumer group) for every partition of its input."""
        return [self.reads(keys, p) for p in range(keys.partitions)]

    def writes(self, keys: Keys, partition: int = 0) -> str:
        """The stream this stage publishes to, in one partition."""
        if self.output is None:
            raise ValueError(f"stage {self.name!r} writes no stream")
        return keys.stream(self.output, partition)

    def records(self, keys: Keys, partition: int = 0) -> str:
        """The history stream this stage appends to (in one partition, for a
        partitioned one)."""
        if self.history is None:
            raise ValueError(f"stage {self.name!r} keeps no history")
        return keys.stream(self.history, partition)


@dataclass(frozen=True)
class Worker:
    """A worker process: ``watchfloor worker <name>``."""

    name: str
    parts: str  # "module:function" building its WorkerParts from a Runtime


STAGES: tuple[Stage, ...] = (
    Stage("ingest", worker="ingest", output="articles"),
    # Only a tagged article can match a watchlist: the others go to a record
    # of their own ("untagged", for the console), never through the notifier.
    Stage("classify", worker="classifier", input="articles", group="classifier",
          output="classified", history="untagged"),
    Stage("match", worker="notifier", input="classified", group="notifier",
          output="deliveries", history="alerts"),
    Stage("deliver", worker="notifier", input="deliveries", group="delivery"),
)

#: Streams read back after every group has acknowledged them (the console's
#: article history, story versions and watchlist trials read "classified"
#: and, for untagged articles, "untagged"):
#: kept to ``stream_maxlen``. The other consumed streams are work queues that
#: nothing reads twice: the maintenance loop trims them to what some group
#: still needs.
KEPT_STREAMS: tuple[str, ...] = ("classified",)

# In start-up order (``watchfloor up`` and the demo run them all in one process).
WORKERS: tuple[Worker, ...] = (
    Worker("ingest", "watchfloor.services.ingest.app:ingest_parts"),
    Worker("classifier", "watchfloor.services.classifier.app:classifier_parts"),
    Worker("notifier", "watchfloor.services.notifier.app:notifier_parts"),
)


def stage(name: str) -> Stage:
    for candidate in STAGES:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no pipeline stage named {name!r}")


def worker(name: str) -> Worker:
    for candidate in WORKERS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no worker named {name!r}")


def worker_names() -> list[str]:
    return [w.name for w in WORKERS]


def consumed(keys: Keys) -> list[tuple[str, str]]:
    """(stream, consumer group) for every stage that reads a stream, in order,
    every partition of each."""
    return [pair for s in STAGES if s.input is not None for pair in s.reads_all(keys)]


def kept_streams(keys: Keys) -> set[str]:
    """The consumed streams kept to ``stream_maxlen`` (see ``KEPT_STREAMS``)."""
    return {stream for name in KEPT_STREAMS for stream in keys.streams(name)}


def streams(keys: Keys) -> list[str]:
    """Every stream of the pipeline (every partition), in the order data flows."""
    names: list[str] = []
    for s in STAGES:
        for name in (s.input, s.output, s.history):
            if name is not None and name not in names:
                names.append(name)
    return [stream for name in names for stream in keys.streams(name)]
