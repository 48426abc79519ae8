"""The whole path on a real Redis and a real HTTP receiver: articles in through
the HTTP API and through a file, signed alerts out, each exactly once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from watchfloor.services.classifier.app import classifier_parts
from watchfloor.services.cli.main import main as cli_main
from watchfloor.services.ingest.app import ingest_parts
from watchfloor.services.notifier.app import notifier_parts
from watchfloor.shared.streams.worker import create_worker_app

from tests.integration.helpers import running, wait_until

pytestmark = pytest.mark.integration

MISSILE_SECRET = "whsec_" + "bWlzc2lsZS1zZWNyZXQtZm9yLXRlc3RzLW9ubHk="
DPRK_SECRET = "whsec_" + "ZHByay1ydXNzaWEtc2VjcmV0LWZvci10ZXN0cw=="

WATCHLISTS = f"""
watchlists:
  - id: all-missile-tests
    name: Every missile test
    match: {{tags_any: [missile_test], min_confidence: 0.5}}
    targets:
      - {{type: webhook, url: "${{RECEIVER}}/missiles", secret: "{MISSILE_SECRET}"}}
  - id: dprk-russia
    name: North Korea and Russia
    match:
      tags_any: [missile_test, troop_deployment, treaty_reaffirmation]
      actors_any: [KP, RU]
    targets:
      - {{type: webhook, url: "${{RECEIVER}}/dprk", secret: "{DPRK_SECRET}"}}
"""

MISSILE = {
    "title": "North Korea test-fires ballistic missile into the sea",
    "text": "North Korea test-fired a short-range ballistic missile off its east coast "
            "on Monday, the South Korean military said.",
    "url": "https://news.example.org/e2e/missile?utm_source=feed",
}
ROCKETS = {
    "title": "Rockets beat Lakers in overtime thriller",
    "text": "The Houston Rockets won 121-118 after a late three-pointer.",
    "url": "https://news.example.org/e2e/rockets",
}
TROOPS = {
    "title": "Russia sends thousands of troops to the border",
    "text": "Russia has deployed about 8,000 troops to its western border, "
            "officials in Moscow said on Friday.",
    "url": "https://news.example.org/e2e/troops",
}


@pytest.fixture
def pipeline_settings(settings, receiver, tmp_path: Path):
    watchlists = tmp_path / "watchlists.yaml"
    watchlists.write_text(WATCHLISTS)
    receiver.secrets = {"/missiles": MISSILE_SECRET, "/dprk": DPRK_SECRET}
    return settings.model_copy(update={"watchlists_file": watchlists})


def make_pipeline(settings, receiver):
    return create_worker_app(
        settings, [ingest_parts, classifier_parts, notifier_parts],
        env={"RECEIVER": receiver.url("")},
    )


async def test_articles_in_by_api_and_file_come_out_as_signed_alerts_once(
    pipeline_settings, receiver, redis_client, keys, tmp_path
):
    app = make_pipeline(pipeline_settings, receiver)
    async with running(app):
        api = app.runtime.info["ingest_url"]
        async with httpx.AsyncClient(base_url=api) as http:
            first = await http.post("/v1/articles", json=[MISSILE, ROCKETS])
            assert first.status_code == 202, first.text
            assert first.json()["new"] == 2
            again = await http.post("/v1/articles", json=MISSILE)  # same article again
            assert again.json()["duplicate"] == 1

        feed = tmp_path / "articles.jsonl"
        feed.write_text(json.dumps(TROOPS) + "\n")
        code = await asyncio.to_thread(
            cli_main, ["ingest", str(feed), "--redis-url", pipeline_settings.resolved_redis_url,
                       "--prefix", pipeline_settings.key_prefix])
        assert code == 0

        # missile -> both watchlists; troops -> dprk-russia; rockets -> nothing
        assert await asyncio.to_thread(receiver.wait_for, 3, 20), [r.path for r in receiver.requests]

        async def quiet() -> bool:  # nothing left to deliver or retry
            return (await redis_client.zcard(keys.retry_schedule) == 0
                    and (await redis_client.xpending(keys.deliveries, "delivery"))["pending"] == 0)
        await wait_until(quiet, what="deliveries settled")
        await asyncio.sleep(1.0)  # room for a duplicate to show up

    got = receiver.delivered()
    assert len(got) == 3
    assert all(r.verified for r in got), "every signature verifies with standardwebhooks"
    assert len({r.headers["webhook-id"] for r in got}) == 3
    by_path: dict[str, list[str]] = {}
    for r in got:
        by_path.setdefault(r.path, []).append(r.json()["data"]["article"]["title"])
    assert by_path["/missiles"] == [MISSILE["title"]]
    assert sorted(by_path["/dprk"]) == sorted([MISSILE["title"], TROOPS["title"]])
    missile_alert = next(r.json()["data"] for r in got if r.path == "/missiles")
    tag = missile_alert["tags"][0]
    assert tag["tag"] == "missile_test" and "test-fire" in tag["evidence"]
    assert "KP" in {a["id"] for a in missile_alert["actors"]}


async def test_bad_input_on_the_api_is_refused_clearly_and_loses_nothing(
    pipeline_settings, receiver, redis_client, keys
):
    app = make_pipeline(pipeline_settings, receiver)
    async with running(app):
        async with httpx.AsyncClient(base_url=app.runtime.info["ingest_url"]) as http:
            bad = await http.post("/v1/articles", json=[MISSILE, {"text": "no title"}])
            assert bad.status_code == 422
            problems = bad.json()["error"]["problems"]
            assert problems[0]["index"] == 1 and problems[0]["field"] == "title"
            good = await http.post("/v1/articles", json=MISSILE)
            assert good.status_code == 202 and good.json()["new"] == 1
        assert await asyncio.to_thread(receiver.wait_for, 2, 20)


async def test_failing_receiver_is_retried_on_schedule_and_410_is_given_up(
    pipeline_settings, receiver, redis_client, keys
):
    receiver.plan("/missiles", [503, 503])  # then 200
    receiver.plan("/dprk", [410])
    app = make_pipeline(pipeline_settings, receiver)
    async with running(app):
        async with httpx.AsyncClient(base_url=app.runtime.info["ingest_url"]) as http:
            assert (await http.post("/v1/articles", json=MISSILE)).status_code == 202

        assert await asyncio.to_thread(receiver.wait_for, 1, 20, "/missiles")

        async def failure_recorded() -> bool:
            return await redis_client.xlen(keys.failed_deliveries) == 1
        await wait_until(failure_recorded, what="410 recorded")
        await asyncio.sleep(1.0)  # the schedule is 0.2s, 0.4s: a wrong retry would show

    missiles = [r for r in receiver.requests if r.path == "/missiles"]
    assert [r.status for r in missiles] == [503, 503, 200]
    assert len({r.headers["webhook-id"] for r in missiles}) == 1  # same id on every attempt
    assert [r.status for r in receiver.requests if r.path == "/dprk"] == [410]  # never retried
    (_, failure), = await redis_client.xrange(keys.failed_deliveries)
    assert b"410" in failure[b"reason"]
    assert await redis_client.zcard(keys.retry_schedule) == 0


async def test_failed_delivery_is_sent_again_after_replay(pipeline_settings, receiver, redis_client, keys):
    receiver.plan("/missiles", [410])
    app = make_pipeline(pipeline_settings, receiver)
    async with running(app):
        async with httpx.AsyncClient(base_url=app.runtime.info["ingest_url"]) as http:
            assert (await http.post("/v1/articles", json=MISSILE)).status_code == 202

        async def failed() -> bool:
            return await redis_client.xlen(keys.failed_deliveries) == 1
        await wait_until(failed, what="410 recorded")

        code = await asyncio.to_thread(
            cli_main, ["replay", "--deliveries", "--redis-url", pipeline_settings.resolved_redis_url,
                       "--prefix", pipeline_settings.key_prefix])
        assert code == 0
        assert await asyncio.to_thread(receiver.wait_for, 1, 20, "/missiles")
    assert [r.status for r in receiver.requests if r.path == "/missiles"] == [410, 200]
    assert await redis_client.xlen(keys.failed_deliveries) == 0


async def test_versions_of_one_story_alert_once(pipeline_settings, receiver, redis_client, keys):
    wire = dict(MISSILE, url="https://wire.example.org/dprk-missile")
    outlet = {  # the same wire story, re-run by another outlet with a new headline
        "title": "North Korea test-fires ballistic missile into the sea, Seoul says",
        "text": MISSILE["text"],
        "url": "https://outlet.example.net/world/asia/dprk-launch",
    }
    app = make_pipeline(pipeline_settings, receiver)
    async with running(app):
        async with httpx.AsyncClient(base_url=app.runtime.info["ingest_url"]) as http:
            first = (await http.post("/v1/articles", json=wire)).json()
            second = (await http.post("/v1/articles", json=outlet)).json()
        assert first["new"] == 1 and second["new"] == 1  # both kept: not exact duplicates
        assert await asyncio.to_thread(receiver.wait_for, 2, 20)

        async def throttled() -> bool:
            return int(await redis_client.hget(keys.metrics, "alerts_throttled") or 0) == 2
        await wait_until(throttled, what="second version throttled on both watchlists")
        await asyncio.sleep(0.5)

    got = receiver.delivered()
    assert len(got) == 2  # one per watchlist, for the first version only
    stories = {r.json()["data"]["article"]["story_id"] for r in got}
    assert stories == {first["results"][0]["id"]}


async def test_watchlist_added_through_the_api_starts_alerting(
    pipeline_settings, receiver, redis_client, keys
):
    secret = "whsec_" + "YXBpLW1hbmFnZWQtd2F0Y2hsaXN0LXNlY3JldC0x"
    receiver.secrets["/troops"] = secret
    settings = pipeline_settings.model_copy(update={"watchlists_refresh_s": 0.2})
    app = make_pipeline(settings, receiver)
    async with running(app):
        async with httpx.AsyncClient(base_url=app.runtime.info["ingest_url"]) as http:
            created = await http.put("/v1/watchlists/troop-moves", json={
                "name": "Troop movements",
                "match": {"tags_any": ["troop_deployment"]},
                "targets": [{"type": "webhook", "url": receiver.url("/troops"), "secret": secret}],
            })
            assert created.status_code == 201, created.text
            assert secret not in created.text
            listed = (await http.get("/v1/watchlists")).json()["watchlists"]
            assert {w["id"]: w["source"] for w in listed} == {
                "all-missile-tests": "file", "dprk-russia": "file", "troop-moves": "api"}
            # The notifier reloads every 0.2 s; wait for it rather than guess.
            reload = next(j for p in app.parts for j in p.periodic if j.name == "watchlists_reload")
            active = reload.run.__self__  # the notifier's ActiveWatchlists

            async def picked_up() -> bool:
                return "troop-moves" in {w.id for w in active.watchlists}
            await wait_until(picked_up, what="the notifier to load the new watchlist")
            assert (await http.post("/v1/articles", json=TROOPS)).status_code == 202

        assert await asyncio.to_thread(receiver.wait_for, 1, 20, "/troops")
    (request,) = receiver.delivered("/troops")
    assert request.verified
    assert request.json()["data"]["watchlist"]["id"] == "troop-moves"


async def test_an_edited_watchlists_file_takes_effect_without_a_restart(
    pipeline_settings, receiver, redis_client, keys
):
    secret = "whsec_" + "ZmlsZS1lZGl0ZWQtd2F0Y2hsaXN0LXNlY3JldC0x"
    receiver.secrets["/troops"] = secret
    settings = pipeline_settings.model_copy(update={"watchlists_refresh_s": 0.2})
    app = make_pipeline(settings, receiver)
    async with running(app):
        path = settings.watchlists_file
        path.write_text(path.read_text() + (
            "  - id: troop-moves\n    name: Troop movements\n"
            "    match: {tags_any: [troop_deployment]}\n"
            f"    targets: [{{type: webhook, url: \"${{RECEIVER}}/troops\", secret: \"{secret}\"}}]\n"
        ))
        reload = next(j for p in app.parts for j in p.periodic if j.name == "watchlists_reload")
        active = reload.run.__self__  # the notifier's ActiveWatchlists

        async with httpx.AsyncClient(base_url=app.runtime.info["ingest_url"]) as http:
            async def reloaded() -> bool:  # by the notifier, and in the API's listing
                listed = (await http.get("/v1/watchlists")).json()["watchlists"]
                return ("troop-moves" in {w.id for w in active.watchlists}
                        and {w["id"]: w["source"] for w in listed}.get("troop-moves") == "file")
            await wait_until(reloaded, what="the edited file reloaded")
            assert (await http.post("/v1/articles", json=TROOPS)).status_code == 202
        assert await asyncio.to_thread(receiver.wait_for, 1, 20, "/troops")
    assert receiver.delivered("/troops")[0].verified
