"""The raw redis-py relay ceiling: what one Python process moves through
Redis Streams with no framework and no work per message.

XADD the payloads to stream A (pipelined, batches of 100), then relay them:
XREADGROUP 100 from A, XADD each to stream B and XACK them in one pipeline.
Rate = messages / (time to add + time to relay); CPU from the process clocks
(this process, and redis-server when it runs on this machine), which a busy
machine does not inflate as it does the rate. The keys are deleted afterwards.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import redis
from redis.utils import HIREDIS_AVAILABLE
from watchfloor.services.bench.proc_cpu import cpu_seconds

BATCH = 100


def measure_relay(redis_url: str, payloads: list[bytes], count: int) -> dict[str, Any]:
    client = redis.Redis.from_url(redis_url)
    tag = uuid.uuid4().hex[:8]
    source, sink, group = f"bench-relay:{tag}:a", f"bench-relay:{tag}:b", "relay"
    try:
        client.xgroup_create(source, group, id="0", mkstream=True)
        server_pid = int(client.info("server")["process_id"])
        server0 = cpu_seconds(server_pid)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for start in range(0, count, BATCH):
            pipe = client.pipeline(transaction=False)
            for n in range(start, min(count, start + BATCH)):
                pipe.xadd(source, {"data": payloads[n % len(payloads)]})
            pipe.execute()
        added = time.perf_counter()
        moved = 0
        while moved < count:
            reply = client.xreadgroup(group, "relay-1", {source: ">"}, count=BATCH, block=1000)
            if not reply:
                break
            entries = reply[0][1]
            pipe = client.pipeline(transaction=False)
            for _, fields in entries:
                pipe.xadd(sink, fields)
            pipe.xack(source, group, *(entry_id for entry_id, _ in entries))
            pipe.execute()
            moved += len(entries)
        wall1, cpu1 = time.perf_counter(), time.process_time()
        server1 = cpu_seconds(server_pid)
        server_ms = (None if server0 is None or server1 is None
                     else round((server1 - server0) * 1000 / max(moved, 1), 4))
        return {
            "messages": moved,
            "messages_per_s": round(moved / (wall1 - wall0), 1),
            "relay_only_messages_per_s": round(moved / (wall1 - added), 1),
            "client_cpu_ms_per_message": round((cpu1 - cpu0) * 1000 / max(moved, 1), 4),
            "redis_cpu_ms_per_message": server_ms,
            "cpu_ms_per_message": (None if server_ms is None else
                                   round((cpu1 - cpu0) * 1000 / max(moved, 1) + server_ms, 4)),
            "hiredis": HIREDIS_AVAILABLE,
        }
    finally:
        client.delete(source, sink)
        client.close()
