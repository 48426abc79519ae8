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
