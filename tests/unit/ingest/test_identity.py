from watchfloor.services.ingest.identity import article_id, content_hash


def test_url_id_is_stable_and_prefixed() -> None:
    first = article_id("https://example.org/a", "Title", "Text")
    assert first == article_id("https://example.org/a", "Other title", "Other text")
    assert first.startswith("u-")
    assert len(first) == 22


def test_different_urls_give_different_ids() -> None:
    assert article_id("https://example.org/a", "T", "") != article_id(
        "https://example.org/b", "T", ""
    )


def test_content_id_without_url() -> None:
    first = article_id(None, "Convoy crosses border", "Trucks seen at dawn.")
    assert first.startswith("c-")
    assert first == article_id(None, "Convoy crosses border", "Trucks seen at dawn.")
    assert first != article_id(None, "Convoy crosses border", "Trucks seen at dusk.")


def test_content_hash_ignores_case_but_not_words() -> None:
    assert content_hash("Convoy Crosses Border", "x") == content_hash("convoy crosses border", "X")
    assert content_hash("Convoy", "x") != content_hash("Convoy", "y")


def test_content_hash_separates_title_from_text() -> None:
    assert content_hash("a b", "c") != content_hash("a", "b c")


def test_a_headline_alone_is_a_new_event_on_another_day() -> None:
    # "FLASH: ... fires ballistic missile" recurs: with no text to tell the
    # events apart, the day of publication does; the same day it is a copy
    from datetime import UTC, datetime

    flash = "FLASH: North Korea fires ballistic missile into East Sea"
    march_1 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    later_that_day = datetime(2025, 3, 1, 19, 0, tzinfo=UTC)
    march_20 = datetime(2025, 3, 20, 23, 10, tzinfo=UTC)
    assert content_hash(flash, "", march_1) == content_hash(flash, "", later_that_day)
    assert content_hash(flash, "", march_1) != content_hash(flash, "", march_20)
    assert article_id(None, flash, "", march_1) != article_id(None, flash, "", march_20)
    # a one-line lead sent again word for word is as short: dropped as a
    # duplicate for 30 days before, though the story index called it another event
    lead = "North Korea fired a ballistic missile into the sea, Seoul's military said."
    assert content_hash(flash, lead, march_1) != content_hash(flash, lead, march_20)
    assert content_hash(flash, lead, march_1) == content_hash(flash, lead, later_that_day)
    # an article with a text of its own, or with no date, hashes as before
    article = " ".join(["The navy's report describes the launch in detail."] * 8)
    assert content_hash(flash, article, march_1) == content_hash(flash, article, march_20)
    assert content_hash(flash, "", None) == content_hash(flash, "")


def test_a_page_over_http_and_https_is_one_article() -> None:
    # a feed linking the http address and the page's canonical https one
    # published the same story twice, as two stories
    assert article_id("http://example.org/a", "T", "") == article_id("https://example.org/a", "T", "")
    assert article_id("http://example.org/a", "T", "") != article_id("https://example.org/b", "T", "")
