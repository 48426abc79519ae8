"""The console over HTTP on a real Redis (no browser): who may do what, CSRF,
escaping, secrets, and the notifier honouring a mute set in the console."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from structlog.testing import capture_logs
from watchfloor.services.console.accounts import AccountStore
from watchfloor.services.console.history import classified_stream, history_stream, time_id
from watchfloor.services.ingest.api import create_api
from watchfloor.services.notifier.active_watchlists import ActiveWatchlists
from watchfloor.services.notifier.alerting import AlertRaiser
from watchfloor.services.notifier.delivery import fan_out
from watchfloor.services.notifier.story_throttle import ThrottledAlert
from watchfloor.services.notifier.target_pauses import PausedTargets
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.services.watchlists.store import WatchlistStore
from watchfloor.shared.pipeline import stage
from watchfloor.shared.streams.codec import DATA_FIELD, encode
from watchfloor.shared.streams.consumer import Incoming

from tests.unit.console.factories import IR, alert, article, classified
from tests.unit.notifier.factories import make_secret

pytestmark = pytest.mark.integration

SECRET = "whsec_" + "B" * 40
TAGS = frozenset({"missile_test", "sanctions", "military_exercise"})


class Officer:
    def __init__(self, client: httpx.AsyncClient, csrf: str) -> None:
        self.client, self.csrf = client, csrf

    async def post(self, path: str, **data: str) -> httpx.Response:
        return await self.client.post(path, data={"csrf": self.csrf, **data})

    async def add_account(self, **data: str) -> httpx.Response:
        """The accounts page's form, as the page gives it out (its form id)."""
        page = (await self.client.get("/accounts")).text
        form_id = re.search(r'name="form_id" value="([^"]+)"', page).group(1)
        return await self.post("/accounts", form_id=form_id, **data)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


@pytest.fixture
async def app(settings, redis_client, keys):
    store = WatchlistStore(redis_client, keys, known_tags=TAGS)
    return create_api(settings, redis_client, watchlist_store=store)


@pytest.fixture
async def sign_in(app, redis_client, keys) -> AsyncIterator:
    clients = []

    async def signed_in(role: str, name: str | None = None) -> Officer:
        name = name or role
        _, token = await AccountStore(redis_client, keys).add(name, role, replace=True)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console")
        clients.append(client)
        page = await client.get("/signin")
        reply = await client.post("/signin", data={"csrf": csrf_of(page.text), "name": name,
                                                   "token": token, "next": "/"})
        assert reply.status_code == 303
        return Officer(client, csrf_of((await client.get("/")).text))

    yield signed_in
    for client in clients:
        await client.aclose()


async def test_pages_need_a_signed_in_account(app) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as c:
        for path in ("/", "/watchlists", "/labels", "/labels.jsonl", "/story/u-1"):
            reply = await c.get(path)
            assert reply.status_code == 303 and reply.headers["location"].startswith("/signin")
        assert (await c.get("/events")).status_code == 401
        assert (await c.post("/alerts/al_1/ack", data={"csrf": "x"})).status_code == 401
        assert (await c.get("/healthz")).status_code == 200  # the API is untouched


async def test_a_write_without_the_csrf_token_or_from_another_site_is_refused(
        sign_in, redis_client, keys) -> None:
    editor = await sign_in("editor")
    reply = await editor.client.post("/alerts/al_1/ack", data={"csrf": "forged"})
    assert reply.status_code == 403 and "out of date" in reply.text
    reply = await editor.client.post("/alerts/al_1/ack", data={"csrf": editor.csrf},
                                     headers={"origin": "https://evil.example"})
    assert reply.status_code == 403
    assert await redis_client.hlen(keys.alert_acks) == 0
    reply = await editor.post("/alerts/al_1/ack", next="/")
    assert reply.status_code == 303 and await redis_client.hexists(keys.alert_acks, "al_1")


async def test_a_viewer_reads_but_cannot_write(sign_in, redis_client, keys) -> None:
    viewer = await sign_in("viewer")
    assert (await viewer.client.get("/")).status_code == 200
    for path, data in (("/alerts/al_1/ack", {}), ("/stories/u-1/mute", {}),
                       ("/judge", {"article_id": "u-1", "kind": "wrong", "tag": "sanctions"}),
                       ("/watchlists/save", {"id": "x", "name": "X", "action": "save"})):
        reply = await viewer.post(path, **data)
        assert reply.status_code == 403 and "needs the editor role" in reply.text
    assert await redis_client.hlen(keys.console_labels) == 0
    assert await redis_client.hlen(keys.watchlists) == 0
    assert (await viewer.client.get("/accounts")).status_code == 403


async def test_a_new_token_ends_the_old_sessions(sign_in, redis_client, keys) -> None:
    editor = await sign_in("editor", "ada")
    await AccountStore(redis_client, keys).add("ada", "editor", replace=True)
    assert (await editor.client.get("/")).status_code == 303


async def test_removing_an_account_and_making_it_again_ends_the_old_sessions(
        sign_in, redis_client, keys) -> None:
    officer = await sign_in("admin", "bob")
    store = AccountStore(redis_client, keys)
    await store.remove("bob")
    await store.add("bob", "admin")  # a leaked token is revoked this way too
    assert (await officer.client.get("/accounts")).status_code == 303


async def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(sign_in) -> None:
    officer = await sign_in("viewer")
    cookie = officer.client.cookies.get("watchfloor_console")
    assert (await officer.post("/signout")).status_code == 303
    async with httpx.AsyncClient(transport=officer.client._transport,
                                 base_url="http://console",
                                 cookies={"watchfloor_console": cookie}) as copy:
        assert (await copy.get("/")).status_code == 303  # to sign-in


async def test_a_session_lasts_twelve_hours_from_sign_in_however_often_it_is_renewed(
        sign_in, monkeypatch) -> None:
    officer = await sign_in("viewer")
    assert (await officer.client.get("/signin")).status_code == 200  # signs the cookie again
    assert (await officer.client.get("/")).status_code == 200
    later = time.time() + 12 * 3600 + 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert (await officer.client.get("/")).status_code == 303


async def test_a_viewer_can_try_a_watchlist_but_not_save_it(sign_in, redis_client, keys) -> None:
    viewer = await sign_in("viewer")
    page = await viewer.client.get("/watchlists/new")
    assert 'value="try"' in page.text
    tried = await viewer.post("/watchlists/save", tags_any="missile_test", days="7", action="try")
    assert tried.status_code == 200 and "needs the editor role" not in tried.text
    saved = await viewer.post("/watchlists/save", id="x", name="X", tags_any="missile_test",
                              action="save")
    assert saved.status_code == 403 and await redis_client.hlen(keys.watchlists) == 0


async def test_a_failed_sign_in_logs_no_name_that_is_not_an_account(app, redis_client,
                                                                     keys) -> None:
    _, token = await AccountStore(redis_client, keys).add("ada", "viewer")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as c:
        page = await c.get("/signin")
        with capture_logs() as logs:
            for name in (token, "ada"):  # the token in the name box; a wrong token
                await c.post("/signin", data={"csrf": csrf_of(page.text), "name": name,
                                              "token": "wrong"})
    failed = [e["user"] for e in logs if e["event"] == "console_signin_failed"]
    assert failed == ["<unknown>", "ada"]


async def test_a_console_form_is_read_only_up_to_its_cap_before_any_check(app) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as c:
        for path in ("/signin", "/signout", "/alerts/al_1/ack"):
            reply = await c.post(path, content=b"name=" + b"x" * (2 << 20),
                                 headers={"content-type": "application/x-www-form-urlencoded"})
            assert reply.status_code == 413, path
            assert "at most 2 MiB" in reply.json()["error"]["message"]


async def test_headlines_are_escaped_and_only_http_links_are_made(
        sign_in, redis_client, keys) -> None:
    hostile = article("u-x", title='<script>alert(1)</script> & <img src=x onerror=alert(2)>')
    hostile = hostile.model_copy(update={"url": "javascript:alert(3)"})
    await redis_client.xadd(history_stream(keys), encode(alert("al_x", art=hostile)))
    page = await (await sign_in("viewer")).client.get("/")
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "javascript:" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_the_watchlist_form_never_shows_a_secret_and_keeps_it_on_save(
        sign_in, redis_client, keys) -> None:
    editor = await sign_in("editor")
    store = WatchlistStore(redis_client, keys, known_tags=TAGS)
    await store.put(Watchlist(id="m", name="M", match={"tags_any": ["missile_test"]}, targets=[
        {"type": "webhook", "url": "https://hooks.example.org/m", "secret": SECRET}]))
    form = await editor.client.get("/watchlists/m/edit")
    assert SECRET not in form.text and "secret_set: true" in form.text
    targets = re.search(r'name="targets"[^>]*>([^<]*)</textarea>', form.text).group(1)
    reply = await editor.post("/watchlists/save", original_id="m", id="m", name="Renamed",
                              tags_any="missile_test", targets=targets.replace("&#34;", '"'),
                              action="save")
    assert reply.status_code == 303, reply.text
    saved = await store.get("m")
    assert saved.name == "Renamed" and saved.targets[0].secret.get_secret_value() == SECRET


async def test_a_story_muted_in_the_console_raises_no_alert(sign_in, redis_client, keys) -> None:
    editor = await sign_in("editor")
    assert (await editor.post("/stories/u-1/mute", next="/story/u-1")).status_code == 303
    watchlists = ActiveWatchlists([Watchlist(id="m", name="M", match={"tags_any": ["missile_test"]})],
                                  None)
    raiser = AlertRaiser(redis_client, keys, watchlists, None, stage=stage("match"))
    later = classified(article("u-2", story_id="u-1"))
    other = classified(article("u-3"))
    raised = await raiser.process_batch([Incoming("1-0", later, {}), Incoming("2-0", other, {})],
                                        time.time())
    assert [a.article.id for a in raised.alerts] == ["u-3"]

    assert (await editor.post("/stories/u-1/unmute", next="/")).status_code == 303
    raised = await raiser.process_batch([Incoming("3-0", later, {})], time.time())
    assert [a.article.id for a in raised.alerts] == ["u-2"]


async def test_a_snoozed_watchlist_is_shown_and_can_be_woken(sign_in, redis_client, keys) -> None:
    editor = await sign_in("editor")
    assert (await editor.post("/watchlists/m/snooze", duration="4h")).status_code == 303
    assert await redis_client.hexists(keys.snoozed_watchlists, "m")
    reply = await editor.post("/watchlists/m/snooze", duration="forever")
    assert reply.status_code == 422 and "Choose how long" in reply.text
    assert (await editor.post("/watchlists/m/unsnooze")).status_code == 303
    assert not await redis_client.hexists(keys.snoozed_watchlists, "m")


async def test_an_admin_adds_an_account_and_sees_its_token_once(sign_in, redis_client, keys) -> None:
    admin = await sign_in("admin")
    reply = await admin.add_account(name="new-officer", role="viewer")
    token = re.search(r'<code class="token">([^<]+)</code>', reply.text).group(1)
    assert await AccountStore(redis_client, keys).authenticate("new-officer", token)
    assert token not in (await admin.client.get("/accounts")).text
    assert token not in str(await redis_client.hgetall(keys.console_accounts))


async def test_a_reloaded_replace_token_page_does_not_issue_another_token(
        sign_in, redis_client, keys) -> None:
    admin = await sign_in("admin")
    await AccountStore(redis_client, keys).add("ops", "viewer")
    page = (await admin.client.get("/accounts")).text
    form = {"form_id": re.search(r'name="form_id" value="([^"]+)"', page).group(1),
            "name": "ops", "role": "viewer", "replace": "yes"}
    first = await admin.post("/accounts", **form)
    token = re.search(r'<code class="token">([^<]+)</code>', first.text).group(1)

    again = await admin.post("/accounts", **form)  # the browser resends it on reload
    assert again.status_code == 409 and "sent already" in again.text
    assert '<code class="token">' not in again.text
    assert await AccountStore(redis_client, keys).authenticate("ops", token)  # still the one
    # a form sent without its id (not from the page) is refused the same way
    assert (await admin.post("/accounts", name="x", role="viewer")).status_code == 409
    assert await AccountStore(redis_client, keys).get("x") is None


async def test_a_refused_account_form_can_be_corrected_and_sent(sign_in, redis_client,
                                                               keys) -> None:
    admin = await sign_in("admin")
    page = (await admin.client.get("/accounts")).text
    form_id = re.search(r'name="form_id" value="([^"]+)"', page).group(1)
    refused = await admin.post("/accounts", form_id=form_id, name="bad name!", role="viewer")
    assert refused.status_code == 422
    # the same form, corrected (a browser's back button keeps the page's id)
    added = await admin.post("/accounts", form_id=form_id, name="good-name", role="viewer")
    assert added.status_code == 200 and '<code class="token">' in added.text


async def test_a_draft_without_id_or_name_can_be_tried_but_not_saved(sign_in, redis_client,
                                                                      keys) -> None:
    editor = await sign_in("editor")
    tried = await editor.post("/watchlists/save", tags_any="missile_test", days="7", action="try")
    assert tried.status_code == 200 and "Would have alerted on 0 articles" in tried.text
    assert "is required" not in tried.text  # what saving needs is said when saving
    saved = await editor.post("/watchlists/save", tags_any="missile_test", action="save")
    assert saved.status_code == 422 and await redis_client.hlen(keys.watchlists) == 0
    bad_days = await editor.post("/watchlists/save", name="X", days="365", action="try")
    assert bad_days.status_code == 422 and "from 1 to 90" in bad_days.text


async def test_the_list_says_how_often_each_watchlist_alerts(sign_in, redis_client, keys) -> None:
    store = WatchlistStore(redis_client, keys, known_tags=TAGS)
    for watchlist_id, alert_on in (("per-story", "story"), ("per-event", "event"),
                                   ("every", "every_version")):
        await store.put(Watchlist(id=watchlist_id, name=watchlist_id, alert_on=alert_on,
                                  match={"tags_any": ["missile_test"]}))
    page = (await (await sign_in("viewer")).client.get("/watchlists")).text
    rows = {row.split('"')[0]: row for row in page.split('<tr id="watchlist-')[1:]}
    assert "once per event, across outlets" in rows["per-event"]
    assert "every version of a story" in rows["every"]
    assert "once per event" not in rows["per-story"] and "every version" not in rows["per-story"]


async def test_a_paused_target_is_shown_and_an_editor_resumes_it(sign_in, redis_client,
                                                                 keys) -> None:
    store = WatchlistStore(redis_client, keys, known_tags=TAGS)
    await store.put(Watchlist(id="m", name="M", match={"tags_any": ["missile_test"]}, targets=[
        {"type": "webhook", "url": "https://hooks.example.org/m", "secret": SECRET}]))
    pauses = PausedTargets(redis_client, keys, pause_after_s=60, min_attempts=2)
    waiting = fan_out([alert(watchlist="m")], [await store.get("m")], now=time.time())[0]
    async with redis_client.pipeline(transaction=True) as pipe:
        for now in (1_000.0, 1_061.0):  # a minute of failures: paused
            pauses.queue_attempt(pipe, "m", "webhook-1", ok=False, now=now, reason="http_502")
        pauses.queue_hold(pipe, waiting, now=1_062.0)
        await pipe.execute()

    viewer, editor = await sign_in("viewer"), await sign_in("editor")
    seen = (await viewer.client.get("/watchlists")).text
    shown = (await editor.client.get("/watchlists")).text
    resumed = await editor.post("/watchlists/m/targets/webhook-1/resume")
    again = await editor.post("/watchlists/m/targets/webhook-1/resume")

    assert "Paused:" in seen and "1 alert waiting" in seen and "http_502" in seen
    assert "Resume webhook-1" not in seen  # a viewer cannot
    assert 'action="/watchlists/m/targets/webhook-1/resume"' in shown
    assert resumed.status_code == 303
    assert [f[b"__data__"] for _, f in await redis_client.xrange(keys.deliveries)] == [
        waiting.model_dump_json().encode()]
    assert again.status_code == 409 and "is not paused" in again.text
    assert "Paused:" not in (await editor.client.get("/watchlists")).text


@pytest.mark.parametrize("cursor", ["0-0", "00-000", "99999999999999999999-0",
                                    "1-99999999999999999999", "zzz"])
async def test_a_feed_cursor_that_is_no_stream_id_is_ignored(sign_in, redis_client, keys,
                                                              cursor) -> None:
    await redis_client.xadd(history_stream(keys), encode(alert("al_1")))
    page = await (await sign_in("viewer")).client.get("/", params={"before": cursor})
    assert page.status_code == 200 and 'id="alert-al_1"' in page.text


async def test_a_feed_cursor_pages_back_from_that_entry(sign_in, redis_client, keys) -> None:
    await redis_client.xadd(history_stream(keys), encode(alert("al_1")))
    newer = await redis_client.xadd(history_stream(keys), encode(alert("al_2")))
    page = await (await sign_in("viewer")).client.get("/", params={"before": newer.decode()})
    assert 'id="alert-al_1"' in page.text and 'id="alert-al_2"' not in page.text


async def test_an_admin_cannot_remove_their_own_account_in_the_console(
        sign_in, redis_client, keys) -> None:
    admin = await sign_in("admin", "ada")
    reply = await admin.post("/accounts/ada/remove")
    assert reply.status_code == 409 and "your own account" in reply.text
    assert 'role="alert"' in reply.text and "<h1>Accounts</h1>" in reply.text
    assert await AccountStore(redis_client, keys).get("ada") is not None

    await sign_in("admin", "bob")
    assert (await admin.post("/accounts/bob/remove", confirm="yes")).status_code == 303
    assert await AccountStore(redis_client, keys).get("bob") is None


async def test_deleting_a_watchlist_or_removing_an_account_asks_first(
        sign_in, redis_client, keys) -> None:
    # one click beside "Save" deleted a watchlist, whose secrets the console never shows
    admin = await sign_in("admin", "ada")
    await sign_in("viewer", "bob")
    store = WatchlistStore(redis_client, keys, known_tags=TAGS)
    await store.put(Watchlist(id="m", name="Missiles", match={"tags_any": ["missile_test"]}))

    asked = await admin.post("/watchlists/m/delete")
    assert asked.status_code == 200 and "Delete this watchlist?" in asked.text
    assert "(Missiles)" in asked.text and 'name="confirm" value="yes"' in asked.text
    assert await store.get("m") is not None
    done = await admin.post("/watchlists/m/delete", confirm="yes")
    assert done.status_code == 303 and done.headers["location"] == "/watchlists?deleted=m"
    assert await store.get("m") is None

    asked = await admin.post("/accounts/bob/remove")
    assert asked.status_code == 200 and "Remove this account?" in asked.text
    assert await AccountStore(redis_client, keys).get("bob") is not None


async def test_an_admin_cannot_lower_their_own_role(sign_in, redis_client, keys) -> None:
    admin = await sign_in("admin", "ada")
    reply = await admin.add_account(name="ada", role="viewer", replace="yes")
    assert reply.status_code == 409 and "your own role" in reply.text
    assert (await AccountStore(redis_client, keys).get("ada")).role == "admin"


async def test_an_existing_account_names_the_console_s_checkbox_not_the_cli_flag(
        sign_in) -> None:
    admin = await sign_in("admin")
    reply = await admin.add_account(name="admin", role="admin")
    error = re.search(r'<p class="error" role="alert">([^<]*)</p>', reply.text).group(1)
    assert reply.status_code == 422 and "exists" in error
    assert "--replace" not in error and "Replace the token" in error


async def test_a_judgement_without_an_article_id_is_refused(sign_in, redis_client, keys) -> None:
    editor = await sign_in("editor")
    reply = await editor.post("/judge", article_id="", kind="wrong", tag="sanctions")
    assert reply.status_code == 400 and "article" in reply.text
    assert await redis_client.hlen(keys.console_labels) == 0


async def test_the_live_feed_sends_no_alert_once_the_account_is_removed(
        app, redis_client, keys) -> None:
    from watchfloor.services.console.feed import AlertFilter
    from watchfloor.services.console.session import Session
    from watchfloor.services.console.web import Viewer

    accounts = AccountStore(redis_client, keys)
    await accounts.add("ada", "viewer", replace=True)
    account = await accounts.get("ada")
    viewer = Viewer(account, Session.anonymous().signed_in("ada", account.generation))
    live = app.state.console._live(viewer, AlertFilter(), "0-0")
    assert await anext(live) == "retry: 1000\n\n"
    await redis_client.xadd(history_stream(keys), encode(alert("al_1")))
    assert "event: alert" in await anext(live)

    await accounts.remove("ada")
    await redis_client.xadd(history_stream(keys), encode(alert("al_2")))
    # before: the card went out, and the feed ran on until the next heartbeat
    with pytest.raises(StopAsyncIteration):
        await anext(live)


def _form_fields(html: str) -> dict[str, str]:
    """The watchlist form's hidden fields and text values as the page gives them."""
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    targets = re.search(r'name="targets"[^>]*>([^<]*)</textarea>', html).group(1)
    return {**fields, "targets": targets.replace("&#34;", '"')}


async def test_a_form_opened_before_another_save_does_not_undo_it(
        sign_in, redis_client, keys) -> None:
    ada, bo = await sign_in("editor", "ada"), await sign_in("editor", "bo")
    store = WatchlistStore(redis_client, keys, known_tags=TAGS)
    await store.put(Watchlist(id="m", name="M", match={"tags_any": ["missile_test"]}))
    ada_form = _form_fields((await ada.client.get("/watchlists/m/edit")).text)
    bo_form = _form_fields((await bo.client.get("/watchlists/m/edit")).text)
    assert ada_form["revision"] and ada_form["revision"] == bo_form["revision"]

    reply = await ada.post("/watchlists/save", **{**ada_form, "csrf": ada.csrf}, id="m",
                           name="M", tags_any="missile_test", keywords_any="shadow fleet",
                           action="save")
    assert reply.status_code == 303
    # bo's page still shows the version before ada's keyword
    reply = await bo.post("/watchlists/save", **{**bo_form, "csrf": bo.csrf}, id="m",
                          name="Renamed", tags_any="missile_test", action="save")
    assert reply.status_code == 409
    assert "someone else saved this watchlist" in reply.text
    assert 'value="Renamed"' in reply.text  # bo's typing is kept on the page
    saved = await store.get("m")
    assert saved.name == "M" and saved.match.keywords_any == ["shadow fleet"]


async def test_a_form_opened_before_the_watchlist_was_deleted_does_not_bring_it_back(
        sign_in, redis_client, keys) -> None:
    ada = await sign_in("editor", "ada")
    store = WatchlistStore(redis_client, keys, known_tags=TAGS)
    await store.put(Watchlist(id="m", name="M", match={"tags_any": ["missile_test"]}))
    form = _form_fields((await ada.client.get("/watchlists/m/edit")).text)
    await store.delete("m")
    reply = await ada.post("/watchlists/save", **{**form, "csrf": ada.csrf}, id="m", name="M",
                           tags_any="missile_test", action="save")
    assert reply.status_code == 409 and "someone removed this watchlist" in reply.text
    assert await store.get("m") is None
    # a new watchlist's form: one made meanwhile under its id is not replaced
    new_form = _form_fields((await ada.client.get("/watchlists/new")).text)
    await store.put(Watchlist(id="n", name="N", match={"tags_any": ["sanctions"]}))
    reply = await ada.post("/watchlists/save", **{**new_form, "csrf": ada.csrf}, id="n",
                           name="Mine", tags_any="missile_test", action="save")
    assert reply.status_code == 422 and (await store.get("n")).name == "N"


@pytest.mark.parametrize("meanwhile", ["deleted", "changed"])
async def test_a_stale_form_with_a_webhook_is_refused_as_stale_not_for_its_secret(
        sign_in, redis_client, keys, meanwhile) -> None:
    # before: "targets[0].secret: is required", judged against what is stored now
    ada = await sign_in("editor", "ada")
    store = WatchlistStore(redis_client, keys, known_tags=TAGS)
    hook = {"type": "webhook", "url": "https://hooks.example.org/a", "secret": make_secret(1)}
    await store.put(Watchlist(id="m", name="M", match={"tags_any": ["missile_test"]},
                              targets=[hook]))
    form = _form_fields((await ada.client.get("/watchlists/m/edit")).text)
    if meanwhile == "deleted":
        await store.delete("m")
    else:
        await store.put(Watchlist(id="m", name="M", match={"tags_any": ["missile_test"]},
                                  targets=[{**hook, "url": "https://hooks.example.org/b"}]))
    reply = await ada.post("/watchlists/save", **{**form, "csrf": ada.csrf}, id="m",
                           name="Renamed", tags_any="missile_test", action="save")
    assert reply.status_code == 409
    expected = "someone removed" if meanwhile == "deleted" else "someone else saved"
    assert f"{expected} this watchlist" in reply.text and "is required" not in reply.text
    assert 'value="Renamed"' in reply.text


async def try_on(sign_in, redis_client, keys, alert_on: str, events) -> str:
    """The "Try it" page's text (whitespace folded) for a missile watchlist
    over ``events`` stored in the classified stream."""
    for event in events:
        await redis_client.xadd(classified_stream(keys), encode(event),
                                id=time_id(event.classified_at))
    viewer = await sign_in("viewer")
    tried = await viewer.post("/watchlists/save", tags_any="missile_test", days="7",
                              alert_on=alert_on, action="try")
    return " ".join(tried.text.split())


@pytest.mark.parametrize(("alert_on", "expected"), [("story", "expect about 1 alert."),
                                                   ("every_version", "expect about 2 alerts.")])
async def test_try_it_estimates_alerts_by_the_watchlists_alert_on(
        sign_in, redis_client, keys, alert_on, expected) -> None:
    now = datetime.now(UTC)
    tried = await try_on(sign_in, redis_client, keys, alert_on, [
        classified(article("u-1", at=now), at=now - timedelta(minutes=2)),
        classified(article("u-2", story_id="u-1", at=now), at=now - timedelta(minutes=1))])
    assert "Would have alerted on 2 articles in 1 story" in tried
    assert expected in tried


@pytest.mark.parametrize(("alert_on", "expected"), [("story", "expect about 3 alerts."),
                                                   ("event", "expect about 2 alerts.")])
async def test_try_it_counts_one_alert_per_event_for_alert_on_event(
        sign_in, redis_client, keys, alert_on, expected) -> None:
    now = datetime.now(UTC)
    # One launch in two outlets' own words (two stories), and another country's.
    events = [classified(article("u-1", at=now), at=now - timedelta(minutes=3)),
              classified(article("u-2", at=now, title="Pyongyang launches a missile"),
                         at=now - timedelta(minutes=2)),
              classified(article("u-3", at=now, title="Iran launches a missile"), actors=[IR],
                         at=now - timedelta(minutes=1))]
    tried = await try_on(sign_in, redis_client, keys, alert_on, events)
    assert "Would have alerted on 3 articles in 3 stories" in tried
    assert expected in tried


async def test_try_it_with_a_days_value_that_is_no_whole_number_says_so(sign_in) -> None:
    viewer = await sign_in("viewer")
    for days in ("²", "1.5", "-3"):
        reply = await viewer.post("/watchlists/save", id="t", name="T", tags_any="missile_test",
                                  days=days, action="try")
        assert reply.status_code == 422, days  # "²" was a 500
        assert "must be a whole number of days" in reply.text
    reply = await viewer.post("/watchlists/save", id="t", name="T", tags_any="missile_test",
                              days=" 7 ", action="try")
    assert reply.status_code == 200


async def test_a_filter_that_cannot_be_applied_says_so_and_keeps_what_was_typed(
        sign_in, redis_client, keys) -> None:
    await redis_client.xadd(history_stream(keys), encode(alert("al_1")))
    viewer = await sign_in("viewer")
    typed = "x" * 210
    page = (await viewer.client.get("/", params={"q": typed, "within": "2y"})).text
    # before: both dropped without a word, every alert shown, the box emptied
    assert 'id="filter-problems"' in page
    assert "not filtered by them: time (must be one of the listed time ranges), text." in page
    assert 'id="f-q-error">at most 200 characters' in page
    assert f'value="{typed}"' in page and 'maxlength="200"' in page


async def test_a_filter_link_to_a_removed_watchlist_or_unknown_tag_shows_that_filter(
        sign_in) -> None:
    viewer = await sign_in("viewer")
    page = (await viewer.client.get("/", params={"watchlist": "gone", "tag": "nonesuch"})).text
    # before: the form said "all" / "any" over a feed filtered by them
    assert '<option value="gone" selected>gone (no such watchlist now)</option>' in page
    assert '<option value="nonesuch" selected>nonesuch (not a known tag)</option>' in page


async def test_a_stored_watchlist_that_no_longer_validates_can_be_replaced_from_the_form(
        sign_in, redis_client, keys) -> None:
    # a tag dropped from the taxonomy: the entry is skipped everywhere and its
    # edit page is a 404, so making it anew is the way to repair it
    import json

    await redis_client.hset(keys.watchlists, "baltic", json.dumps(
        {"id": "baltic", "name": "Baltic", "match": {"tags_any": ["old_tag"]}}))
    ada = await sign_in("editor", "ada")
    assert (await ada.client.get("/watchlists/baltic/edit")).status_code == 404
    form = _form_fields((await ada.client.get("/watchlists/new")).text)
    reply = await ada.post("/watchlists/save", **{**form, "csrf": ada.csrf}, id="baltic",
                           name="Baltic", tags_any="sanctions", action="save")
    assert reply.status_code == 303, reply.text
    stored = await WatchlistStore(redis_client, keys, known_tags=TAGS).get("baltic")
    assert stored is not None and stored.match.tags_any == ["sanctions"]


def held(alert_id: str, story_id: str, title: str, reason: str, **more) -> ThrottledAlert:
    """A report held back as a repeat of alert al_1 (its record, as the notifier writes it)."""
    return ThrottledAlert(alert_id=alert_id, watchlist_id="missiles", story_id=story_id,
                          article_id=more.pop("article_id", story_id), title=title,
                          tags=["missile_test"], reason=reason, repeat_of=["al_1"],
                          throttled_at=datetime.now(UTC), **more)


async def store_held(redis_client, keys, *records: ThrottledAlert) -> None:
    for record in records:
        await redis_client.xadd(keys.throttled_alerts, {DATA_FIELD: record.model_dump_json()})


async def test_a_story_shows_other_outlets_reports_held_back_as_repeats(
        sign_in, redis_client, keys) -> None:
    await redis_client.xadd(history_stream(keys), encode(alert("al_1")))
    await store_held(redis_client, keys, held(
        "al_7", "u-7", "Pyongyang launches a missile again",
        "another report of an event this watchlist was already alerted on",
        source="Other Outlet", event_group="missile_test:kp"))
    viewer = await sign_in("viewer")
    page = (await viewer.client.get("/story/u-1")).text
    assert "Also reported by other outlets" in page
    assert 'href="/story/u-7">Pyongyang launches a missile again</a>' in page
    own = (await viewer.client.get("/story/u-7")).text  # and in its own story, with why
    assert "another report of an event" in own


async def test_many_reports_elsewhere_do_not_push_out_a_storys_own_held_versions(
        sign_in, redis_client, keys, monkeypatch) -> None:
    from watchfloor.services.console import web

    monkeypatch.setattr(web, "HELD_SHOWN", 3)
    await redis_client.xadd(history_stream(keys), encode(alert("al_1")))
    own = [held(f"al_own{i}", "u-1", f"Own version {i}", "a version of a story",
                article_id=f"u-1v{i}") for i in range(2)]
    elsewhere = [held(f"al_x{i}", f"u-x{i}", f"Outlet report {i}", "another report of an event")
                 for i in range(5)]
    await store_held(redis_client, keys, *own, *elsewhere)  # the reports elsewhere are newest
    page = " ".join((await (await sign_in("viewer")).client.get("/story/u-1")).text.split())
    assert "Own version 0" in page and "Own version 1" in page and "2 held back." in page
    assert "of the newest 3 such reports" in page
    assert page.count("Outlet report") == 3
