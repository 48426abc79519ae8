"""A steady load of articles: one per POST at a fixed rate, from a thread.

A producer that cares about its articles resends what was not accepted: an
attempt that fails (ingest killed: connection refused; Redis down: 503; busy:
429) is retried until ingest answers 202 or ``give_up_s`` has passed. A
retry answered "duplicate" means an earlier attempt got the article in (the
answer was lost), so it counts as accepted. Loopback only; the count is
bounded by the articles given and the time by ``stop()``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

RETRY_EVERY_S = 0.2


@dataclass(frozen=True)
class Accepted:
    article_id: str
    status: str  # "new", or "duplicate" (published by an attempt whose answer was lost)
    accepted_at: float  # unix seconds of the 202
    attempts: int


@dataclass
class LoadRecord:
    accepted: list[Accepted] = field(default_factory=list)
    input_duplicates: list[str] = field(default_factory=list)  # "duplicate" at a first attempt
    given_up: int = 0
    retries: int = 0


class SteadyLoad:
    """``start()`` posts ``articles`` in order, article i at ``i / rate`` s;
    ``stop()`` ends it (the article being retried is finished or given up)."""

    def __init__(self, url: str, articles: list[dict[str, Any]], rate: float, *,
                 give_up_s: float = 60.0) -> None:
        self._url = url
        self._articles = articles
        self._rate = rate
        self._give_up_s = give_up_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-load", daemon=True)
        self.record = LoadRecord()

    def start(self) -> SteadyLoad:
        self._thread.start()
        return self

    def stop(self, timeout: float = 90.0) -> LoadRecord:
        self._stopping.set()
        self._thread.join(timeout)
        return self.record

    def _run(self) -> None:
        started = time.monotonic()
        with httpx.Client(base_url=self._url, timeout=10) as http:
            for i, article in enumerate(self._articles):
                if self._stopping.wait(max(0.0, started + i / self._rate - time.monotonic())):
                    return
                self._post(http, article)

    def _post(self, http: httpx.Client, article: dict[str, Any]) -> None:
        deadline = time.monotonic() + self._give_up_s
        attempts = 0
        while True:
            attempts += 1
            try:
                reply = http.post("/v1/articles", json=article)
                if reply.status_code == 202:
                    result = reply.json()["results"][0]
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.record.given_up += 1
                return
            self.record.retries += 1
            time.sleep(RETRY_EVERY_S)
        if result["status"] == "duplicate" and attempts == 1:
            self.record.input_duplicates.append(result["id"])
            return
        self.record.accepted.append(Accepted(result["id"], result["status"], time.time(), attempts))
