"""Browser tests: Playwright (from PyPI) driving Debian's Chromium against a
real pipeline (`watchfloor up` as a process) on the suite's Redis.

Skipped, with the reason, when /usr/bin/chromium is missing (`.ci/run`
installs Debian's `chromium` package where it can). Playwright's own
browser download is never used.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from watchfloor.shared.keys import Keys
from watchfloor.shared.redis_server import free_port

from tests.redis_backend import ON_CLUSTER, sync_redis

CHROMIUM = Path("/usr/bin/chromium")
# As root in a container Chromium needs --no-sandbox; the rest keeps it off
# the network (this machine has none) and quick to start.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not CHROMIUM.exists():
    pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} "
                "(apt-get install -y chromium; .ci/run does it as root)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api",
                                     reason="browser tests need playwright (pip install -e '.[dev]')")

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WATCHLISTS = """
watchlists:
  - id: missiles
    name: Missile tests
    match: {tags_any: [missile_test], min_confidence: 0.5}
  - id: iran
    name: Iran sanctions and nuclear
    match: {tags_any: [sanctions, nuclear_activity], actors_any: [IR], min_confidence: 0.5}
  - id: exercises
    name: Military exercises
    match: {tags_any: [military_exercise], min_confidence: 0.5}
"""

# Invented articles (no real news text in the repo).
MISSILE = {
    "title": "Pyongyang launches solid-fuel missile toward eastern waters",
    "text": "The North's army launched a solid-fuel missile toward its eastern waters early "
            "on Monday, according to the joint chiefs in Seoul, the second launch this month.",
    "url": "https://news.example.org/2026/11/dprk-missile-east-coast",
    "source": "Example Wire", "published_at": "2026-11-30T06:10:00Z",
}
MISSILE_AGAIN = {  # a second version of the same story, from another outlet
    "title": "Pyongyang launches solid-fuel missile toward its eastern waters",
    "text": "The North's army launched a solid-fuel missile toward its eastern waters early "
            "on Monday, according to the joint chiefs in Seoul, the second launch this month. "
            "Tokyo lodged a protest.",
    "url": "https://other.example.net/world/dprk-launch",
    "source": "Other Daily", "published_at": "2026-11-30T06:40:00Z",
}
SANCTIONS = {
    "title": "EU imposes new sanctions on Iran over drone supplies",
    "text": "The European Union imposed new sanctions on Iran on Tuesday, freezing the assets of "
            "eight companies it said had supplied drones.",
    "url": "https://news.example.org/2026/11/eu-iran-sanctions",
    "source": "Example Wire", "published_at": "2026-11-30T05:00:00Z",
}
EXERCISE = {
    "title": "Japan and US begin joint military exercise near Okinawa",
    "text": "Japanese and American forces began a joint military exercise near Okinawa on "
            "Wednesday, with about 5,000 troops taking part, the defence ministry said.",
    "url": "https://news.example.org/2026/11/japan-us-drills",
    "source": "Example Wire", "published_at": "2026-11-30T04:00:00Z",
}


@dataclass
class Console:
    url: str
    prefix: str
    redis_url: str
    env: dict[str, str]
    tokens: dict[str, str]

    def post(self, *articles: dict) -> dict:
        reply = httpx.post(f"{self.url}/v1/articles", json=list(articles), timeout=30)
        assert reply.status_code == 202, reply.text
        return reply.json()

    @property
    def keys(self) -> Keys:
        return Keys(self.prefix, cluster=ON_CLUSTER)

    def redis(self) -> redis.Redis:
        return sync_redis(self.redis_url)

    def alert_count(self) -> int:
        with self.redis() as client:
            return int(client.xlen(self.keys.alerts))

    def wait_for_alerts(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.alert_count() < count:
            assert time.monotonic() < deadline, f"fewer than {count} alerts after {timeout}s"
            time.sleep(0.05)


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "watchfloor.services.cli.main", *args],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


# Module scope: Playwright's sync API keeps its event loop running while it
# is open, so it must be closed before other modules' asyncio tests run.
@pytest.fixture(scope="module")
def console(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """`watchfloor up` with three watchlists (no targets), accounts made with
    the CLI, and the sample alerts raised."""
    folder = tmp_path_factory.mktemp("console")
    (folder / "watchlists.yaml").write_text(WATCHLISTS)
    prefix = f"wfbrowser:{uuid.uuid4().hex[:10]}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHFLOOR_")}
    env.update({
        "WATCHFLOOR_REDIS_CLUSTER": str(ON_CLUSTER).lower(),
        "WATCHFLOOR_REDIS_URL": redis_url, "WATCHFLOOR_KEY_PREFIX": prefix,
        "WATCHFLOOR_HTTP_PORT": str(port), "WATCHFLOOR_WATCHLISTS_FILE": str(folder / "watchlists.yaml"),
        "WATCHFLOOR_POLL_INTERVAL_MS": "50", "WATCHFLOOR_LOG_FORMAT": "json",
        "WATCHFLOOR_DATA_DIR": str(folder / "data"),
    })
    log = (folder / "up.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "watchfloor.services.cli.main", "up"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (folder / "up.log").read_text()[-3000:]
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (folder / "up.log").read_text()[-3000:]
            time.sleep(0.1)
        tokens = {}
        for name, role in (("ada", "editor"), ("vic", "viewer"), ("root", "admin")):
            out = _cli(env, "console", "user", "add", name, "--role", role)
            tokens[name] = re.search(r"^(\S{30,})$", out, re.M).group(1)
        handle = Console(url, prefix, redis_url, env, tokens)
        handle.post(MISSILE, SANCTIONS, EXERCISE)
        handle.wait_for_alerts(3)
        yield handle
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        with sync_redis(redis_url) as client:
            base = Keys(prefix, cluster=ON_CLUSTER).base
            for key in set(client.scan_iter(match=f"{base}*", count=1000)):
                client.delete(key)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: object, console: Console) -> Iterator[object]:
    context = browser.new_context(base_url=console.url, timezone_id="Europe/Paris",
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        context.close()


def sign_in(page: object, console: Console, name: str = "ada") -> None:
    page.goto("/")
    page.get_by_label("Account name").fill(name)
    page.get_by_label("Token").fill(console.tokens[name])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Alerts", level=1).wait_for()
