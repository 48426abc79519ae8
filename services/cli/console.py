"""``watchfloor console user add|list|remove``: accounts for the console.

``add NAME --role editor`` prints the account's token once; only its hash is
stored. ``open_console`` is what ``watchfloor demo --keep-running`` shows
when the pipeline is up.
"""

from __future__ import annotations

import argparse
from typing import Any

from watchfloor.services.cli.common import add_settings_flags, run_on_redis, settings_from_args
from watchfloor.services.console.accounts import ROLES, AccountStore

DEMO_OFFICER = "demo-officer"
CONSOLE_HINT = (
    "console: to see these alerts in the browser, run `make console` (or `watchfloor demo "
    "--keep-running`): it reruns this demo, keeps it up and prints the URL and a sign-in token"
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "console",
        help="manage the console's sign-in accounts",
        description=(
            "The console is served by the ingest worker at / (its HTTP_HOST:HTTP_PORT). "
            "Officers sign in with an account name and a token; roles: viewer (reads), "
            "editor (also acknowledges, mutes, snoozes, judges tags, edits watchlists), "
            "admin (also manages accounts)."
        ),
    )
    users = parser.add_subparsers(dest="what", metavar="user")
    user = users.add_parser("user", help="add, list or remove accounts")
    actions = user.add_subparsers(dest="action", metavar="ACTION")

    add = actions.add_parser("add", help="add an account and print its token (shown once)")
    add.add_argument("name", help="account name: letters, digits and . _ @ -")
    add.add_argument("--role", choices=ROLES, default="viewer", help="(default: viewer)")
    add.add_argument("--replace", action="store_true",
                     help="give an existing account a new token (its sessions end)")
    add_settings_flags(add)
    add.set_defaults(func=_add)

    listing = actions.add_parser("list", help="list accounts (names and roles)")
    add_settings_flags(listing)
    listing.set_defaults(func=_list)

    remove = actions.add_parser("remove", help="remove an account (its sessions end)")
    remove.add_argument("name")
    add_settings_flags(remove)
    remove.set_defaults(func=_remove)

    for p in (parser, user):
        p.set_defaults(func=lambda args, p=p: p.print_help() or 2)


def _add(args: argparse.Namespace) -> int:
    async def work(redis: Any, keys: Any) -> tuple[Any, str]:
        return await AccountStore(redis, keys).add(args.name, args.role, created_by="cli",
                                                   replace=args.replace)

    account, token = run_on_redis(settings_from_args(args), work)
    print(f"account {account.name} ({account.role}); its sign-in token, shown this once:")
    print(token)
    return 0


def _list(args: argparse.Namespace) -> int:
    async def work(redis: Any, keys: Any) -> list[Any]:
        return await AccountStore(redis, keys).list()

    accounts = run_on_redis(settings_from_args(args), work)
    for account in accounts:
        print(f"{account.name}\t{account.role}\t{account.created_at:%Y-%m-%d}")
    if not accounts:
        print("no accounts yet: watchfloor console user add NAME --role admin")
    return 0


def _remove(args: argparse.Namespace) -> int:
    async def work(redis: Any, keys: Any) -> bool:
        return await AccountStore(redis, keys).remove(args.name)

    if not run_on_redis(settings_from_args(args), work):
        print(f"watchfloor console: no account {args.name!r}")
        return 1
    print(f"removed account {args.name}")
    return 0


async def open_console(runtime: Any) -> None:
    """Print how to open the console of a running pipeline, with a fresh
    admin token for the demo officer (the demo's keys are cleared each run)."""
    _, token = await AccountStore(runtime.redis, runtime.keys).add(
        DEMO_OFFICER, "admin", created_by="demo", replace=True)
    url = runtime.info["ingest_url"]
    print(f"\nconsole: {url}/  (API: {url}/v1/articles)")
    print(f"sign in as {DEMO_OFFICER} with the token {token}")
    print("the pipeline stays up: post articles, watch them arrive; Ctrl-C stops it", flush=True)
