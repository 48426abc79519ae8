"""The locked test split: chosen by a hash of the item id, fixed before any
model was fit, and never used to make a choice (features, C, thresholds).

Changing ``SALT`` or ``TEST_PERCENT`` would unlock it: don't.
"""

from __future__ import annotations

import hashlib

SALT = "watchfloor-locked-test-1"
TEST_PERCENT = 20


def is_locked_test(item_id: str) -> bool:
    digest = hashlib.sha256(f"{SALT}:{item_id}".encode()).hexdigest()
    return int(digest[:8], 16) % 100 < TEST_PERCENT
