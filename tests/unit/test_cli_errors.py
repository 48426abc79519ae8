"""Errors a user can trigger from the command line get a clear message and exit 2."""

from __future__ import annotations

import argparse

import pytest
from watchfloor.services.cli import main as cli_main
from watchfloor.services.cli.common import RedisUnavailable, SettingsProblem
from watchfloor.services.cli.main import main
from watchfloor.shared.errors import ConfigError, WatchfloorError
from watchfloor.shared.redis_server import free_port


def free_port_url(password: str | None = None) -> str:
    """A Redis URL on a loopback port nothing listens on."""
    auth = f":{password}@" if password else ""
    return f"redis://{auth}127.0.0.1:{free_port()}/0"


def test_invalid_setting_names_the_variable(monkeypatch, capsys):
    monkeypatch.setenv("WATCHFLOOR_BATCH_SIZE", "0")
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert "WATCHFLOOR_BATCH_SIZE" in err and "greater than or equal to 1" in err


def test_unreachable_redis_is_named_without_its_password(capsys):
    url = free_port_url(password="s3cret")
    assert main(["status", "--redis-url", url]) == 2
    err = capsys.readouterr().err
    assert "cannot reach Redis at" in err
    assert "s3cret" not in err and "***" in err


def test_worker_refuses_to_start_without_redis(capsys):
    assert main(["worker", "classifier", "--redis-url", free_port_url()]) == 2
    assert "cannot reach Redis" in capsys.readouterr().err


def test_unknown_worker_name_is_refused(capsys):
    try:
        main(["worker", "publisher"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "invalid choice: 'publisher'" in capsys.readouterr().err


def test_missing_watchlists_file_is_named(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("WATCHFLOOR_WATCHLISTS_FILE", str(tmp_path / "nope.yaml"))
    assert main(["worker", "notifier", "--redis-url", free_port_url()]) == 2
    err = capsys.readouterr().err
    assert "nope.yaml: cannot read" in err and "Traceback" not in err


def test_unknown_tag_in_watchlists_names_file_line_and_known_tags(monkeypatch, capsys, tmp_path):
    path = tmp_path / "watchlists.yaml"
    path.write_text("watchlists:\n  - id: x\n    name: y\n    match: {tags_any: [missle_test]}\n")
    monkeypatch.setenv("WATCHFLOOR_WATCHLISTS_FILE", str(path))
    assert main(["worker", "notifier", "--redis-url", free_port_url()]) == 2
    err = capsys.readouterr().err
    assert "watchlist 'x' (line 4)" in err and "unknown tag 'missle_test'" in err
    assert "missile_test" in err


def test_broken_taxonomy_is_reported_with_its_line(monkeypatch, capsys, tmp_path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text("version: x\ntags: {}\n")
    monkeypatch.setenv("WATCHFLOOR_TAXONOMY_FILE", str(path))
    assert main(["worker", "classifier", "--redis-url", free_port_url()]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2:" in err and "at least one tag" in err


def test_broken_feeds_file_is_reported(monkeypatch, capsys, tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - url: ftp://example.org/feed\n")
    monkeypatch.setenv("WATCHFLOOR_FEEDS_FILE", str(path))
    assert main(["worker", "ingest", "--redis-url", free_port_url()]) == 2
    err = capsys.readouterr().err
    assert "feeds.yaml" in err and "line 2" in err and "http(s)" in err


def _parser_running(func):  # type: ignore[no-untyped-def]
    parser = argparse.ArgumentParser(prog="watchfloor")
    parser.set_defaults(func=func)
    return parser


@pytest.mark.parametrize("error", [ConfigError, SettingsProblem, RedisUnavailable, WatchfloorError])
def test_any_watchfloor_error_is_its_message_and_exit_2(monkeypatch, capsys, error):
    def command(args):  # type: ignore[no-untyped-def]
        raise error("watchlists.yaml:3: watchlist 'x': unknown tag 'missle_test'")

    monkeypatch.setattr(cli_main, "build_parser", lambda command_name=None: _parser_running(command))
    assert main([]) == 2
    assert capsys.readouterr().err == (
        "watchfloor: error: watchlists.yaml:3: watchlist 'x': unknown tag 'missle_test'\n"
    )


def test_a_bug_keeps_its_traceback(monkeypatch):
    def command(args):  # type: ignore[no-untyped-def]
        raise KeyError("not a Watchfloor error")

    monkeypatch.setattr(cli_main, "build_parser", lambda command_name=None: _parser_running(command))
    with pytest.raises(KeyError):
        main([])


@pytest.mark.parametrize("command", ["alerts", "deliveries", "replay", "label"])
@pytest.mark.parametrize("limit", ["0", "-3", "ten"])
def test_a_limit_below_one_is_refused_not_taken_as_nothing(capsys, command, limit):
    # "--limit 0" once printed "no alerts yet" while there were alerts
    with pytest.raises(SystemExit) as exit_:
        main([command, "--limit", limit])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --limit" in err
    assert ("must be at least 1" if limit != "ten" else "not a whole number: 'ten'") in err


@pytest.mark.parametrize(("port", "problem"), [
    ("99999", "Input should be less than or equal to 65535"),  # once listened on 34463
    ("-1", "Input should be greater than or equal to 0"),  # once "unknown host"
])
def test_an_http_port_out_of_range_is_a_settings_error(monkeypatch, capsys, port, problem):
    monkeypatch.setenv("WATCHFLOOR_HTTP_PORT", port)
    assert main(["worker", "ingest", "--redis-url", free_port_url()]) == 2
    assert capsys.readouterr().err == (
        f"watchfloor: error: invalid settings: WATCHFLOOR_HTTP_PORT: {problem}\n")


@pytest.mark.parametrize(("worker", "prefix", "port"), [
    ("ingest", "WATCHFLOOR_HTTP", "8080"), ("classifier", "WATCHFLOOR_HEALTH", str(free_port())),
])
def test_a_bad_host_names_the_host_setting_not_the_port(monkeypatch, capsys, worker, prefix, port):
    monkeypatch.setenv(f"{prefix}_HOST", "999.1.1.1")
    monkeypatch.setenv(f"{prefix}_PORT", port)
    assert main(["worker", worker, "--redis-url", free_port_url()]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"watchfloor: error: cannot listen on 999.1.1.1:{port} ({prefix}_HOST): unknown host (")


@pytest.mark.parametrize(("variable", "argv", "problem"), [
    ("WATCHFLOOR_CLASSIFIER", ["classify"], "Input should be 'learned' or 'rules'"),
    ("WATCHFLOOR_CLASSIFIER", ["eval", "--labeled"], "Input should be 'learned' or 'rules'"),
    ("WATCHFLOOR_LOG_LEVEL", ["label", "--annotator", "x"],
     "unknown log level 'bogus': use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
])
def test_offline_commands_report_a_bad_setting_in_one_line(
        monkeypatch, capsys, tmp_path, variable, argv, problem):
    # classify and label once printed pydantic's traceback and exited 1
    labeled = tmp_path / "labeled.jsonl"
    labeled.write_text('{"id": "1", "title": "t", "labels": []}\n')
    monkeypatch.setenv(variable, "bogus")
    assert main([*argv, str(labeled)] if argv[0] == "eval" else argv) == 2
    assert capsys.readouterr().err == f"watchfloor: error: invalid settings: {variable}: {problem}\n"


@pytest.mark.parametrize(("name", "flags"), [
    ("classify", ["--input", "{source}", "--output", "{out}"]),
    # Redis is not asked: the path is checked first
    ("labels export", ["-o", "{out}", "--redis-url", free_port_url()]),
    # once only after the officer's first answer, which was lost
    ("label", ["--annotator", "x", "--labels", "{out}"]),
    # once only after minutes of training
    ("train", ["--output", "{out}"]),
])
def test_output_in_a_missing_folder_is_refused_before_any_work(capsys, tmp_path, name, flags):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "1", "title": "North Korea fires a missile"}\n')
    out = tmp_path / "nodir" / "out.jsonl"
    assert main([*name.split(), *(f.format(source=source, out=out) for f in flags)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"watchfloor {name}: cannot write {out}: no folder {out.parent}\n"
    assert captured.out == ""  # nothing classified, no item shown to label


def test_the_output_check_leaves_no_file_behind(capsys, tmp_path):
    out = tmp_path / "labels.jsonl"
    assert main(["labels", "export", "-o", str(out), "--redis-url", free_port_url()]) == 2
    assert "cannot reach Redis" in capsys.readouterr().err
    assert not out.exists()


def test_ingest_with_a_url_that_is_not_redis_says_so(capsys, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"title": "t"}\n')
    assert main(["ingest", str(source), "--redis-url", "notaurl"]) == 2
    err = capsys.readouterr().err
    assert "WATCHFLOOR_REDIS_URL: must start with redis://, rediss:// or unix://" in err
    assert "Traceback" not in err


def test_eval_refuses_a_file_with_no_items(capsys, tmp_path):
    # once scored every tag 1.000 and exited 0
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    assert main(["eval", "--labeled", str(empty), "--classifier", "rules"]) == 2
    assert capsys.readouterr().err == f"watchfloor eval: {empty}: no labelled items\n"


def test_eval_refuses_an_unknown_tag_naming_file_line_and_known_tags(capsys, tmp_path):
    # once scored "missile_tst" as a tag of its own
    labeled = tmp_path / "labeled.jsonl"
    labeled.write_text('{"id": "1", "title": "t", "labels": []}\n'
                       '{"id": "2", "title": "t", "labels": ["missile_tst"]}\n')
    assert main(["eval", "--labeled", str(labeled), "--classifier", "rules"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"watchfloor eval: {labeled}:2: unknown tag 'missile_tst' (known tags: ")
    assert "missile_test, " in err


def test_agreement_with_a_missing_file_says_it_is_not_found(capsys, tmp_path):
    missing = tmp_path / "nope.jsonl"
    assert main(["labels", "agreement", "--first", str(missing), "--second", str(missing)]) == 2
    # once "the two files share no item id"
    assert capsys.readouterr().err == f"watchfloor labels agreement: labels file not found: {missing}\n"


def test_a_bad_list_item_names_the_variable_and_the_item(monkeypatch, capsys):
    monkeypatch.setenv("WATCHFLOOR_RETRY_SCHEDULE_S", "1,a")
    assert main(["status"]) == 2
    # once WATCHFLOOR_RETRY_SCHEDULE_S_1, a variable that does not exist
    assert capsys.readouterr().err == (
        "watchfloor: error: invalid settings: WATCHFLOOR_RETRY_SCHEDULE_S: item 2: "
        "Input should be a valid number, unable to parse string as a number\n")


@pytest.mark.parametrize("argv", [["classify", "--input"], ["eval", "--labeled"]])
def test_a_directory_given_as_input_is_said_to_be_one(capsys, tmp_path, argv):
    # once "input file not found"
    assert main([*argv, str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"watchfloor {argv[0]}: {tmp_path} is a directory\n"


def test_a_misspelt_setting_is_warned_about_not_silently_ignored(monkeypatch, capsys):
    # settings ignore unknown variables: WATCHFLOOR_HEALTH_PROT left the health
    # port off without a word
    monkeypatch.setenv("WATCHFLOOR_HEALTH_PROT", "8081")
    monkeypatch.setenv("WATCHFLOOR_WEBHOOK_SECRET", "whsec_x")  # a ${} value, not a setting
    assert main(["status", "--redis-url", free_port_url()]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == ("watchfloor: warning: WATCHFLOOR_HEALTH_PROT is not a setting and is "
                      "ignored: did you mean WATCHFLOOR_HEALTH_PORT?")
    assert not any("WEBHOOK_SECRET" in line for line in err)


def test_a_misspelt_setting_in_the_env_file_is_warned_about_too(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("WATCHFLOOR_HEALTH_PROT=8081\n")
    assert main(["status", "--redis-url", free_port_url()]) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        "watchfloor: warning: WATCHFLOOR_HEALTH_PROT is not a setting and is ignored: did you "
        "mean WATCHFLOOR_HEALTH_PORT?")


def test_eval_help_shows_a_percent_sign_once(capsys):
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    shown = capsys.readouterr().out
    assert "%%" not in shown


def test_eval_refuses_a_title_that_is_not_text(capsys, tmp_path):
    items = tmp_path / "items.jsonl"
    items.write_text('{"id": "a", "title": 5, "labels": []}\n')
    assert main(["eval", "--labeled", str(items), "--classifier", "rules"]) == 2
    assert "items.jsonl:1: not a labeled item: title must be a string" in capsys.readouterr().err


def test_eval_of_a_corpus_without_its_locked_split_is_refused_not_perfect(capsys, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("news_pool.jsonl", "news_pool_ext.jsonl"):
        (data / name).write_text("")
    code = main(["eval", "--corpus", "--data-dir", str(data), "--classifier", "rules"])
    err = capsys.readouterr().err
    assert code == 2 and "1.000" not in err


def test_a_taxonomy_that_is_not_utf8_is_refused_with_its_byte(capsys, tmp_path):
    taxonomy = tmp_path / "latin1.yaml"
    taxonomy.write_bytes("tags:\n  caf\u00e9: {}\n".encode("latin-1"))
    assert main(["taxonomy", "check", str(taxonomy)]) == 1  # as for any invalid taxonomy
    err = capsys.readouterr().err
    assert "is not UTF-8 text (byte 12)" in err and "Traceback" not in err


@pytest.mark.parametrize("file", ["watchlists", "env", "labels"])
def test_a_file_saved_in_another_encoding_is_named_not_a_traceback(
        monkeypatch, capsys, tmp_path, file):
    latin1 = "café".encode("latin-1")
    monkeypatch.chdir(tmp_path)
    if file == "watchlists":
        path = tmp_path / "watchlists.yaml"
        path.write_bytes(b"watchlists:\n  - id: x\n    name: " + latin1 + b"\n")
        monkeypatch.setenv("WATCHFLOOR_WATCHLISTS_FILE", str(path))
        argv = ["worker", "notifier", "--redis-url", free_port_url()]
    elif file == "env":
        path = tmp_path / ".env"
        path.write_bytes(b"WATCHFLOOR_KEY_PREFIX=" + latin1 + b"\n")
        argv = ["status", "--redis-url", free_port_url()]
    else:
        path = tmp_path / "labels.jsonl"
        path.write_bytes(b'{"id": "a", "note": "' + latin1 + b'", "labels": []}\n')
        argv = ["labels", "agreement", "--first", str(path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{path.name} is not UTF-8 text (byte" in err and "Traceback" not in err
