"""``watchfloor ingest`` end to end on a real Redis."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import redis
from watchfloor.services.cli.main import main
from watchfloor.shared.keys import Keys
from watchfloor.shared.schemas import Article
from watchfloor.shared.streams.codec import decode

pytestmark = pytest.mark.integration


def titles_in_stream(client: redis.Redis, keys: Keys) -> list[str]:
    articles = [decode(fields, Article) for _, fields in client.xrange(keys.articles)]
    return [a.title for a in articles]  # type: ignore[union-attr]


def jsonl(path: Path, *lines: object) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def test_good_file_exit_0_and_rerun_is_all_duplicate(
    tmp_path: Path, run, sync_redis: redis.Redis, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    path = jsonl(
        tmp_path / "a.jsonl",
        {"title": "Levee repaired", "text": "Crews finished overnight.", "id": "x1"},
        {"title": "Market reopens", "url": "https://city.example/market?utm_medium=rss"},
    )
    assert run(path) == 0
    out = capsys.readouterr().out
    assert f"{path}: 2 new, 0 duplicate, 0 rejected" in out
    assert "ingested 1 source(s): 2 new, 0 duplicate, 0 rejected" in out

    assert run(path) == 0
    assert "0 new, 2 duplicate, 0 rejected" in capsys.readouterr().out
    assert titles_in_stream(sync_redis, keys) == ["Levee repaired", "Market reopens"]
    assert sync_redis.hgetall(keys.metrics) == {b"ingested": b"2", b"duplicates": b"2"}


def test_bad_lines_exit_1_with_reasons_and_good_lines_published(
    tmp_path: Path, run, sync_redis: redis.Redis, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    first = jsonl(
        tmp_path / "first.jsonl",
        {"title": "Dam inspection passed"},
        "{broken",
        {"text": "headline missing"},
        {"title": "Same story", "text": "Told twice.", "url": "https://a.example/s"},
    )
    second = tmp_path / "second.json"
    second.write_text(
        json.dumps(
            [
                {"title": "Same story", "text": "Told twice.", "url": "https://b.example/copy"},
                {"title": "Late train", "published_at": "not a date"},
            ],
            indent=2,
        )
    )
    assert run(first, second) == 1
    out = capsys.readouterr().out
    assert f"{first}: 2 new, 0 duplicate, 2 rejected" in out
    assert f"{second}: 0 new, 1 duplicate, 1 rejected" in out
    assert "2 new, 1 duplicate, 3 rejected" in out
    assert f"{first}:2: invalid JSON" in out
    assert f"{first}:3: title: is required" in out
    assert f"{second}:7: published_at: is not an ISO 8601 date-time: 'not a date'" in out
    assert titles_in_stream(sync_redis, keys) == ["Dam inspection passed", "Same story"]
    assert sync_redis.hget(keys.metrics, "rejected") == b"3"


def test_only_the_first_20_rejections_are_listed(
    tmp_path: Path, run, capsys: pytest.CaptureFixture[str]
) -> None:
    path = jsonl(tmp_path / "bad.jsonl", *[{"text": f"no title {n}"} for n in range(25)])
    assert run(path) == 1
    out = capsys.readouterr().out
    assert out.count("title: is required") == 20
    assert "... and 5 more rejected" in out


def test_batches_smaller_than_the_file(
    tmp_path: Path, redis_url: str, key_prefix: str, sync_redis: redis.Redis, keys: Keys
) -> None:
    path = jsonl(tmp_path / "many.jsonl", *[{"title": f"Bulletin {n}"} for n in range(12)])
    argv = ["ingest", str(path), "--redis-url", redis_url, "--prefix", key_prefix]
    assert main([*argv, "--batch-size", "5"]) == 0
    assert titles_in_stream(sync_redis, keys) == [f"Bulletin {n}" for n in range(12)]


def test_missing_file_exit_2_and_nothing_published(
    tmp_path: Path, run, sync_redis: redis.Redis, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    good = jsonl(tmp_path / "good.jsonl", {"title": "Would be new"})
    missing = tmp_path / "missing.jsonl"
    assert run(good, missing) == 2
    captured = capsys.readouterr()
    assert f"error: cannot read {missing}: No such file or directory" in captured.err
    assert not sync_redis.exists(keys.articles)


def test_directory_instead_of_file_exit_2(
    tmp_path: Path, run, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path) == 2
    assert f"error: cannot read {tmp_path}: Is a directory" in capsys.readouterr().err


def test_unreachable_redis_exit_2_without_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = jsonl(tmp_path / "a.jsonl", {"title": "T"})
    url = f"redis://:s3cret@127.0.0.1:{port}/0"
    assert main(["ingest", str(path), "--redis-url", url]) == 2
    err = capsys.readouterr().err
    assert f"error: cannot reach Redis at redis://:***@127.0.0.1:{port}/0" in err
    assert "s3cret" not in err


def test_bad_batch_size_exit_2(tmp_path: Path, run, capsys: pytest.CaptureFixture[str]) -> None:
    path = jsonl(tmp_path / "a.jsonl", {"title": "T"})
    assert run(path, "--batch-size", "0") == 2
    assert "--batch-size must be at least 1" in capsys.readouterr().err


def test_help_explains_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["ingest", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "JSON lines" in out and "exit status" in out and "--redis-url" in out


def test_feed_file(
    tmp_path: Path, run, sync_redis: redis.Redis, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("feedparser")
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Test Wire</title>'
        "<item><title>Pier lights fixed</title><link>https://wire.example/pier</link></item>"
        "</channel></rss>"
    )
    assert run("--feed", feed) == 0
    assert f"{feed}: 1 new, 0 duplicate, 0 rejected" in capsys.readouterr().out
    assert titles_in_stream(sync_redis, keys) == ["Pier lights fixed"]


def test_unreadable_feed_exit_2(tmp_path: Path, run, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--feed", tmp_path / "none.xml") == 2
    assert "error: cannot read" in capsys.readouterr().err


def test_nothing_to_ingest_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest"]) == 2
    assert "nothing to ingest" in capsys.readouterr().err


def _sigint_during_ingest(tmp_path: Path, redis_url: str, key_prefix: str,
                          sync_redis: redis.Redis, keys: Keys, *, articles: int,
                          sigint: object, after: int) -> tuple[int, str, str]:
    """`watchfloor ingest` of ``articles`` articles in a process whose SIGINT
    disposition is ``sigint``, sent a SIGINT once ``after`` are published:
    (exit status, stdout, stderr)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "many.jsonl"
    with path.open("w") as out:
        for i in range(articles):
            out.write(json.dumps({"title": f"Harbour notice {i}", "text": "calm " * 30,
                                  "url": f"https://port.example/n/{i}"}) + "\n")
    env = {**os.environ, "WATCHFLOOR_REDIS_URL": redis_url, "WATCHFLOOR_KEY_PREFIX": key_prefix}
    process = subprocess.Popen(
        [sys.executable, "-m", "watchfloor.services.cli.main", "ingest", str(path),
         "--batch-size", "200"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))
    try:
        deadline = time.monotonic() + 60
        while sync_redis.xlen(keys.articles) < after:  # publishing has begun
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    return process.returncode, out, err


def test_ctrl_c_stops_after_the_batch_in_flight_and_says_what_was_published(
    tmp_path: Path, redis_url: str, key_prefix: str, sync_redis: redis.Redis, keys: Keys
) -> None:
    """A terminal's Ctrl-C (SIGINT, default handling as a shell leaves it):
    the command stops between batches with 130 and the count published,
    instead of publishing the rest of a large file."""
    import signal

    code, out, err = _sigint_during_ingest(tmp_path, redis_url, key_prefix, sync_redis, keys,
                                           articles=40_000, sigint=signal.SIG_DFL, after=1_000)
    published = sync_redis.xlen(keys.articles)
    assert code == 130, (out, err)
    assert "stopping after this batch" in err
    assert f"interrupted: {published} new articles were published" in err
    assert published < 40_000


def test_an_ignored_sigint_is_left_ignored(tmp_path: Path, redis_url: str, key_prefix: str,
                                           sync_redis: redis.Redis, keys: Keys) -> None:
    """A job started with SIGINT ignored (`trap '' INT`, a background job of
    a script) keeps running when one arrives, as Python leaves it."""
    import signal

    code, out, err = _sigint_during_ingest(tmp_path, redis_url, key_prefix, sync_redis, keys,
                                           articles=6_000, sigint=signal.SIG_IGN, after=200)
    assert code == 0, err
    assert "6000 new" in out and sync_redis.xlen(keys.articles) == 6_000
