"""`watchfloor up` records its embedded Redis; the other commands find it.

And the ports `up` and `worker` listen on: a busy one is one line, exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
from watchfloor.services.cli.common import embedded_redis_if_needed, settings_from_args
from watchfloor.services.cli.main import main
from watchfloor.services.cli.redis_record import read_record, record_path, write_record
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_server import free_port
from watchfloor.shared.settings import Settings

from tests.redis_backend import ON_CLUSTER

pytestmark = pytest.mark.integration

ARTICLE = {"title": "Navy holds harbour drill", "text": "The navy held a harbour drill on Monday.",
           "url": "https://news.example.org/record/1"}


def plain_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of an operator's shell: no Redis URL configured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHFLOOR_")}
    env.update({"WATCHFLOOR_DATA_DIR": str(tmp_path / "data"), "WATCHFLOOR_LOG_FORMAT": "json"})
    env.update({f"WATCHFLOOR_{k.upper()}": v for k, v in extra.items()})
    return env


def watchfloor(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "watchfloor.services.cli.main", *args],
                          env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture
def operator_shell(monkeypatch, tmp_path, key_prefix):
    """This process as an operator's shell in tmp_path: no WATCHFLOOR_REDIS_URL."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("WATCHFLOOR_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WATCHFLOOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WATCHFLOOR_KEY_PREFIX", key_prefix)
    return tmp_path / "data"


# The record names the embedded single Redis `up` starts; the tests below
# write the suite's Redis in it, which must then be a single one too.
single_redis_record = pytest.mark.skipif(
    ON_CLUSTER, reason="a record names the single Redis `up` embeds, never a cluster")


@single_redis_record
@pytest.mark.parametrize("command", [
    ["status", "--json"], ["alerts"], ["replay"], ["deliveries", "--failed"],
    ["worker", "nonesuch"],  # refused by argparse before any Redis: the control
])
async def test_commands_use_the_recorded_redis_and_say_so(operator_shell, redis_url, redis_client,
                                                         capsys, command):
    write_record(operator_shell, redis_url)
    try:
        code = await asyncio.to_thread(main, command)
    except SystemExit as exc:  # argparse
        code = exc.code
    err = capsys.readouterr().err
    said = (f"watchfloor: WATCHFLOOR_REDIS_URL is unset: using {redis_url}, recorded by "
            f"`watchfloor up` in {record_path(operator_shell)}\n")
    if command[0] == "worker":
        assert code == 2 and said not in err
    else:
        assert code == 0 and err == said


@single_redis_record
async def test_ingest_publishes_into_the_recorded_redis(operator_shell, redis_url, redis_client,
                                                       keys, tmp_path, capsys):
    write_record(operator_shell, redis_url)
    articles = tmp_path / "articles.jsonl"
    articles.write_text(json.dumps(ARTICLE) + "\n")
    assert await asyncio.to_thread(main, ["ingest", str(articles)]) == 0
    assert "recorded by `watchfloor up`" in capsys.readouterr().err
    assert await redis_client.xlen(keys.articles) == 1


def test_embedded_redis_is_recorded_while_it_runs_and_shared_not_doubled(operator_shell):
    settings = Settings(_env_file=None, data_dir=operator_shell)
    with embedded_redis_if_needed(settings, "up") as running:
        url = running.resolved_redis_url
        assert read_record(operator_shell) == url
        client = settings_from_args(argparse.Namespace(command="status", redis_url=None))
        assert client.resolved_redis_url == url
        # a second `up` or `demo` on the same folder uses it: one server per data dir
        with embedded_redis_if_needed(settings, "demo") as second:
            assert second.resolved_redis_url == url
        assert read_record(operator_shell) == url  # still the first one's
    assert read_record(operator_shell) is None
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()


@single_redis_record
async def test_commands_use_the_recorded_prefix_of_the_demo_unless_one_is_set(
        operator_shell, redis_url, redis_client, keys, key_prefix, monkeypatch, tmp_path,
        capsys):
    # before: after `make console` every command looked under the default
    # prefix: no alerts, and an ingested article that no worker ever read
    monkeypatch.delenv("WATCHFLOOR_KEY_PREFIX")
    demo_prefix = key_prefix  # (the suite's, so its keys are cleared after)
    write_record(operator_shell, redis_url, prefix=demo_prefix, by="demo")
    articles = tmp_path / "articles.jsonl"
    articles.write_text(json.dumps(ARTICLE) + "\n")
    assert await asyncio.to_thread(main, ["ingest", str(articles)]) == 0
    assert (f"using {redis_url} and key prefix '{demo_prefix}', recorded by "
            f"`watchfloor demo`") in capsys.readouterr().err
    assert await redis_client.xlen(keys.articles) == 1
    monkeypatch.setenv("WATCHFLOOR_KEY_PREFIX", demo_prefix + "-mine")  # configured wins
    settings = settings_from_args(argparse.Namespace(command="status", redis_url=None))
    assert settings.key_prefix == demo_prefix + "-mine"


@pytest.mark.parametrize("command", ["up", "demo"])
def test_a_cluster_without_a_url_is_refused_before_anything_starts(tmp_path, command):
    done = watchfloor(command, env=plain_env(tmp_path, redis_cluster="true"), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "WATCHFLOOR_REDIS_CLUSTER=true needs WATCHFLOOR_REDIS_URL" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data" / "redis").exists()  # no embedded Redis was started


def test_a_cluster_operator_is_not_sent_to_a_recorded_single_redis(operator_shell, monkeypatch,
                                                                  capsys):
    write_record(operator_shell, "redis://127.0.0.1:1/0")
    monkeypatch.setenv("WATCHFLOOR_REDIS_CLUSTER", "true")
    settings = settings_from_args(argparse.Namespace(command="status", redis_url=None))
    assert settings.redis_url is None  # the default node, not the record
    assert "recorded by" not in capsys.readouterr().err


@pytest.fixture
def busy_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


@pytest.mark.parametrize(("command", "setting"), [
    (["up"], "HTTP_PORT"),
    (["up"], "HEALTH_PORT"),
    (["worker", "ingest"], "HTTP_PORT"),
    (["worker", "classifier"], "HEALTH_PORT"),
])
def test_a_busy_port_is_one_line_and_exit_2(tmp_path, busy_port, command, setting):
    ports = {"http_port": str(free_port()), setting.lower(): str(busy_port)}
    done = watchfloor(*command, env=plain_env(tmp_path, **ports), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"watchfloor: error: cannot listen on 127.0.0.1:{busy_port} (WATCHFLOOR_{setting}): "
        f"the port is in use (another Watchfloor process?); set WATCHFLOOR_{setting} to a "
        "free port\n")
    assert not (tmp_path / "data" / "redis").exists()  # checked before Redis is started


@pytest.mark.slow
def test_up_records_its_redis_serves_health_and_removes_the_record(tmp_path):
    http_port, health_port = free_port(), free_port()
    env = plain_env(tmp_path, http_port=str(http_port), health_port=str(health_port))
    log = (tmp_path / "up.log").open("wb")
    up = subprocess.Popen([sys.executable, "-m", "watchfloor.services.cli.main", "up"],
                          env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    data = tmp_path / "data"
    try:
        deadline = time.monotonic() + 30
        ready = None
        while time.monotonic() < deadline and up.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{health_port}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        assert ready is not None and ready.status_code == 200, (tmp_path / "up.log").read_text()
        assert ready.json()["parts"] == ["ingest", "classifier", "notifier"]
        assert httpx.get(f"http://127.0.0.1:{health_port}/livez").status_code == 200
        url = read_record(data)
        assert url and url.startswith("redis://127.0.0.1:")

        articles = tmp_path / "articles.jsonl"
        articles.write_text(json.dumps(ARTICLE) + "\n")
        ingested = watchfloor("ingest", str(articles), env=env, cwd=tmp_path)
        status = watchfloor("status", "--json", env=env, cwd=tmp_path)
        said = f"using {url}, recorded by `watchfloor up` in {Path('data') / 'redis.url'}"
        for done in (ingested, status):
            assert done.returncode == 0, done.stderr
            assert said.replace("data/", f"{data}/") in done.stderr
        assert "1 new" in ingested.stdout
        # counted, not looked up in the stream: the articles stream is a work
        # queue that `up` may already have read and trimmed
        assert int(redis.Redis.from_url(url).hget(Keys().metrics, "ingested") or 0) == 1

        up.send_signal(signal.SIGTERM)
        assert up.wait(30) == 0
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
        log.close()
    assert read_record(data) is None
