"""`watchfloor classify` reads bytes: a line that is not UTF-8, not JSON or
nested too deeply gets its error object, and every other line its result,
in order."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from watchfloor.services.classifier.engine import Classifier
from watchfloor.services.classifier.taxonomy import load_taxonomy
from watchfloor.services.cli.classify import classify_stream
from watchfloor.services.cli.main import main


def line(item_id: str, title: str) -> bytes:
    return json.dumps({"id": item_id, "title": title, "text": ""}).encode() + b"\n"


GOOD_BEFORE = line("before", "EU imposes new sanctions on Iran")
NOT_UTF8 = b'{"id": "latin1", "title": "Caf\xe9 owners protest"}\n'  # Latin-1 bytes
NOT_JSON = b"{not json\n"
TOO_DEEP = b"[" * 10_000 + b"]" * 10_000 + b"\n"
GOOD_AFTER = line("after", "Bakery wins award")
INPUT = GOOD_BEFORE + NOT_UTF8 + NOT_JSON + TOO_DEEP + GOOD_AFTER


def check_rows(rows: list[dict]) -> None:
    assert [r.get("id") for r in rows] == ["before", "latin1", None, None, "after"]
    assert rows[0]["tags"] == ["sanctions"]
    assert rows[1] == {"line": 2, "id": "latin1",
                       "error": {"message": "line is not UTF-8 text (byte 31)"}}
    assert "not valid JSON" in rows[2]["error"]["message"] and rows[2]["line"] == 3
    assert rows[3]["line"] == 4
    assert rows[3]["error"]["message"].startswith("JSON nested too deeply: at most 64 levels")
    assert rows[4]["tags"] == []


def test_bad_lines_get_their_error_and_the_rest_is_classified_in_order() -> None:
    out = io.StringIO()
    summary = classify_stream(Classifier(load_taxonomy()), io.BytesIO(INPUT), out)

    check_rows([json.loads(row) for row in out.getvalue().splitlines()])
    assert summary["items"] == 5 and summary["errors"] == 3


def test_a_file_with_a_byte_that_is_not_utf8_is_classified_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "mixed.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + INPUT)  # a byte order mark, too

    assert main(["classify", "--classifier", "rules", "--input", str(source)]) == 0

    captured = capsys.readouterr()
    check_rows([json.loads(row) for row in captured.out.splitlines()])
    assert "classified 5 items: 1 tagged, 3 errors" in captured.err


def test_standard_input_is_read_as_bytes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(INPUT), encoding="utf-8"))

    assert main(["classify", "--classifier", "rules"]) == 0

    check_rows([json.loads(row) for row in capsys.readouterr().out.splitlines()])


def test_lone_surrogates_and_odd_ids_get_their_error_and_the_run_goes_on() -> None:
    # a lone surrogate passed json.loads and crashed the run when written out
    lines = [
        b'{"id": "s1", "title": "EU imposes new sanctions on Iran \\ud800"}\n',
        b'{"id": "s2\\udc00", "title": "EU imposes new sanctions on Iran"}\n',
        b'{"id": true, "title": "EU imposes new sanctions on Iran"}\n',
        b'{"id": 1.5, "title": "EU imposes new sanctions on Iran"}\n',
        line("after", "EU imposes new sanctions on Iran"),
    ]
    out = io.StringIO()
    summary = classify_stream(Classifier(load_taxonomy()), io.BytesIO(b"".join(lines)), out)
    rows = [json.loads(row) for row in out.getvalue().splitlines()]
    assert [(r.get("id"), r.get("error", {}).get("message")) for r in rows] == [
        ("s1", "field 'title' is not valid Unicode text: it holds a lone surrogate (\\ud800)"),
        ("s2\\udc00", "field 'id' is not valid Unicode text: it holds a lone surrogate (\\udc00)"),
        (None, "field 'id' must be a string or a whole number, got true"),
        (None, "field 'id' must be a string or a whole number, got 1.5"),
        ("after", None),
    ]
    assert summary["errors"] == 4 and rows[-1]["tags"] == ["sanctions"]


def test_the_input_file_given_as_output_is_refused_not_emptied(tmp_path: Path, capsys) -> None:
    items = tmp_path / "items.jsonl"
    items.write_text('{"id": 1, "title": "Navy test-fires a cruise missile"}\n')
    assert main(["classify", "--input", str(items), "--output", str(items)]) == 2
    assert "is the input file" in capsys.readouterr().err
    assert items.read_text().startswith('{"id": 1')


def test_a_reader_that_goes_away_ends_classify_without_a_traceback(tmp_path: Path) -> None:
    import subprocess

    items = tmp_path / "items.jsonl"
    items.write_text("".join(json.dumps({"id": n, "title": f"Navy test-fires missile {n}"}) + "\n"
                             for n in range(20_000)))
    process = subprocess.Popen([sys.executable, "-m", "watchfloor.services.cli.main", "classify",
                                "--classifier", "rules", "--input", str(items)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.readline()  # as `| head -1`: one line, then gone
    process.stdout.close()
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert process.wait(60) == 141 and "Traceback" not in stderr
