"""A plain regular-expression tagger: the yardstick ``make bench`` runs beside
``watchfloor classify``, with the same JSON lines in and out.

    python -m watchfloor.services.bench.regex_tagger < items.jsonl > tags.jsonl

One keyword pattern per tag, nothing else: what a team would write in an
afternoon. Its speed is the floor a real classifier is compared with.
"""

from __future__ import annotations

import json
import re
import sys
from typing import IO

PATTERNS = {
    "missile_test": r"\b(?:missile|ballistic|icbm|test-fire[sd]?)\b",
    "troop_deployment": r"\b(?:troops|soldiers|deploy(?:s|ed|ment)?|reinforcements)\b",
    "treaty_reaffirmation": r"\b(?:treaty|pact|accord|alliance)\b",
    "military_exercise": r"\b(?:drills?|military exercises?|war games)\b",
    "arms_transfer": r"\b(?:arms (?:sale|deal|supplies)|weapons (?:to|for)|military aid)\b",
    "diplomatic_visit": r"\b(?:visits?|visited|summit|state visit)\b",
    "nuclear_activity": r"\b(?:nuclear|uranium|enrichment|warheads?)\b",
    "sanctions": r"\b(?:sanctions?|sanctioned|embargo)\b",
}
_COMPILED = [(tag, re.compile(p, re.I)) for tag, p in sorted(PATTERNS.items())]


def tag(title: str, text: str) -> list[str]:
    joined = f"{title}\n{text}"
    return [name for name, pattern in _COMPILED if pattern.search(joined)]


def run(source: IO[str], sink: IO[str]) -> int:
    count = 0
    for line in source:
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            out = {"id": item.get("id"), "tags": tag(item.get("title") or "", item.get("text") or "")}
        except (ValueError, AttributeError) as exc:
            out = {"error": str(exc)}
        sink.write(json.dumps(out) + "\n")
        count += 1
    return count


if __name__ == "__main__":
    run(sys.stdin, sys.stdout)
