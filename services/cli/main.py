"""The ``watchfloor`` command. Each subcommand lives in its own module.

A module registers itself with ``register(subparsers)`` and sets
``func=`` (taking the parsed args, returning an exit code) on its parser.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from watchfloor.shared.errors import WatchfloorError
from watchfloor.shared.version import installed_version

# module under services.cli -> registered in this order in --help
_COMMAND_MODULES = (
    "classify",
    "eval",
    "train",
    "label",
    "taxonomy",
    "ingest",
    "worker",
    "up",
    "status",
    "alerts",
    "demo",
    "replay",
    "deliveries",
    "targets",
    "console", "labels", "receiver",
)


class _VersionAction(argparse.Action):
    """``--version``, reading the installed version only when asked: the
    lookup scans the installed distributions (~30 ms of every start)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0,
                         help=help or "show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(f"watchfloor {installed_version()}")
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of ``command`` alone when it is one:
    importing all of them (FastAPI, aiohttp, ...) costs ~0.6 s of CPU, most
    of a short `watchfloor classify` run."""
    parser = argparse.ArgumentParser(
        prog="watchfloor",
        description="Watchfloor: news alerting on Redis Streams (ingest, classify, notify).",
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in (command,) if command in _COMMAND_MODULES else _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"watchfloor.services.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"watchfloor.services.cli.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except WatchfloorError as exc:  # bad settings or files, Redis down: the message says which
        print(f"watchfloor: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `watchfloor classify | head`: the reader has gone
        # what is still buffered for stdout would raise again at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a shell reports a process ended by SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
