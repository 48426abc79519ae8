from datetime import UTC, datetime

import pytest
from watchfloor.services.ingest.identity import article_id
from watchfloor.services.ingest.prepare import prepare_article
from watchfloor.services.ingest.problems import ArticleRejected, Problem

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def rejected(value: object) -> list[Problem]:
    with pytest.raises(ArticleRejected) as info:
        prepare_article(value, now=NOW)
    return info.value.problems


def test_full_article_is_normalised_and_identified() -> None:
    article = prepare_article(
        {
            "title": "  Coastal drill &amp; patrol ",
            "text": "Ships left\nthe harbour.\n\nMore later.",
            "url": "HTTPS://Port.Example/news/drill/?utm_source=feed",
            "source": " Port  Gazette ",
            "published_at": "2024-05-01T11:30:00+02:00",
            "id": 1234,
            "lang": "en",  # unknown: ignored
        },
        now=NOW,
    )
    assert article.title == "Coastal drill & patrol"
    assert article.text == "Ships left the harbour.\n\nMore later."
    assert article.url == "https://port.example/news/drill"
    assert article.id == article_id("https://port.example/news/drill", "", "")
    assert article.source == "Port Gazette"
    assert article.source_id == "1234"
    assert article.published_at == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    assert article.ingested_at == NOW


def test_title_only_article_is_accepted_with_empty_text() -> None:
    article = prepare_article({"title": "Flash: talks end", "text": None}, now=NOW)
    assert article.text == ""
    assert article.url is None
    assert article.id.startswith("c-")


def test_blank_url_means_no_url() -> None:
    assert prepare_article({"title": "T", "url": "  "}).url is None


def test_naive_published_at_is_utc_and_date_only_is_midnight() -> None:
    naive = prepare_article({"title": "T", "published_at": "2024-05-01T09:30:00"})
    assert naive.published_at == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    date_only = prepare_article({"title": "T", "published_at": "2024-05-01"})
    assert date_only.published_at == datetime(2024, 5, 1, tzinfo=UTC)


def test_a_lower_case_t_and_z_are_rfc_3339_too() -> None:
    # refused with 422 "is not an ISO 8601 date-time"
    article = prepare_article({"title": "T", "published_at": "2024-05-07t10:00:00z"})
    assert article.published_at == datetime(2024, 5, 7, 10, 0, tzinfo=UTC)


def test_missing_title() -> None:
    assert rejected({"text": "body"}) == [Problem("title", "is required")]


def test_blank_title_after_normalisation() -> None:
    [problem] = rejected({"title": " \u200b&nbsp; ", "text": "body"})
    assert problem.field == "title"
    assert "empty" in problem.message


def test_title_of_wrong_type() -> None:
    assert rejected({"title": 42}) == [Problem("title", "must be a string")]


def test_bad_published_at_names_the_value_and_the_format() -> None:
    [problem] = rejected({"title": "T", "published_at": "last Tuesday"})
    assert problem.field == "published_at"
    assert "'last Tuesday'" in problem.message
    assert "ISO 8601" in problem.message


def test_published_at_as_number_is_refused() -> None:
    [problem] = rejected({"title": "T", "published_at": 1714555800})
    assert "ISO 8601" in problem.message


def test_non_http_url() -> None:
    [problem] = rejected({"title": "T", "url": "mailto:desk@example.org"})
    assert problem.field == "url"
    assert "http:// or https://" in problem.message


def test_every_problem_is_reported() -> None:
    problems = rejected({"title": 1, "text": ["x"], "published_at": "soon"})
    assert {p.field for p in problems} == {"title", "text", "published_at"}


def test_too_long_title() -> None:
    [problem] = rejected({"title": "x" * 3000})
    assert problem.message == "is too long (at most 2000 characters)"


@pytest.mark.parametrize(
    ("value", "kind"), [([], "an array"), ("text", "a string"), (None, "null"), (3, "a number")]
)
def test_non_object(value: object, kind: str) -> None:
    assert rejected(value) == [Problem(None, f"an article must be a JSON object, got {kind}")]


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_date_with_no_utc_equivalent_is_refused_not_a_crash(when: str) -> None:
    # converting it to UTC overflowed: a 500, and a traceback from ingest
    [problem] = rejected({"title": "T", "published_at": when})
    assert problem.field == "published_at"
    assert "outside the dates that can be stored (years 1 to 9999 in UTC)" in problem.message


def test_the_ends_of_the_date_range_in_utc_are_taken() -> None:
    early = prepare_article({"title": "T", "published_at": "0001-01-01T00:00:00Z"})
    late = prepare_article({"title": "T", "published_at": "9999-12-31T23:59:59+00:00"})
    assert (early.published_at.year, late.published_at.year) == (1, 9999)
