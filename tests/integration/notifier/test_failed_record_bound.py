"""The record of failed deliveries keeps what waits for `replay`, whatever
the stream bound: lowered to save memory, STREAM_MAXLEN dropped owed alerts."""

from __future__ import annotations

import pytest
from watchfloor.services.notifier.delivery_state import DeliveryState
from watchfloor.shared.schemas import Delivery

from tests.unit.notifier.factories import make_alert

pytestmark = pytest.mark.integration


async def test_failed_deliveries_are_kept_beyond_stream_maxlen(redis_client, keys, settings):
    settings = settings.model_copy(update={"stream_maxlen": 100, "failed_deliveries_maxlen": 1_000})
    state = DeliveryState(redis_client, keys, settings)
    alert = make_alert()
    async with redis_client.pipeline(transaction=False) as pipe:
        for n in range(300):
            delivery = Delivery(id=f"msg_{n}", alert=alert, target_name="hook")
            state.queue_failure(pipe, delivery, reason="permanent: http_410", now=1.0)
        await pipe.execute()
    # (XADD MAXLEN ~ trims whole nodes of 100 entries: 300 would have gone to ~100)
    assert await redis_client.xlen(keys.failed_deliveries) == 300
