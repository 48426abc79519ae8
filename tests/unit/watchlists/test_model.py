"""Loading the watchlists file: the happy path, ${VAR} expansion, secrets, every error."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from watchfloor.services.targets.slack import SlackTarget
from watchfloor.services.targets.webhook import WebhookTarget
from watchfloor.services.watchlists.model import (
    KNOWN_ACTORS,
    WatchlistError,
    load_watchlists,
    parse_watchlists,
)

from tests.unit.notifier.factories import make_secret

SECRET = make_secret(7)
SLACK_URL = "https://hooks.slack.example.test/services/T000/B000/abcdefsecretpart"

GOOD = f"""\
watchlists:
  - id: strait-launches
    name: Launches near the strait
    description: extra keys at this level are tolerated
    match:
      tags_any: [missile_test, military_exercise]
      actors_any: [KP]
      min_confidence: 0.5
      exclude_modalities: [denied, hypothetical]
    targets:
      - type: webhook
        url: https://hooks.example.test/watch
        secret: {SECRET}
      - type: slack
        url: {SLACK_URL}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "watchlists.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(text: str, env: dict[str, str] | None = None, **kwargs) -> list[str]:
    with pytest.raises(WatchlistError) as info:
        parse_watchlists(textwrap.dedent(text), source="wl.yaml", env=env or {}, **kwargs)
    return info.value.problems


def one_problem(text: str, env: dict[str, str] | None = None, **kwargs) -> str:
    problems = problems_of(text, env, **kwargs)
    assert len(problems) == 1, problems
    return problems[0]


def test_loads_the_design_shape(tmp_path: Path) -> None:
    (wl,) = load_watchlists(write(tmp_path, GOOD), env={})
    assert wl.id == "strait-launches"
    assert wl.match.tags_any == ["missile_test", "military_exercise"]
    assert wl.match.exclude_modalities == ["denied", "hypothetical"]
    assert wl.match.min_confidence == 0.5
    webhook, slack = wl.targets
    assert isinstance(webhook, WebhookTarget) and isinstance(slack, SlackTarget)
    assert webhook.secret.get_secret_value() == SECRET
    assert slack.url.get_secret_value() == SLACK_URL


def test_match_defaults_to_no_criteria() -> None:
    (wl,) = parse_watchlists("watchlists:\n  - {id: all, name: Everything tagged}\n", env={})
    assert wl.match.tags_any == [] and wl.match.min_confidence == 0.0
    assert wl.match.min_figures is None and wl.targets == []


def test_env_variables_are_expanded() -> None:
    text = """\
    watchlists:
      - id: w1
        name: "Desk ${DESK}"
        targets:
          - {type: webhook, url: "https://${HOOK_HOST}/in", secret: "${HOOK_SECRET}"}
    """
    env = {"DESK": "east", "HOOK_HOST": "hooks.example.test", "HOOK_SECRET": SECRET}
    (wl,) = parse_watchlists(textwrap.dedent(text), env=env)
    assert wl.name == "Desk east"
    assert wl.targets[0].url == "https://hooks.example.test/in"
    assert wl.targets[0].secret.get_secret_value() == SECRET


def test_double_dollar_escapes_expansion() -> None:
    (wl,) = parse_watchlists("watchlists:\n  - {id: w1, name: 'cost $${X}'}\n", env={"X": "no"})
    assert wl.name == "cost ${X}"


def test_missing_env_variable_names_field_and_line_only_once() -> None:
    text = """\
    watchlists:
      - id: w1
        name: n
        targets:
          - type: webhook
            url: https://hooks.example.test/in
            secret: ${HOOK_SECRET}
    """
    assert one_problem(text) == (
        "wl.yaml: watchlist 'w1' (line 7): targets[0].secret refers to environment "
        "variable HOOK_SECRET, which is not set"
    )


def test_secrets_never_in_repr(tmp_path: Path) -> None:
    watchlists = load_watchlists(write(tmp_path, GOOD), env={})
    for text in (repr(watchlists), str(watchlists), watchlists[0].model_dump_json()):
        assert SECRET not in text
        assert "abcdefsecretpart" not in text


@pytest.mark.parametrize(
    "secret",
    ["whsec_!!!not-base64!!!", "whsec_" + "QUJD", "sk_live_zzzzzzzzzzzzzzzzzzzz"],
)
def test_bad_secret_values_never_echoed(secret: str) -> None:
    text = f"""\
    watchlists:
      - id: w1
        name: n
        targets: [{{type: webhook, url: "https://h.example.test/", secret: "{secret}"}}]
    """
    problem = one_problem(text)
    assert secret not in problem
    assert "targets[0].secret must" in problem


@pytest.mark.parametrize("target", [
    '{type: webhook, url: "https://h.example.test/", secret:whsec_U0VLUklUU0VLUklUU0VLUklU}',
    '{type: slack, url:https://hooks.example.test/services/T0/B0/SEKRITSEKRIT}',
])
def test_a_key_that_swallowed_its_value_is_not_echoed(target: str) -> None:
    # no space after the colon: YAML reads "secret:whsec_..." as one key, and
    # the error naming that key put the secret in the logs and the editor
    text = f"""\
    watchlists:
      - id: w1
        name: n
        targets: [{target}]
    """
    problems = " ".join(problems_of(text))
    assert "U0VLUklU" not in problems and "SEKRIT" not in problems
    assert "not shown" in problems


def test_a_secret_pasted_as_a_key_is_not_echoed_and_plain_typos_are() -> None:
    secret = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    text = f"""\
    watchlists:
      - id: w1
        name: n
        match: {{min confidence: 0.5, kéywords_any: [x]}}
        targets: [{{type: webhook, url: "https://h.example.test/", {secret}}},
                  {{type: webhook, url: "https://h.example.test/", password hunter2.Secret!}}]
    """
    problems = " ".join(problems_of(text))
    assert "QUJDREVG" not in problems and "looks like a secret" in problems
    assert "hunter2" not in problems and "targets[1].password… (the rest is not shown" in problems
    assert "match.kéywords_any is not a known field" in problems
    assert "match.min… (the rest is not shown" in problems


def test_a_key_given_twice_is_not_quoted_when_it_holds_a_value() -> None:
    text = """\
    watchlists:
      - {id: w1, name: n, targets: [{secret:whsec_AA11, secret:whsec_AA11}]}
    """
    problem = one_problem(text)
    assert "AA11" not in problem and "is given twice" in problem


def test_secret_must_start_with_whsec() -> None:
    text = """\
    watchlists:
      - id: dprk
        name: n
        targets:
          - type: webhook
            url: https://hooks.example.test/in
            secret: sk_abcdefabcdefabcdefabcdefabcdef
    """
    assert one_problem(text) == (
        "wl.yaml: watchlist 'dprk' (line 7): targets[0].secret must start with whsec_"
    )


def test_secret_must_be_base64_of_enough_bytes() -> None:
    base = "watchlists:\n  - id: w\n    name: n\n    targets:\n      - type: webhook\n"
    base += "        url: https://h.example.test/\n        secret: {}\n"
    assert one_problem(base.format("whsec_@@@@")).endswith(
        "targets[0].secret must be whsec_ followed by base64"
    )
    assert one_problem(base.format("whsec_QUJDREVG")).endswith(
        "targets[0].secret must encode at least 24 bytes of key"
    )


def test_unknown_tag_names_the_known_tags() -> None:
    text = """\
    watchlists:
      - id: w1
        name: n
        match:
          tags_all: [missile_tset]
    """
    problem = one_problem(text)
    assert problem.startswith("wl.yaml: watchlist 'w1' (line 5): match.tags_all: unknown tag")
    assert "'missile_tset'" in problem
    assert "known tags: arms_transfer, diplomatic_visit" in problem


def test_custom_taxonomy_tags_are_accepted() -> None:
    text = "watchlists:\n  - {id: w1, name: n, match: {tags_any: [port_closure]}}\n"
    (wl,) = parse_watchlists(text, env={}, known_tags={"port_closure", "missile_test"})
    assert wl.match.tags_any == ["port_closure"]
    assert "known tags: missile_test, port_closure" in one_problem(
        "watchlists:\n  - {id: w1, name: n, match: {tags_any: [sanctions]}}\n",
        known_tags={"port_closure", "missile_test"},
    )


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("{name: n}", "watchlist #0 (line 2): id is required"),
        (
            "{id: 'bad id!', name: n}",
            "watchlist 'bad id!' (line 2): id: String should match pattern",
        ),
        ("{id: w1}", "watchlist 'w1' (line 2): name is required"),
        (
            "{id: w1, name: n, match: {tag_any: [sanctions]}}",
            "watchlist 'w1' (line 2): match.tag_any is not a known field (allowed: tags_any,",
        ),
        (
            "{id: w1, name: n, match: {min_confidence: 1.5}}",
            "watchlist 'w1' (line 2): match.min_confidence: Input should be less than or equal to 1",
        ),
        (
            "{id: w1, name: n, match: {exclude_modalities: [maybe]}}",
            "match.exclude_modalities[0]: Input should be 'asserted'",
        ),
        (
            "{id: w1, name: n, match: {min_figures: 0}}",
            "match.min_figures: Input should be greater than or equal to 1",
        ),
        (
            "{id: w1, name: n, targets: [{type: pager, url: 'https://h.example.test'}]}",
            "targets[0].type must be one of: webhook, slack, teams, alertmanager, email",
        ),
        ("{id: w1, name: n, targets: [{type: slack}]}", "targets[0].url is required"),
        (
            "{id: w1, name: n, targets: [{type: slack, url: 'ftp://files.example.test/x'}]}",
            "targets[0].url must be an http(s) URL with a host",
        ),
        (
            "{id: w1, name: n, targets: [{type: slack, url: 'https://h.example.test', secret: x}]}",
            "targets[0].secret is not a known field (allowed: type, name, rate_per_s, url)",
        ),
        # a misspelt or misplaced field, ignored, would alert on every tagged article
        ("{id: w1, name: n, matches: {tags_any: [sanctions]}}",
         "watchlist 'w1' (line 2): unknown key 'matches': did you mean 'match'?"),
        ("{id: w1, name: n, Match: {tags_any: [sanctions]}}", "unknown key 'Match': did you mean 'match'?"),
        ("{id: w1, name: n, alert-on: every_version}", "unknown key 'alert-on': did you mean 'alert_on'?"),
        ("{id: w1, name: n, tags_any: [sanctions]}", "'tags_any' goes under 'match:'"),
        # one indent off and misspelt: ignored, it too would alert on everything
        ("{id: w1, name: n, tag_any: [sanctions]}",
         "unknown key 'tag_any': did you mean 'tags_any' under 'match:'?"),
        ("{id: w1, name: n, actors: [KP]}",
         "unknown key 'actors': did you mean 'actors_any' under 'match:'?"),
        ("{id: w1, name: n, min_conf: 0.9}",
         "unknown key 'min_conf': did you mean 'min_confidence' under 'match:'?"),
        ("{id: w1, name: n, match: {keywords_any: ['  ']}}",
         "match.keywords_any[0] must contain a word"),
        ("{id: w1, name: n, match: {keywords_any: [Hwasong, '-']}}",  # would match every dash
         "match.keywords_any[1] must contain a word"),
        ("{id: w1, name: n, match: {keywords_any: ['!!!']}}",
         "match.keywords_any[0] must contain a word"),
        # a name is not an id: it would never match ("KP" is what articles carry)
        ("{id: w1, name: n, match: {actors_any: [North Korea]}}",
         "match.actors_any: unknown actor 'North Korea': use its id 'KP'"),
        ("{id: w1, name: n, match: {actors_any: [SE, NO]}}",
         "match.actors_any: holds true or false: YAML reads an unquoted NO (Norway) as false"),
        ("{id: w1, name: n, match: {actors_all: [KP, Narnia]}}",
         "match.actors_all: unknown actor 'Narnia': actors are the gazetteer's ids"),
        (
            "just-a-string",
            "watchlist #0 (line 2): must be a mapping with id, name, match and targets",
        ),
    ],
)
def test_field_errors(item: str, expected: str) -> None:
    problem = one_problem(f"watchlists:\n  - {item}\n")
    assert problem.startswith("wl.yaml: ")
    assert expected in problem


def test_error_line_points_at_the_field() -> None:
    text = """\
    watchlists:
      - id: fine
        name: fine
      - id: broken
        name: broken
        targets:
          - type: slack
            url: https://h.example.test/a
          - type: webhook
            url: https://h.example.test/b
    """
    assert one_problem(text) == (
        "wl.yaml: watchlist 'broken' (line 9): targets[1].secret is required"
    )


def test_duplicate_ids() -> None:
    text = "watchlists:\n  - {id: w1, name: a}\n  - {id: w1, name: b}\n"
    assert one_problem(text) == (
        "wl.yaml: watchlist 'w1' (line 3): id is a duplicate (first used at line 2)"
    )


def test_all_problems_reported_together() -> None:
    text = """\
    watchlists:
      - {id: a, match: {tags_any: [nope]}}
      - {id: b, name: b, targets: [{type: webhook, url: 'https://h.example.test', secret: x}]}
    """
    problems = problems_of(text)
    assert [p.split(": ", 2)[1] for p in problems] == [
        "watchlist 'a' (line 2)",
        "watchlist 'a' (line 2)",
        "watchlist 'b' (line 3)",
    ]
    assert len(str(WatchlistError(problems)).splitlines()) == 3


def test_a_misplaced_key_does_not_hide_the_other_problems_of_its_watchlist() -> None:
    # before: only the misplaced key, the rest one fix later
    text = """\
    watchlists:
      - id: w1
        name: n
        min_confidence: 0.5
        match: {tags_any: [missile_tests], actors_any: [North Korea], keywords_any: ['-']}
    """
    problems = "\n".join(problems_of(text))
    assert "'min_confidence' goes under 'match:'" in problems
    assert "unknown tag 'missile_tests'" in problems
    assert "unknown actor 'North Korea': use its id 'KP'" in problems
    assert "match.keywords_any[0] must contain a word" in problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("watchlists: {id: w1}\n", "wl.yaml: expected a top-level 'watchlists:' list"),
        ("- id: w1\n", "wl.yaml: expected a top-level 'watchlists:' list"),
        ("", "wl.yaml: expected a top-level 'watchlists:' list"),
        ("watchlists:\n  - id: [unclosed\n", "wl.yaml (line 3): "),
    ],
)
def test_file_level_errors(text: str, expected: str) -> None:
    assert one_problem(text).startswith(expected)


def test_unreadable_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(WatchlistError) as info:
        load_watchlists(tmp_path / "missing.yaml", env={})
    assert str(info.value).startswith(f"{tmp_path / 'missing.yaml'}: cannot read")


def test_load_names_the_file_in_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "watchlists:\n  - {id: w1}\n")
    with pytest.raises(WatchlistError, match=r"watchlists\.yaml: watchlist 'w1' \(line 2\)"):
        load_watchlists(path, env={})


def test_actor_ids_are_taken_in_any_case_as_the_matcher_compares_them() -> None:
    [watchlist] = parse_watchlists(
        "watchlists:\n  - {id: w1, name: n, match: {actors_any: [kp, RU, nato, kim-jong-un]}}\n",
        env={})
    assert watchlist.match.actors_any == ["kp", "RU", "nato", "kim-jong-un"]


def test_a_symbol_is_a_keyword_and_a_stored_punctuation_keyword_is_still_read() -> None:
    from watchfloor.services.watchlists.model import MatchRule

    assert MatchRule.model_validate({"keywords_any": ["\u2622"]},
                                    context={KNOWN_ACTORS: None}).keywords_any == ["\u2622"]
    # stored before the rule (no write context): read as before, not dropped
    assert MatchRule.model_validate({"keywords_any": ["-"]}).keywords_any == ["-"]
