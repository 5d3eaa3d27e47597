"""`leadforge metrics` and `leadforge dashboard`: argument parsing for this area."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadforge.app import App
    from leadforge.cli import Subparsers


def _period_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="DATE", help="start of the period (YYYY-MM-DD or ISO time, inclusive)")
    parser.add_argument("--until", metavar="DATE", help="end of the period (YYYY-MM-DD: that whole day is included)")
    parser.add_argument("--week", metavar="YYYY-Www", help="an ISO week instead of --since/--until ('last', 'current')")


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    description = (
        "Per-agent metrics from the task history, git and the forge: tasks assigned/completed/re-queued/failed, "
        "lead and cycle time, review rounds, scope violations, reverts, lines, hours and keystrokes saved. "
        "Without a period: all time."
    )
    metrics = sub.add_parser("metrics", parents=[common], help="per-agent metrics from the task history", description=description)
    metrics.set_defaults(area_parser=metrics, handler=_metrics)
    _period_options(metrics)
    metrics.add_argument("--csv", action="store_true", help="CSV on stdout (one row per agent, then the total)")
    verbs = metrics.add_subparsers(dest="metrics_verb", metavar="[report]")
    report = verbs.add_parser(
        "report",
        parents=[common],
        help="write the weekly report (JSON + Markdown), upsert its issue comment, fill the job summary",
        description="Compute the metrics of one week (default: the last complete ISO week), write "
        "<reports_dir>/<YYYY>-W<WW>.json and .md, add the table to the job summary, and with --post upsert "
        "one comment per week on the metrics issue.",
    )
    _period_options(report)
    report.add_argument("--out", metavar="DIR", help="reports folder (default: metrics.reports_dir)")
    report.add_argument("--post", action="store_true", help="upsert the week's comment on the metrics issue")
    report.add_argument("--commit", action="store_true", help="commit the report files and push (retrying on a moved remote)")
    report.set_defaults(handler=_report)

    dashboard = sub.add_parser(
        "dashboard",
        parents=[common],
        help="the static dashboard: queue board, agent metrics, visual changes",
        description="Build the static dashboard site (works from file:// and GitHub Pages).",
    )
    dashboard.set_defaults(area_parser=dashboard)
    dverbs = dashboard.add_subparsers(dest="dashboard_verb", metavar="<verb>")
    build = dverbs.add_parser(
        "build",
        parents=[common],
        help="build the site into --out",
        description="Render the queue board, per-agent metrics with inline SVG charts, the newest VISUAL_CHANGELOG.md "
        "entry and links to issues/PRs into a static folder: no server, no CDN.",
    )
    build.add_argument(
        "--out", metavar="DIR", default="site", help="output folder (default: ./site, relative to the current directory)"
    )
    _period_options(build)
    build.add_argument(
        "--sample",
        action="store_true",
        help="render fixed sample data instead of this repository (a stable page for visual regression)",
    )
    build.set_defaults(handler=_dashboard_build)


def _metrics(app: App, since: str | None = None, until: str | None = None, week: str | None = None, csv: bool = False) -> int:
    from leadforge.metrics.commands import run_metrics

    return run_metrics(app, since, until, week, csv)


def _report(
    app: App, since: str | None, until: str | None, week: str | None, out: str | None, post: bool, commit: bool, csv: bool = False
) -> int:
    from leadforge.metrics.commands import run_report

    return run_report(app, week, since, until, out, post, commit)


def _dashboard_build(app: App, out: str, since: str | None, until: str | None, week: str | None, sample: bool) -> int:
    from leadforge.metrics.dashboard import run_build

    return run_build(app, out, since, until, week, sample)
