"""`leadforge review`: argument parsing for this area."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadforge.app import App
    from leadforge.cli import Subparsers


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    help_text = "review a pull request (or any git range) and post one review"
    parser = sub.add_parser(
        "review",
        parents=[common],
        help=help_text,
        description="Review a change with the written criteria, architecture rules, changed-lines coverage, semgrep, "
        "checkov and detect-secrets, and keep ONE review on the pull request current (inline comments on the diff, "
        "the rest in the summary). On a pull_request event the PR comes from the event; --pr N reviews a PR through "
        "the forge; --base/--head reviews any git range locally (nothing is posted).",
    )
    parser.add_argument("--base", metavar="REF", default=None, help="review base...head (default base: origin/<default_branch>)")
    parser.add_argument("--head", metavar="REF", default=None, help="head of the range (default: HEAD)")
    parser.add_argument("--pr", type=int, metavar="N", default=None, help="review pull request N through the forge")
    parser.add_argument(
        "--post",
        choices=("auto", "always", "never"),
        default="auto",
        help="post the review (auto: when reviewing a PR and the token may write; forks fall back to annotations)",
    )
    parser.add_argument(
        "--artifact",
        metavar="FILE",
        default=None,
        help="also write the computed review as JSON for `leadforge review post` (fork-safe posting)",
    )
    parser.add_argument(
        "--coverage",
        metavar="FILE",
        default=None,
        help="Cobertura coverage.xml, relative to the repository (default: review.coverage.report)",
    )
    parser.add_argument(
        "--sarif",
        metavar="FILE",
        action="append",
        default=None,
        help="merge another tool's SARIF findings (repeatable; relative to the repository)",
    )
    parser.add_argument(
        "--filter-mode",
        choices=("added", "diff_context", "file", "nofilter"),
        default=None,
        help="which findings count as the PR's own (default: review.filter_mode)",
    )
    parser.add_argument("--fail-on-blocking", action="store_true", help="exit 1 when the verdict is REQUEST_CHANGES")
    parser.set_defaults(handler=_review, area_parser=parser)
    verbs = parser.add_subparsers(dest="review_verb", metavar="<verb>")
    post = verbs.add_parser(
        "post",
        parents=[common],
        help="post a review artifact (workflow_run half of the fork-safe pattern)",
        description="Validate a review artifact made by `leadforge review --artifact` (it is untrusted: "
        "a fork's run made it), check it matches the triggering run and the PR's head, and post it.",
    )
    post.add_argument("artifact", metavar="ARTIFACT", help="the review JSON")
    post.set_defaults(handler=_post)


def _review(app: App, **options: Any) -> int:
    from leadforge.review.command import review_command

    return review_command(app, **options)


def _post(app: App, **options: Any) -> int:
    from leadforge.review.command import post_command

    options = {k: v for k, v in options.items() if k == "artifact"}
    return post_command(app, **options)
