"""`leadforge release`: argument parsing for this area (the work is in ``release.commands``)."""

from __future__ import annotations

import argparse
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from leadforge.cli import area_parser

if TYPE_CHECKING:
    from leadforge.app import App
    from leadforge.cli import Subparsers


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    _parser, verbs = area_parser(sub, common, "release", "release notes from conventional commits, next version, publish")

    def range_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--to", metavar="REF", default=None, help="end of the range: a tag, branch or commit (default: HEAD, or --tag)"
        )
        p.add_argument(
            "--from",
            dest="from_",
            metavar="REF",
            default=None,
            help="start of the range, excluded (default: the previous semver tag reachable from --to; none: whole history)",
        )

    notes = verbs.add_parser(
        "notes",
        parents=[common],
        help="render the release notes (Markdown) for a range",
        description="Render release notes for --from..--to with the sandboxed Jinja2 template "
        "(.github/leadforge/release-notes.md.j2 when present, else the built-in one). "
        "--json prints the template context instead.",
    )
    range_options(notes)
    notes.add_argument("--tag", metavar="TAG", default=None, help="the release tag (same as --to TAG)")
    notes.add_argument("--template", metavar="PATH", default=None, help="template file to render instead of the configured one")
    notes.add_argument(
        "--version", dest="label", metavar="LABEL", default=None, help="version label for an untagged range (default: Unreleased)"
    )
    notes.add_argument("--output", metavar="FILE", default=None, help="write the notes to FILE instead of stdout")
    notes.set_defaults(handler=_notes)

    nxt = verbs.add_parser(
        "next-version",
        parents=[common],
        help="the semver version the commits since the last release imply",
        description="Breaking -> major, feat -> minor, fix/perf -> patch (0.x rules: release.zero_breaking_bump, "
        "release.zero_minor_bump). Prints only the next tag on stdout (TAG=$(leadforge release next-version)) and why on "
        "stderr; when no release is needed, stdout stays empty and the exit status is 4 (1 is an error). --json always "
        'exits 0 and says it with "next": null.',
    )
    range_options(nxt)
    nxt.set_defaults(handler=_next_version)

    changelog = verbs.add_parser(
        "changelog",
        parents=[common],
        help="write the release's CHANGELOG.md and VISUAL_CHANGELOG.md entries",
        description="Insert (or replace, on re-runs) the entry for --tag in CHANGELOG.md and, when the release has "
        "visual changes, VISUAL_CHANGELOG.md. --commit commits them (and pushes to the changelog branch when a remote exists).",
    )
    changelog.add_argument("--tag", metavar="TAG", required=True, help="the release tag")
    changelog.add_argument(
        "--from", dest="from_", metavar="REF", default=None, help="start of the range (default: previous semver tag)"
    )
    changelog.add_argument("--commit", action="store_true", help="commit the updated files (push when a remote exists)")
    changelog.set_defaults(handler=_changelog)

    publish = verbs.add_parser(
        "publish",
        parents=[common],
        help="create or update the forge release for a tag (notes, screenshots, summary)",
        description="Render the notes for --tag, then create or edit the release by tag (a re-run edits, never "
        "duplicates), upload the visual-change screenshots as assets (replacing same-named ones), mark "
        "pre-releases, and write the job summary. --changelog also commits the changelog entries. --asset attaches "
        "more files (a folder: every file in it), replacing same-named assets.",
    )
    publish.add_argument("--tag", metavar="TAG", required=True, help="the release tag (vX.Y.Z)")
    publish.add_argument(
        "--from", dest="from_", metavar="REF", default=None, help="start of the range (default: previous semver tag)"
    )
    publish.add_argument("--template", metavar="PATH", default=None, help="notes template file (default: configured/built-in)")
    publish.add_argument("--changelog", action="store_true", help="also write and commit CHANGELOG.md / VISUAL_CHANGELOG.md")
    publish.add_argument(
        "--asset",
        dest="assets",
        metavar="PATH",
        action="append",
        default=[],
        help="also attach this file, or every file in this folder (repeatable; e.g. wheels, SBOMs)",
    )
    publish.set_defaults(handler=_publish)


@contextmanager
def no_gc() -> Iterator[None]:
    """No cyclic garbage collection for a short run: importing the release code and reading a range
    allocate much and free little, so the collector's passes are pure cost (a tenth of ``release
    notes`` on a small range; a third of reading a 50,000-commit one). Re-enabled after, for callers
    that run several commands in one process (the tests)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run(verb: str, app: App, options: dict[str, Any]) -> int:
    with no_gc():
        from leadforge.release import commands

        handler: Callable[..., int] = getattr(commands, verb)
        return handler(app, **options)


def _notes(app: App, **options: Any) -> int:
    return _run("notes", app, options)


def _next_version(app: App, **options: Any) -> int:
    return _run("next_version", app, options)


def _changelog(app: App, **options: Any) -> int:
    from leadforge.release.commands import changelog

    return changelog(app, **options)


def _publish(app: App, **options: Any) -> int:
    from leadforge.release.commands import publish

    return publish(app, **options)
