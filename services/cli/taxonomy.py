"""``watchfloor taxonomy check FILE``: validate a taxonomy file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from watchfloor.services.classifier.taxonomy import (
    DEFAULT_TAXONOMY_PATH,
    TaxonomyError,
    TaxonomyErrors,
    borrowed_version,
    load_taxonomy,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "taxonomy",
        help="work with the classifier's tag taxonomy (check a file)",
        description="Tools for the tag taxonomy YAML that drives the classifier.",
    )
    actions = parser.add_subparsers(dest="taxonomy_command", metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="validate a taxonomy file",
        description=(
            "Validate a taxonomy YAML file. Prints OK with the version and the number of "
            "tags, rules and terms, or every error as FILE:LINE: problem (exit code 1). "
            "Warnings (exit code still 0) name likely mistakes: a wildcard stem that keeps "
            "a final e and misses the -ing form, or one that also matches common English "
            "words outside its family ('mig*': 'migrants'; 'f 15*': 'F-150')."
        ),
    )
    check.add_argument("file", type=Path, nargs="?", default=DEFAULT_TAXONOMY_PATH, help="taxonomy YAML (default: the packaged one)")
    check.set_defaults(func=run_check)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_check(args: argparse.Namespace) -> int:
    try:
        taxonomy = load_taxonomy(args.file)
    except TaxonomyErrors as exc:
        for error in exc.errors:
            print(str(error), file=sys.stderr)
        print(f"{len(exc.errors)} errors", file=sys.stderr)
        return 1
    except TaxonomyError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    for warning in taxonomy.warnings():
        print(f"warning: {args.file}: {warning}", file=sys.stderr)
    borrowed = borrowed_version(taxonomy)
    if borrowed:
        print(f"warning: {args.file}: {borrowed}", file=sys.stderr)
    try:
        wildcards = taxonomy.wildcard_warnings()
    except ImportError as exc:  # the English word list comes from wordfreq
        print(f"warning: wildcard stems not checked ({exc})", file=sys.stderr)
        wildcards = []
    for warning in wildcards:
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"OK {args.file}: version {taxonomy.version}, {len(taxonomy.tags)} tags, "
        f"{taxonomy.rule_count} rules, {taxonomy.term_count()} terms"
    )
    return 0
