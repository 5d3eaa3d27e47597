"""`leadforge visual`: argument parsing for this area (the work is in ``leadforge.visual.commands``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from leadforge.cli import area_parser

if TYPE_CHECKING:
    from leadforge.app import App
    from leadforge.cli import Subparsers


def _ratio(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is outside 0..1")
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be 1 or more")
    return value


def _colour(text: str) -> tuple[int, int, int]:
    parts = text.split(",")
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 3 or not all(0 <= v <= 255 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r} must be R,G,B with each 0..255")
    return values


# every verb reads or writes PNGs (numpy + Pillow); capture also drives Chromium (Playwright)
_MODULES = {"capture": ("playwright", "numpy", "PIL")}


def _handler(name: str) -> Callable[..., int]:
    def run(app: App, **options: Any) -> int:
        from leadforge.extras import need

        need(f"leadforge visual {name}", *_MODULES.get(name, ("numpy", "PIL")))
        from leadforge.visual import commands

        return int(getattr(commands, name)(app, **options))

    run.__name__ = name
    return run


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    _parser, verbs = area_parser(sub, common, "visual", "visual regression: capture, diff, compare, approve")

    diff = verbs.add_parser(
        "diff",
        parents=[common],
        help="compare two PNGs pixel by pixel (pixelmatch 7.2.0, exact)",
        description="Compare two PNGs pixel by pixel with the same result as pixelmatch 7.2.0. Prints the "
        "mismatch count, total pixels and ratio. Images of different sizes are compared on the padded union "
        "(both anchored top-left); the area outside their overlap counts as changed.",
    )
    diff.add_argument("image1", metavar="A.png", help="the before image")
    diff.add_argument("image2", metavar="B.png", help="the after image")
    diff.add_argument("--out", metavar="DIFF.png", help="write the diff image here")
    diff.add_argument("--threshold", type=_ratio, default=0.1, help="per-pixel colour threshold 0..1 (default 0.1)")
    diff.add_argument("--include-aa", action="store_true", help="count anti-aliased pixels as differences")
    diff.add_argument("--alpha", type=_ratio, default=0.1, help="opacity of the faded original in the diff image (default 0.1)")
    diff.add_argument("--diff-mask", action="store_true", help="draw only the differences, over a transparent background")
    diff.add_argument("--diff-color", type=_colour, default=(255, 0, 0), metavar="R,G,B", help="colour of differences")
    diff.add_argument("--diff-color-alt", type=_colour, default=None, metavar="R,G,B", help="colour where B is darker")
    diff.add_argument("--aa-color", type=_colour, default=(255, 255, 0), metavar="R,G,B", help="colour of anti-aliased pixels")
    diff.set_defaults(handler=_handler("diff"))

    capture = verbs.add_parser(
        "capture",
        parents=[common],
        help="screenshot the configured pages with Playwright + Chromium",
        description="Start or serve the app (visual.app), screenshot every page at every viewport and write "
        "<page>-<viewport>.png files. A failed run writes nothing to --out.",
    )
    target = capture.add_mutually_exclusive_group()
    target.add_argument("--out", metavar="DIR", help="folder for the screenshots")
    target.add_argument("--baseline", action="store_true", help="write to the baseline folder (visual.baseline_dir)")
    target.add_argument("--history", action="store_true", help="write to <visual.history_dir>/<YYYY-MM-DD>/")
    capture.add_argument("--page", action="append", default=None, metavar="NAME", help="only this page (repeatable)")
    capture.set_defaults(handler=_handler("capture"))

    compare = verbs.add_parser(
        "compare",
        parents=[common],
        help="compare a folder of screenshots with a baseline folder; write a report",
        description="Compare every <page>-<viewport>.png of --current with --baseline. Writes per screenshot a "
        "before | after | diff PNG, the diff image, report.json and an offline HTML report (index.html). Exits 1 "
        "when a screenshot changed more than its allowed ratio (visual.max_ratio / pages[].max_ratio).",
    )
    compare.add_argument("--baseline", required=True, metavar="DIR", help="the accepted screenshots")
    compare.add_argument("--current", required=True, metavar="DIR", help="the new screenshots")
    compare.add_argument("--out", required=True, metavar="DIR", help="report folder")
    compare.add_argument("--threshold", type=_ratio, default=None, help="per-pixel colour threshold (default visual.threshold)")
    compare.add_argument("--max-ratio", type=_ratio, default=None, help="allowed mismatch ratio for every page")
    compare.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=None,
        metavar="N",
        help="screenshots compared at once, each in its own process (default: one per CPU; 1: no worker processes)",
    )
    compare.set_defaults(handler=_handler("compare"))

    pr = verbs.add_parser(
        "pr",
        parents=[common],
        help="pull request: compare, publish images to the assets branch, upsert the PR comment",
        description="Compare --current with the baseline, push the report images to the assets branch "
        "(visual.assets_branch, never the PR branch), and create or update one PR comment with a table and "
        "before/after/diff images. The verdict is the leadforge/visual commit status (and the step output "
        "`passed`): the command exits 0 once they are posted, even when a page exceeds its allowed ratio.",
    )
    pr.add_argument("--current", required=True, metavar="DIR", help="screenshots of the PR head")
    pr.add_argument("--baseline", metavar="DIR", default=None, help="default: visual.baseline_dir")
    pr.add_argument("--out", metavar="DIR", default="visual-report", help="report folder (default visual-report)")
    pr.add_argument("--pr", type=int, default=None, metavar="N", help="pull request number (default: from the event)")
    pr.add_argument("--remote", default="origin", help="git remote for the assets branch (default origin)")
    pr.add_argument("--no-push", action="store_true", help="do not push images; the comment links the run artifact")
    pr.set_defaults(handler=_handler("pr"))

    approve = verbs.add_parser(
        "approve",
        parents=[common],
        help="accept the PR's screenshots as the new baseline (comment or label; writers only)",
        description="On `/leadforge approve-visual` (visual.approve_command) or the label visual.approve_label: "
        "when the sender has write permission, commit the PR's new screenshots (from the assets branch, where "
        "`visual pr` put them) as the baseline on top of the PR head, push it to the PR branch (--push), record "
        "the approval and mark the check green. Others get a reply and nothing changes. With --current DIR: "
        "copy DIR into the baseline and commit on the checked-out branch.",
    )
    approve.add_argument(
        "--current",
        metavar="DIR",
        default=None,
        help="developer mode: copy these screenshots into the baseline and commit on the current branch",
    )
    approve.add_argument("--push", action="store_true", help="push the commit to the PR branch")
    approve.add_argument("--remote", default="origin", help="git remote (default origin)")
    approve.set_defaults(handler=_handler("approve"))

    release = verbs.add_parser(
        "release",
        parents=[common],
        help="store the release's screenshots in screenshots/releases/<tag>/ and list what changed",
        description="Copy the screenshots (--from, default the baseline) to <visual.releases_dir>/<tag>/ with the "
        "diffs against the previous release, and print the changes (the release notes and VISUAL_CHANGELOG.md "
        "are rendered from them by `leadforge release`).",
    )
    release.add_argument("--tag", required=True, help="the release tag, e.g. v1.4.0")
    release.add_argument("--from", dest="source", metavar="DIR", default=None, help="screenshots to store (default baseline)")
    release.add_argument(
        "--previous", default=None, metavar="TAG", help="the release to compare with (default: the latest stored)"
    )
    release.add_argument("--commit", action="store_true", help="commit the stored screenshots")
    release.set_defaults(handler=_handler("release"))
