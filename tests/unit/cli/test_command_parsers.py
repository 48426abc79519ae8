import argparse

from watchfloor.services.cli.main import build_parser


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(sub.choices)


def test_a_named_command_builds_its_parser_alone_and_anything_else_builds_all():
    every = _commands(build_parser())
    assert {"classify", "worker", "up", "taxonomy"} <= set(every)
    assert _commands(build_parser("classify")) == ["classify"]
    assert _commands(build_parser("no-such-command")) == every  # its error lists the choices
    assert _commands(build_parser("--help")) == every
