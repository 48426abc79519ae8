"""The console as an officer uses it, in Debian's Chromium."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import MISSILE, MISSILE_AGAIN, Console, sign_in

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "services" / "console" / "screenshot.png"


def test_sign_in_with_a_token_and_refusal_of_a_wrong_one(page, console: Console) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2F$"))
    page.get_by_label("Account name").fill("ada")
    page.get_by_label("Token").fill("not-the-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("That name and token do not match an account.")

    page.get_by_label("Token").fill(console.tokens["ada"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Alerts", level=1)).to_be_visible()
    expect(page.get_by_text("ada (editor)")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "watchfloor_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"


def test_an_article_posted_to_the_api_appears_in_the_open_feed_within_2_s(
        page, console: Console) -> None:
    sign_in(page, console)
    expect(page.locator("#alerts[data-connected=yes]")).to_be_attached()  # live feed open
    article = {
        "title": "Iran test-fires medium-range ballistic missile in desert drill",
        "text": "Iran test-fired a medium-range ballistic missile from a desert range on Friday, "
                "state television reported.",
        "url": "https://news.example.org/2026/11/iran-missile-desert",
        "source": "Example Wire", "published_at": "2026-11-30T07:00:00Z",
    }
    console.post(article)
    card = page.locator("article.alert", has_text=article["title"]).first
    expect(card).to_be_visible(timeout=2_000)
    # no reload: the live status counts it, the headline links to the source
    expect(page.locator("#live-status")).to_contain_text("new alert")
    expect(card.get_by_role("link", name=article["title"])).to_have_attribute("href", article["url"])
    # published time in the officer's zone (the context runs in Europe/Paris), UTC on hover
    published = card.locator(".meta time").first
    expect(published).to_have_attribute("datetime", "2026-11-30T07:00:00Z")
    expect(published).to_contain_text(re.compile(r"08:00"))
    expect(published).to_have_attribute("title", re.compile(r"07:00:00 UTC"))


def test_the_live_feed_comes_back_after_an_error_answer_and_keeps_the_filters(
        page, console: Console) -> None:
    # a 503 while Redis restarted closed the browser's EventSource for good
    # ("reload the page"), and live cards' actions led back to the unfiltered feed
    sign_in(page, console)
    refused: list[str] = []

    def first_refused(route) -> None:
        if not refused:
            refused.append(route.request.url)
            route.fulfill(status=503, body="storage is not answering")
        else:
            route.continue_()

    page.route("**/events?*", first_refused)
    page.goto("/?tag=sanctions")
    expect(page.locator("#live-status")).to_contain_text("trying again")
    expect(page.locator("#alerts[data-connected=yes]")).to_be_attached(timeout=8_000)
    title = "EU adopts new sanctions on Iranian drone makers"
    console.post({"title": title, "text": "The European Union imposed sanctions on three "
                  "Iranian drone makers on Thursday, freezing their assets.",
                  "url": "https://news.example.org/2026/11/eu-sanctions-drone-makers"})
    card = page.locator("article.alert", has_text=title).first
    expect(card).to_be_visible(timeout=5_000)
    expect(card.locator("input[name=next]").first).to_have_value("/?tag=sanctions")
    assert len(refused) == 1


def test_an_open_feed_signed_out_in_another_tab_says_so_and_stops(
        page, console: Console) -> None:
    # it showed "trying again in N s" for ever, and had shown one more alert
    sign_in(page, console)
    expect(page.locator("#alerts[data-connected=yes]")).to_be_attached()
    other = page.context.new_page()
    other.goto(page.url)
    other.get_by_role("button", name="Sign out").click()
    expect(other).to_have_url(re.compile(r"/signin"))
    title = "EU adopts new sanctions on Iranian shipping firms"
    before = console.alert_count()
    console.post({"title": title, "text": "The European Union imposed sanctions on two "
                  "Iranian shipping firms on Tuesday, freezing their assets.",
                  "url": "https://news.example.org/2026/11/eu-sanctions-shipping-firms"})
    console.wait_for_alerts(before + 1)
    status = page.locator("#live-status")
    expect(status).to_contain_text("you are signed out", timeout=10_000)
    expect(status.get_by_role("link", name="Sign in again")).to_be_visible()
    expect(page.locator("article.alert", has_text=title)).to_have_count(0)
    other.close()


def test_on_a_phone_no_page_scrolls_sideways_and_nothing_fails_to_load(
        page, console: Console) -> None:
    # at 375 px the watchlists table, the form's name field and a headline with
    # one long word widened the whole page; the favicon request was a 404
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, console)
    long_word = "Sanctionsannouncement" * 8
    console.post({"title": f"Brussels widens its sanctions list {long_word}",
                  "text": "The European Union imposed new sanctions on Iran on Friday.",
                  "url": "https://news.example.org/2026/11/eu-sanctions-long-word"})
    expect(page.locator("article.alert", has_text="Sanctionsannouncement").first).to_be_visible(
        timeout=5_000)
    # a watchlist with a long name (the feed's select was as wide as it) and
    # one with a long unbroken id (the table's header cell did not wrap)
    with console.redis() as client:
        for wid, name in (("long-name", "Naval movements in the Strait " * 7),
                          ("x" * 60, "Unbroken")):
            client.hset(console.keys.watchlists, wid, json.dumps(
                {"id": wid, "name": name, "match": {"tags_any": ["sanctions"]}}))
        client.incr(console.keys.watchlists_version)
    for path in ("/", "/watchlists", "/watchlists/new"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width} px wide"
    nav = page.locator("header.top nav")
    assert nav.evaluate("n => n.scrollWidth <= n.clientWidth + 1"), "the menu is cut off"
    assert errors == []


def test_trying_a_watchlist_of_the_file_shows_its_matches_and_keeps_it_read_only(
        page, console: Console) -> None:
    # it showed save-only errors ("id: is defined in the watchlists file") and
    # offered Save and Delete buttons that could only fail
    sign_in(page, console)
    page.goto("/watchlists/missiles/edit")
    notice = page.get_by_text("This watchlist is defined in the watchlists file")
    expect(notice).to_be_visible()
    page.get_by_role("button", name="Try it").click()
    expect(page.get_by_text("Would have alerted on")).to_be_visible()
    expect(notice).to_be_visible()
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.get_by_role("button", name="Save watchlist")).to_have_count(0)


def test_a_publication_date_without_a_time_is_shown_as_that_day_everywhere(
        browser, console: Console) -> None:
    # stored as midnight UTC, it was shown as "Nov 30, 07:00 PM EST" in New York
    context = browser.new_context(base_url=console.url, timezone_id="America/New_York")
    page = context.new_page()
    try:
        sign_in(page, console)
        title = "Navy begins joint exercise with allies in the Baltic"
        console.post({"title": title, "published_at": "2026-12-01",
                      "text": "The navy began a joint military exercise with allied ships "
                              "in the Baltic Sea on Tuesday.",
                      "url": "https://news.example.org/2026/12/baltic-exercise-date-only"})
        card = page.locator("article.alert", has_text=title).first
        expect(card).to_be_visible(timeout=5_000)
        published = card.locator(".meta time").first
        expect(published).to_have_text("Dec 1, 2026")
        expect(published).to_have_attribute("datetime", "2026-12-01")
    finally:
        context.close()


def test_filtering_by_tag_and_text(page, console: Console) -> None:
    sign_in(page, console)
    feed = page.locator("#alerts")
    expect(feed.locator("article.alert", has_text="EU imposes new sanctions")).to_have_count(1)
    page.get_by_label("Tag", exact=True).select_option("sanctions")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"tag=sanctions"))
    expect(feed.locator("article.alert", has_text="EU imposes new sanctions")).to_have_count(1)
    expect(feed.locator("article.alert", has_text="joint military exercise")).to_have_count(0)

    page.get_by_role("link", name="Clear filters").click()
    page.get_by_label("Text", exact=True).fill("Okinawa")
    page.get_by_role("button", name="Filter").click()
    expect(feed.locator("article.alert")).to_have_count(1)
    expect(feed.locator("article.alert")).to_contain_text("Japan and US begin joint military exercise")

    page.goto("/?min_confidence=lots")  # the field refuses it; a hand-made link cannot either
    expect(page.get_by_text("must be a number from 0 to 1")).to_be_visible()
    expect(page.get_by_label("Min. confidence")).to_have_attribute("aria-invalid", "true")


def test_alert_shows_evidence_with_trigger_marked_actors_and_figures(page, console: Console) -> None:
    sign_in(page, console)
    card = page.locator("article.alert", has_text="Japan and US begin joint military exercise")
    expect(card.locator(".tag", has_text="military_exercise")).to_be_visible()
    expect(card.locator(".evidence mark").first).to_be_visible()
    expect(card.locator(".actors")).to_contain_text("Japan")
    expect(card.locator(".figures")).to_contain_text("troops")
    expect(card.locator(".outlet")).to_have_text("Example Wire")


def test_opening_a_story_thread_shows_every_version_and_what_it_added(
        page, console: Console) -> None:
    before = console.alert_count()
    reply = console.post(MISSILE_AGAIN)
    assert reply["new"] == 1
    sign_in(page, console)
    card = page.locator("article.alert", has_text=MISSILE["title"]).first
    # the second version joins the story; the thread lists both
    for _ in range(50):
        card.get_by_role("link", name="Story thread").click()
        if page.locator("li.version").count() == 2:
            break
        page.wait_for_timeout(100)
        page.go_back()
    expect(page.locator("li.version")).to_have_count(2)
    expect(page.get_by_role("heading", level=1)).to_contain_text(MISSILE["title"])
    second = page.locator("li.version").nth(1)
    expect(second).to_contain_text("Other Daily")
    expect(second.locator(".added")).to_be_visible()
    expect(page.locator("li.version").first.locator(".raised")).to_contain_text("Missile tests")
    # the second version raised no new alert: the throttle's hold is shown, not hidden
    expect(second.locator(".held")).to_contain_text("missiles")
    assert console.alert_count() >= before


def test_marking_a_tag_wrong_stores_a_label(page, console: Console) -> None:
    sign_in(page, console)
    card = page.locator("article.alert", has_text="EU imposes new sanctions").first
    card.get_by_text("Judge tags").click()
    card.get_by_role("button", name="Wrong tag: sanctions").click()
    expect(page.get_by_role("heading", name="Alerts", level=1)).to_be_visible()

    page.get_by_role("link", name="Judgements").click()
    row = page.locator("table.labels tbody tr", has_text="wrong tag sanctions")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("ada")

    export = page.request.get("/labels.jsonl")
    records = [json.loads(line) for line in export.text().splitlines()]
    record = next(r for r in records if "wrong tag sanctions" in r["note"])
    assert "sanctions" not in record["labels"] and "sanctions" in record["classifier_tags"]
    assert record["annotator"] == "ada" and record["sample"] == "console"
    assert {"id", "labels", "annotator", "guide", "date", "sample"} <= set(record)


def test_creating_a_watchlist_through_the_form_with_a_field_error_then_successfully(
        page, console: Console) -> None:
    sign_in(page, console)
    page.get_by_role("link", name="Watchlists").click()
    page.get_by_role("link", name="New watchlist").click()
    page.get_by_label("Id", exact=True).fill("baltic-drills")
    page.locator("fieldset", has_text="Any of these tags").get_by_label("military_exercise").check()
    page.get_by_label("Minimum confidence").fill("1.5")
    page.get_by_role("button", name="Save watchlist").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("name: is required")
    expect(summary).to_contain_text("min_confidence")
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Id", exact=True)).to_have_value("baltic-drills")  # what was typed is kept

    page.get_by_label("Name", exact=True).fill("Exercises anywhere")
    page.get_by_label("Minimum confidence").fill("0.5")
    page.get_by_role("button", name="Try it").click()
    expect(page.locator("#trial-title")).to_contain_text(
        re.compile(r"Would have alerted on [1-9]\d* articles? in [1-9]\d* stor"))
    expect(page.locator(".trial-list")).to_contain_text("Japan and US begin joint military exercise")

    page.get_by_role("button", name="Save watchlist").click()
    expect(page.get_by_role("status")).to_contain_text("Saved watchlist baltic-drills")
    expect(page.locator("#watchlist-baltic-drills")).to_contain_text("Exercises anywhere")
    api = page.request.get("/v1/watchlists/baltic-drills")
    assert api.ok and api.json()["match"]["min_confidence"] == 0.5


def test_the_watchlist_form_says_what_a_minimum_confidence_gives(page, console: Console) -> None:
    from watchfloor.services.classifier.verifier import DEFAULT_MODEL_PATH

    stream = json.loads(DEFAULT_MODEL_PATH.read_text())["meta"]["stream"]
    step = next(s for s in stream["by_min_confidence"] if s["min_confidence"] == 0.85)
    sign_in(page, console)
    page.get_by_role("link", name="Watchlists").click()
    page.get_by_role("link", name="New watchlist").click()
    table = page.locator("#confidence-guide table")
    expect(table).to_be_hidden()  # folded until asked for
    page.get_by_text("What a minimum confidence gives on a natural feed").click()
    expect(table).to_be_visible()
    expect(table).to_contain_text(f"{stream['items']:,} items drawn at random")
    row = table.locator("tr", has=page.get_by_role("cell", name="0.85", exact=True))
    expect(row).to_contain_text(f"{step['precision']:.0%}")
    expect(row).to_contain_text(f"{step['recall']:.0%}")


def test_a_viewer_reads_but_is_offered_no_actions(page, console: Console) -> None:
    sign_in(page, console, "vic")
    expect(page.locator("article.alert").first).to_be_visible()
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    expect(page.get_by_text("Judge tags")).to_have_count(0)


def test_keyboard_alone_signs_in_moves_between_alerts_and_acknowledges(
        page, console: Console) -> None:
    page.goto("/")
    # the sign-in page's name field has focus (typing sooner, while the
    # redirect to it still loads, would go nowhere)
    expect(page.get_by_label("Account name")).to_be_focused()
    page.keyboard.type("ada")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Token")).to_be_focused()
    page.keyboard.type(console.tokens["ada"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Alerts", level=1)).to_be_visible()

    page.keyboard.press("j")
    first = page.locator("article.alert").first
    expect(first).to_be_focused()
    page.keyboard.press("j")
    expect(page.locator("article.alert").nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(first).to_be_focused()
    title = first.locator("h2").inner_text()
    page.keyboard.press("a")
    card = page.locator("article.alert", has_text=title).first
    expect(card.locator(".acked-note")).to_contain_text("Acknowledged by ada")

    page.keyboard.press("/")
    expect(page.get_by_label("Text", exact=True)).to_be_focused()
    page.keyboard.type("sanctions")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=sanctions"))


def test_screenshot_of_the_console(page, console: Console, tmp_path) -> None:
    """What a newcomer sees. Saved to services/console/screenshot.png (for
    the README) when WATCHFLOOR_UPDATE_SCREENSHOT=1."""
    sign_in(page, console)
    expect(page.locator("article.alert").first).to_be_visible()
    page.locator("article.alert details.judge").first.click()
    shot = page.screenshot(full_page=False)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    (tmp_path / "console.png").write_bytes(shot)
    if os.environ.get("WATCHFLOOR_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.write_bytes(shot)
