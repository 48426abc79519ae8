"""The watchlists file is re-read when it changes; a broken edit keeps the last good set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from watchfloor.services.classifier.taxonomy import known_tag_ids
from watchfloor.services.watchlists.file import WatchlistsFile
from watchfloor.services.watchlists.model import WatchlistError

SECRET = "whsec_" + "d2F0Y2hsaXN0cy1maWxlLXJlbG9hZC10ZXN0LTEy"


def watchlist_yaml(*ids: str) -> str:
    items = "".join(
        f"  - id: {i}\n    name: {i}\n    match: {{tags_any: [missile_test]}}\n"
        f"    targets: [{{type: webhook, url: 'https://hooks.example.org/{i}', secret: '{SECRET}'}}]\n"
        for i in ids
    )
    return "watchlists:\n" + items


def write(path: Path, text: str, bump: int) -> None:
    path.write_text(text)
    stat = path.stat()  # a distinct mtime even within one clock tick
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump * 1_000_000_000))


def test_an_edit_takes_effect_and_a_broken_edit_keeps_the_last_good_set(tmp_path: Path):
    path = tmp_path / "watchlists.yaml"
    write(path, watchlist_yaml("one"), 0)
    file = WatchlistsFile(path, env={}, known_tags=known_tag_ids())
    assert [w.id for w in file.current] == ["one"]
    assert file.reload_if_changed() is False  # unchanged

    write(path, watchlist_yaml("one", "two"), 1)
    assert file.reload_if_changed() is True
    assert [w.id for w in file.current] == ["one", "two"]

    write(path, "watchlists:\n  - id: three\n    match: {tags_any: [missle_test]}\n", 2)
    assert file.reload_if_changed() is False
    assert [w.id for w in file.current] == ["one", "two"]  # still alerting


def test_a_broken_file_at_start_is_an_error(tmp_path: Path):
    path = tmp_path / "watchlists.yaml"
    path.write_text("watchlists: [1]\n")
    with pytest.raises(WatchlistError):
        WatchlistsFile(path, env={}, known_tags=known_tag_ids())
