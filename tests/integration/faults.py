"""Shared pieces of the fault tests that run real worker processes."""

from __future__ import annotations

from pathlib import Path

import redis
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.schemas import Article
from watchfloor.shared.streams.codec import encode

SECRET = "whsec_" + "ZmF1bHQtdGVzdHMtc2VjcmV0LWtleS0xMjM0NTY="

CATCH_ALL_MISSILES = f"""
watchlists:
  - id: missiles
    name: Missile tests
    match: {{tags_any: [missile_test]}}
    targets:
      - {{type: webhook, url: "${{RECEIVER}}/alerts", secret: "{SECRET}"}}
"""

_FILLER = (
    "Officials in several capitals said they were following the situation closely "
    "and urged restraint from all sides while talks on other matters continued. "
)


def missile_article(i: int, filler_sentences: int = 0) -> Article:
    text = (f"North Korea test-fired a short-range ballistic missile off its east coast "
            f"on day {i} of the month, the South Korean military said. ")
    return Article(
        id=f"fault-{i:05d}",
        title=f"North Korea test-fires ballistic missile, report {i}",
        text=text + _FILLER * filler_sentences,
        url=f"https://news.example.org/faults/{i}",
    )


def publish_articles(client: redis.Redis, stream: str, articles: list[Article]) -> list[str]:
    """The entry id of each article, in order."""
    pipe = client.pipeline(transaction=False)
    for article in articles:
        pipe.xadd(stream, encode(article))
    return [as_str(entry_id) for entry_id in pipe.execute()]


def write_watchlists(directory: Path) -> Path:
    path = directory / "watchlists.yaml"
    path.write_text(CATCH_ALL_MISSILES)
    return path


def delivered_article_ids(receiver) -> list[str]:
    return [r.json()["data"]["article"]["id"] for r in receiver.delivered()]
