"""`leadforge scan`: argument parsing for this area."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadforge.app import App
    from leadforge.cli import Subparsers


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "scan",
        parents=[common],
        help="scan the repository with semgrep, checkov and detect-secrets",
        description="Scan the whole tree (scheduled runs) or only the files changed since --base, and write SARIF "
        "for GitHub code scanning. A missing or failing scanner is reported as a note; the others still run.",
    )
    parser.add_argument("--changed-only", action="store_true", help="scan only files changed between --base and --head")
    parser.add_argument(
        "--base",
        metavar="REF",
        default=None,
        help="base of the change for --changed-only (default: origin/<default_branch>, else <default_branch>)",
    )
    parser.add_argument("--head", metavar="REF", default="HEAD", help="head of the change (default: HEAD)")
    parser.add_argument("--sarif", metavar="FILE", default=None, help="write the findings as SARIF 2.1.0 to FILE")
    parser.add_argument(
        "--tool",
        dest="tools",
        action="append",
        choices=("semgrep", "checkov", "secrets"),
        help="run only this scanner (repeatable; default: all enabled in config)",
    )
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning", "note", "never"),
        default="never",
        help="exit 1 when a finding of this severity or worse is found (default: never)",
    )
    parser.set_defaults(handler=_scan)


def _scan(app: App, **options: Any) -> int:
    from leadforge.scan.command import scan_command

    return scan_command(app, **options)
