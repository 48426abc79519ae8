import json
from pathlib import Path

import pytest
import watchfloor.services.ingest.files as files
from watchfloor.services.ingest.files import FileArticle, Rejection, load_file, read_articles


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def summary(path: Path) -> list[str]:
    """One string per item: 'line title' for articles, 'line! reason' for rejections."""
    out = []
    for item in read_articles(path):
        line = item.location.rsplit(":", 1)[1]
        if isinstance(item, FileArticle):
            out.append(f"{line} {item.article.title}")
        else:
            out.append(f"{line}! {item.reason}")
    return out


def test_jsonl_bad_lines_do_not_stop_the_rest(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "feed.jsonl",
        '{"title": "Harbour closed", "text": "Fog."}\n'
        "\n"
        "{not json\n"
        '{"text": "no title here"}\n'
        '{"title": "Bridge reopened", "id": 9}\n',
    )
    assert summary(path) == [
        "1 Harbour closed",
        "3! invalid JSON: Expecting property name enclosed in double quotes (column 2)",
        "4! title: is required",
        "5 Bridge reopened",
    ]


def test_jsonl_location_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", "[]\n42\n")
    [rejection] = list(read_articles(path))
    assert str(rejection) == f"{path}:2: an article must be a JSON object, got a number"


def test_jsonl_line_that_is_not_utf8(tmp_path: Path) -> None:
    path = write(
        tmp_path, "a.jsonl", b'{"title": "ok"}\n{"title": "caf\xe9"}\n{"title": "also ok"}\n'
    )
    assert summary(path) == ["1 ok", "2! line is not UTF-8 text (byte 15)", "3 also ok"]


def test_jsonl_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", b'\xef\xbb\xbf{"title": "first"}\n{"title": "second"}\n')
    assert summary(path) == ["1 first", "2 second"]


def test_json_lines_detected_without_the_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, "export.json", '{"title": "one"}\nbroken\n{"title": "three"}\n')
    assert summary(path) == [
        "1 one",
        "2! invalid JSON: Expecting value (column 1)",
        "3 three",
    ]


def test_json_array_gives_the_line_of_each_item(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "batch.json",
        '[\n  {"title": "Alpha"},\n  {"title": ""},\n  "stray",\n'
        '  {"title": "Delta", "url": "gopher://old.example"}\n]\n',
    )
    assert summary(path) == [
        "2 Alpha",
        "3! title: is empty (after removing whitespace and markup)",
        "4! an article must be a JSON object, got a string",
        "5! url: URL must be http:// or https://, got scheme 'gopher'",
    ]


def test_pretty_printed_single_object(tmp_path: Path) -> None:
    path = write(tmp_path, "one.json", json.dumps({"title": "Solo", "text": "x"}, indent=2))
    assert summary(path) == ["1 Solo"]


def test_articles_wrapper(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "wrapped.json",
        '{"exported": "2024-05-01",\n "articles": [\n  {"title": "In"},\n  {"title": "Too"}\n ]}\n',
    )
    assert summary(path) == ["3 In", "4 Too"]


@pytest.mark.parametrize("name", ["one.json", "one.jsonl"])
def test_an_article_with_a_field_named_articles_is_an_article(tmp_path: Path, name: str) -> None:
    # its "articles" (related links) replaced it, and the article was lost
    article = {"title": "Main", "text": "x", "articles": [{"title": "Related"}]}
    path = write(tmp_path, name, json.dumps(article) + "\n")
    assert summary(path) == ["1 Main"]


def test_an_article_s_own_articles_field_before_its_text_is_still_its_own(tmp_path: Path) -> None:
    # keys in sorted order ("articles" < "text" < "title"): the list comes
    # before the reader knows the object is an article
    article = {"title": "Main", "text": "x", "articles": [{"title": "Related"}]}
    path = write(tmp_path, "late.json", json.dumps(article, sort_keys=True, indent=1))
    assert summary(path) == ["1 Main"]
    wrapper = {"articles": [{"title": "In"}, {"title": "Too"}], "exported": "May"}
    path = write(tmp_path, "batch.json", json.dumps(wrapper, indent=1))
    assert [line.split(" ", 1)[1] for line in summary(path)] == ["In", "Too"]


@pytest.mark.parametrize("name", ["batch.json", "batch.jsonl"])
def test_a_wrapper_with_a_name_of_its_own_is_still_a_batch(tmp_path: Path, name: str) -> None:
    wrapper = {"title": "Export of May", "articles": [{"title": "In"}, {"title": "Too"}]}
    path = write(tmp_path, name, json.dumps(wrapper) + "\n")
    assert [line.split(" ", 1)[1] for line in summary(path)] == ["In", "Too"]


def test_syntax_error_in_a_document_keeps_what_came_before(tmp_path: Path) -> None:
    path = write(tmp_path, "b.json", '[{"title": "kept"},\n {"title": "cut" \n, {"title": "lost"}]')
    assert summary(path) == [
        "1 kept",
        "3! invalid JSON: Expecting property name enclosed in double quotes; "
        "the rest of the file was not read",
    ]


def test_truncated_array(tmp_path: Path) -> None:
    path = write(tmp_path, "t.json", '[{"title": "kept"},\n{"title": "half')
    items = summary(path)
    assert items[0] == "1 kept"
    assert items[1].startswith("2! invalid JSON: Unterminated string")


def test_missing_comma_between_items(tmp_path: Path) -> None:
    path = write(tmp_path, "c.json", '[{"title": "a"}\n{"title": "b"}]')
    assert summary(path) == [
        "1 a",
        "2! invalid JSON: expected ',' between array items, found '{'; "
        "the rest of the file was not read",
    ]


def test_document_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "d.json", b'[{"title": "caf\xe9"}]')
    [item] = list(read_articles(path))
    assert isinstance(item, Rejection)
    assert "not UTF-8" in item.reason


def test_empty_files_have_no_items(tmp_path: Path) -> None:
    assert summary(write(tmp_path, "e.json", "  \n")) == []
    assert summary(write(tmp_path, "e.jsonl", "")) == []
    assert summary(write(tmp_path, "f.json", "[]")) == []


@pytest.mark.parametrize("chunk", [1, 3, 7, 64])
def test_array_read_in_small_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    # The scanner must join items split across reads (strings, numbers, escapes).
    monkeypatch.setattr(files, "_CHUNK_CHARS", chunk)
    items = [
        {"title": f"Story {n}", "text": "caf\u00e9 \\u00e9 " * n, "id": 10**n} for n in range(1, 8)
    ]
    path = write(tmp_path, "big.json", json.dumps({"articles": items}, indent=1))
    result = load_file(path)
    assert result.rejections == []
    assert [a.article.title for a in result.articles] == [f"Story {n}" for n in range(1, 8)]
    assert [a.article.source_id for a in result.articles] == [str(10**n) for n in range(1, 8)]


def test_missing_file_raises_at_once(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_articles(tmp_path / "nope.jsonl")


def test_a_line_nested_too_deeply_is_rejected_and_the_next_lines_still_read(tmp_path):
    from watchfloor.services.ingest.files import read_articles

    path = tmp_path / "deep.jsonl"
    good = '{"title": "Navy drills off the coast", "text": "Ships sailed."}'
    path.write_text(good + "\n" + "[" * 10_000 + "]" * 10_000 + "\n" + good.replace("Navy", "Army") + "\n")
    items = list(read_articles(path))
    rejected = [i for i in items if hasattr(i, "reason")]
    assert len(items) == 3 and len(rejected) == 1
    assert "nested too deeply" in rejected[0].reason


HUGE = "9" * 5_000  # more digits than Python converts to an int


def test_a_line_with_a_number_too_long_is_rejected_and_the_others_read(tmp_path: Path) -> None:
    # it raised a bare ValueError: a traceback, and nothing of the file published
    path = write(tmp_path, "huge.jsonl", '{"title": "Army drills", "text": "Tanks rolled."}\n'
                 f'{{"title": "Odd", "id": {HUGE}}}\n'
                 '{"title": "Navy drills", "text": "Ships sailed."}\n')
    assert summary(path) == [
        "1 Army drills",
        "2! invalid JSON: a number has more than 4300 digits (column 24)",
        "3 Navy drills",
    ]


def test_a_first_line_with_a_number_too_long_still_reads_as_json_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "huge", f'{{"title": "Odd", "id": {HUGE}}}\n'
                 '{"title": "Navy drills", "text": "Ships sailed."}\n')
    assert summary(path)[1:] == ["2 Navy drills"]


@pytest.mark.parametrize("bad", [f'{{"title": "Odd", "id": {HUGE}}}', "[" * 100_000 + "]" * 100_000],
                         ids=["number-too-long", "nested-100000-deep"])
def test_a_document_keeps_the_items_before_an_unreadable_one(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path, "doc.json", f'[{{"title": "Army drills"}}, {bad}, {{"title": "Late"}}]')
    found = summary(path)
    assert found[0] == "1 Army drills"
    assert found[1].startswith("1! invalid JSON: ")
    assert ("more than 4300 digits" in found[1]) or ("nested too deeply" in found[1])
    assert found[1].endswith("the rest of the file was not read")
