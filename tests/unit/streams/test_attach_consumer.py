"""Which readers trim their stream as they go: the work queues only."""

from __future__ import annotations

from faststream.redis import RedisBroker
from watchfloor.shared.keys import Keys
from watchfloor.shared.pipeline import consumed, kept_streams
from watchfloor.shared.schemas import Article
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.consumer import StreamConsumer, attach_consumer
from watchfloor.shared.streams.reader import StreamReader


async def _nothing(batch):
    return []


def test_only_work_queue_readers_trim_what_every_group_has_acknowledged() -> None:
    settings = Settings(_env_file=None)
    keys = Keys("t", partitions=2)
    kept = kept_streams(keys)
    streams = [stream for stream, _ in consumed(keys)]
    assert kept and set(streams) - kept  # both kinds are consumed
    for stream in streams:
        subscribers = attach_consumer(
            RedisBroker(), lambda: None, StreamConsumer(stream, "g", Article, _nothing),
            settings=settings, keys=keys, consumer_name="c", on_lost_group=lambda: None)
        (reader,) = [s for s in subscribers if isinstance(s, StreamReader)]
        assert reader.trims_acknowledged == (stream not in kept), stream
