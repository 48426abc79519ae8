"""A group's lag as status, metrics and the partition check read it."""

from __future__ import annotations

from typing import Any

from watchfloor.shared.streams.status import group_lag


class _Stream:
    """The XREVRANGE/XRANGE replies of a stream holding ``ids``."""

    def __init__(self, *ids: str) -> None:
        self.ids = list(ids)

    async def xrevrange(self, stream: str, count: int) -> list[tuple[str, dict[str, Any]]]:
        return [(i, {}) for i in reversed(self.ids)][:count]

    async def xrange(self, stream: str, min: str, count: int) -> list[tuple[str, dict[str, Any]]]:
        after = min.lstrip("(")
        return [(i, {}) for i in self.ids if tuple(map(int, i.split("-"))) >
                tuple(map(int, after.split("-")))][:count]


async def test_a_group_that_read_the_newest_entry_has_no_lag_whatever_xinfo_says() -> None:
    # Redis 7.0 restarted from its AOF: XINFO kept "lag 213" with every entry
    # read and none pending, and the workers refused a new partition count
    # until it drained, which it never did
    group = {"name": "classifier", "last-delivered-id": "1700000000000-5", "lag": 213}
    assert await group_lag(_Stream("1699999999999-0", "1700000000000-5"), "s", group) == 0
    assert await group_lag(_Stream(), "s", group) == 0  # trimmed empty


async def test_a_group_behind_keeps_its_lag() -> None:
    group = {"name": "classifier", "last-delivered-id": "1700000000000-5", "lag": 2}
    stream = _Stream("1700000000000-5", "1700000000001-0", "1700000000002-0")
    assert await group_lag(stream, "s", group) == 2
    # Redis < 7: no lag field, counted
    assert await group_lag(stream, "s", {**group, "lag": None}) == 2
