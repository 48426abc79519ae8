"""Progress lines: none for quick work, at most one per interval for long work."""

from __future__ import annotations

import io

from watchfloor.shared.progress import Progress


def test_quick_work_prints_nothing_and_long_work_prints_at_intervals():
    now = [0.0]
    out = io.StringIO()
    progress = Progress("classified", stream=out, every_s=2.0, clock=lambda: now[0])
    for _ in range(100):
        progress.add()
    assert out.getvalue() == ""

    now[0] = 2.5
    progress.add(400)
    now[0] = 3.0
    progress.add()  # within the interval: silent
    assert out.getvalue().splitlines() == ["classified: 500 so far (200/s)"]
