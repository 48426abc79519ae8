"""The dead-letter stream: entries that cannot be processed, kept with their error.

An entry lands here when it fails validation, when processing it raises an
error that retrying cannot fix, or when it was delivered more than
``max_deliveries`` times. It can be replayed onto its original stream.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from watchfloor.shared import pipeline
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_replies import as_str, as_str_dict

DEAD_LETTER_MAXLEN = 100_000


@dataclass(frozen=True)
class DeadLetter:
    stream: str
    group: str
    entry_id: str
    error: str
    payload: str
    deliveries: int = 1

    def fields(self) -> dict[str, str]:
        return {
            "stream": self.stream,
            "group": self.group,
            "entry_id": self.entry_id,
            "error": self.error[:2000],
            "payload": self.payload,
            "deliveries": str(self.deliveries),
            "dead_at": f"{time.time():.3f}",
        }


async def add_dead_letters(redis: Redis, keys: Keys, letters: list[DeadLetter]) -> None:
    if not letters:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for letter in letters:
            pipe.xadd(keys.dead_letters, letter.fields(), maxlen=DEAD_LETTER_MAXLEN, approximate=True)
        pipe.hincrby(keys.metrics, "dead_letters", len(letters))
        await pipe.execute()


# How long a replay holds an entry it is moving (a crashed one's entry stays
# where it was, and the next replay takes it after this).
REPLAY_CLAIM_S = 60


async def claim_for_replay(redis: Redis, keys: Keys, stream: str, entry_id: Any) -> bool:
    """True for the one replay (of two run at once) that moves this entry:
    the other would put it back a second time, and count it."""
    return bool(await redis.set(keys.replaying(stream, as_str(entry_id)), 1, nx=True,
                                ex=REPLAY_CLAIM_S))


async def oldest_first(redis: Redis, stream: str,
                       page: int = 100) -> AsyncIterator[tuple[bytes, dict]]:
    """A stream's entries, oldest first, read a page at a time (a replay's
    ``limit`` counts what it moves, not what it skips), up to the last one
    there when it starts: an entry replayed that fails again comes back at
    the end, and must not be replayed again in the same run."""
    newest = await redis.xrevrange(stream, count=1)
    if not newest:
        return
    end = as_str(newest[0][0])
    start = "-"
    while entries := await redis.xrange(stream, min=start, max=end, count=page):
        for entry in entries:
            yield entry
        start = "(" + as_str(entries[-1][0])


async def replay_dead_letters(redis: Redis, keys: Keys, *, limit: int = 100) -> int:
    """Put dead letters back on their stream (after a fix), oldest first;
    unreadable ones stay, uncounted."""
    import json

    replayed = 0
    # a stream of another partition count is read by no worker: such an entry
    # stays (see ``partition_layout``), not moved where nothing reads it
    current = set(pipeline.streams(keys))
    async for entry_id, fields in oldest_first(redis, keys.dead_letters):
        if replayed == limit:
            break
        text = as_str_dict(fields)
        try:
            original = json.loads(text["payload"])
        except (KeyError, ValueError):
            continue
        if text.get("stream") not in current:
            continue
        if not await claim_for_replay(redis, keys, keys.dead_letters, entry_id):
            continue  # another replay is moving it
        # Two steps, not one MULTI: on a cluster the stream may sit in another
        # slot (a partition's). Added first, so a crash between the two replays
        # the entry twice, never loses it (downstream ids make a repeat harmless).
        await redis.xadd(text["stream"], original)
        await redis.xdel(keys.dead_letters, entry_id)
        replayed += 1
    return replayed
