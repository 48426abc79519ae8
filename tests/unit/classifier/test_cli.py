from __future__ import annotations

import io
import json
from pathlib import Path

from watchfloor.services.classifier.engine import Classifier
from watchfloor.services.classifier.taxonomy import load_taxonomy
from watchfloor.services.cli.classify import classify_stream
from watchfloor.services.cli.main import main


def test_classify_stream_keeps_order_and_reports_bad_lines():
    lines = [
        json.dumps({"id": "ok", "title": "EU imposes new sanctions on Iran", "text": "", "extra": 1}) + "\n",
        "{not json\n",
        "[1, 2]\n",
        json.dumps({"id": "empty", "title": "", "text": "  "}) + "\n",
        json.dumps({"id": 7, "title": 5}) + "\n",
        json.dumps({"id": "plain", "title": "Bakery wins award"}) + "\n",
    ]
    out = io.StringIO()
    summary = classify_stream(Classifier(load_taxonomy()), lines, out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r.get("id") for r in rows] == ["ok", None, None, "empty", 7, "plain"]
    assert rows[0]["tags"] == ["sanctions"]
    assert rows[0]["classification"]["tags"][0]["evidence"] == "EU imposes new sanctions on Iran"
    assert rows[1] == {"line": 2, "id": None, "error": {"message": rows[1]["error"]["message"]}}
    assert "not valid JSON" in rows[1]["error"]["message"]
    assert "expected a JSON object" in rows[2]["error"]["message"]
    assert "empty 'title' and 'text'" in rows[3]["error"]["message"]
    assert "'title' must be a string" in rows[4]["error"]["message"]
    assert rows[5]["tags"] == []
    assert summary["items"] == 6 and summary["errors"] == 4 and summary["tagged"] == 1


def test_classify_missing_input_exits_2(tmp_path: Path, capsys):
    assert main(["classify", "--input", str(tmp_path / "nope.jsonl")]) == 2
    assert "input file not found" in capsys.readouterr().err


def test_eval_reports_scores(tmp_path: Path, capsys):
    labeled = tmp_path / "labeled.jsonl"
    rows = [
        {"id": "1", "title": "Navy holds joint drills with allies", "text": "", "labels": ["military_exercise"]},
        {"id": "2", "title": "Bakery wins award", "text": "", "labels": ["sanctions"]},
    ]
    labeled.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["eval", "--labeled", str(labeled), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["tags"]["military_exercise"]["f1"] == 1.0
    assert report["tags"]["sanctions"]["fn"] == 1
    assert [m["id"] for m in report["mistakes"]] == ["2"]
    assert [p["threshold"] for p in report["precision_at_confidence"]] == [0.5, 0.6, 0.7, 0.8, 0.85, 0.9]
    assert main(["eval", "--labeled", str(labeled), "--show-errors", "5"]) == 0
    text = capsys.readouterr().out
    assert "macro-F1" in text and "Bakery wins award" in text


def test_an_article_longer_than_ingest_takes_is_refused_with_its_line_not_classified():
    """One 33 MB line used to take 2 GB of memory: a text over ingest's
    500,000 characters, or a line too long to hold one, gets an error object
    and the lines after it are classified."""
    from watchfloor.services.cli.classify import MAX_LINE_CHARS

    lines = [
        json.dumps({"id": "long", "title": "t", "text": "word " * 100_001}) + "\n",
        "x" * (MAX_LINE_CHARS + 1) + "\n",
        json.dumps({"id": "ok", "title": "EU imposes new sanctions on Iran"}) + "\n",
    ]
    out = io.StringIO()
    summary = classify_stream(Classifier(load_taxonomy()), lines, out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert "field 'text' has 500,005 characters: at most 500,000" in rows[0]["error"]["message"]
    assert rows[1]["line"] == 2 and "characters: at most" in rows[1]["error"]["message"]
    assert rows[2]["tags"] == ["sanctions"]
    assert summary["errors"] == 2
