"""`leadforge metrics` and `leadforge metrics report`: gather, compute, print or publish.

``collect`` is the one path from a repository to a report dict; the weekly
report is a ``ReportPlan`` (files to write, the comment to upsert, the summary)
decided first and applied second, so ``--dry-run`` prints it and changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadforge.errors import ForgeError, InputError, LeadforgeError
from leadforge.metrics.compute import Period, Sample, Weights, compute
from leadforge.metrics.period import make_period, week_period
from leadforge.metrics.render import report_markdown, table_markdown, terminal_table, to_csv
from leadforge.tasks.taskfile import Task

if TYPE_CHECKING:
    from leadforge.app import App


def _now(app: App) -> datetime:
    """``LEADFORGE_NOW`` pins "now" (tests, reproducible re-runs); else the clock."""
    from leadforge.metrics.period import pinned_now

    return pinned_now(app.env) or datetime.now(UTC)


def _forge_pulls(app: App, numbers: list[int], limit: int) -> tuple[dict[int, Any], str]:
    from leadforge.metrics.source import fetch_pulls

    if not numbers or limit == 0:
        return {}, ""
    try:
        forge = app.forge
    except (LeadforgeError, ImportError) as err:
        return {}, f"forge not read: {err}"
    root = getattr(forge, "root", None)
    if root is not None and not (Path(root) / "state.json").exists():
        # nothing to ask (and reading would create its folder): the same answer as asking
        return {}, f"0 pull requests read from the forge, {len(set(numbers[:limit]))} not found"
    try:
        return fetch_pulls(forge, numbers, limit)
    except ForgeError as err:
        return {}, f"forge not read: {err}"


@dataclass(frozen=True, slots=True)
class Collected:
    """A report (the ``--json`` dict), the tasks it was computed from and its per-task duration samples."""

    report: dict[str, Any]
    tasks: tuple[Task, ...]
    samples: tuple[Sample, ...] = ()
    problems: tuple[tuple[str, str], ...] = ()  # unreadable task files: (path, message)


def collect(app: App, period: Period, *, forge: bool | None = None) -> dict[str, Any]:
    """The report for ``period`` as a dict (the `--json` shape)."""
    return collect_all(app, period, forge=forge).report


def collect_with_tasks(app: App, period: Period, *, forge: bool | None = None) -> tuple[dict[str, Any], list[Task]]:
    """The report and the tasks it was computed from (the dashboard draws both)."""
    collected = collect_all(app, period, forge=forge)
    return collected.report, list(collected.tasks)


def collect_all(app: App, period: Period, *, forge: bool | None = None) -> Collected:
    """The one path from a repository to a report: `metrics`, `dashboard build` and `serve` all come here."""
    from leadforge.metrics.compute import timeline
    from leadforge.metrics.source import gather, people_from

    config = app.config
    settings = config.metrics
    inputs = gather(app.repo, ref=settings.ref, default_branch=config.default_branch)
    people, profiles_note = people_from(app.repo, settings.humans, settings.aliases)
    pulls: dict[int, Any] = {}
    forge_note = ""
    if settings.forge if forge is None else forge:
        wanted = []
        for task in inputs.tasks:
            if task.state == "completed" and task.pr is not None:
                done = timeline(task, people).completed_at
                if done is None or period.contains(done):
                    wanted.append(task.pr)
        pulls, forge_note = _forge_pulls(app, sorted(wanted, reverse=True), settings.max_forge_pulls)
    weights = Weights(settings.keystrokes_per_line, settings.keystrokes_per_removed_line, settings.untracked_commits)
    computed = compute(
        inputs.tasks, period=period, people=people, git=inputs.git, pulls=pulls, problems=inputs.problems, weights=weights
    )
    report = computed.to_dict()
    report["sources"]["git"] = inputs.git_note
    report["sources"]["forge"] = forge_note
    report["sources"]["profiles"] = profiles_note
    return Collected(report, tuple(inputs.tasks), computed.samples, tuple(inputs.problems))


def run_metrics(app: App, since: str | None, until: str | None, week: str | None, csv: bool) -> int:
    if csv and app.json:
        raise InputError("--json and --csv cannot be used together: pick one output format")
    period = make_period(since, until, week, _now(app))
    report = collect(app, period)
    if csv:
        app.out.stdout.write(to_csv(report))
        app.out.stdout.flush()
        return 0
    app.out.result(report, terminal_table(report))
    return 0


# ---- the weekly report ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportPlan:
    week: str
    json_path: str  # relative to the repo
    markdown_path: str
    json_text: str
    markdown: str
    summary: str
    comment_key: str
    issue: int | None  # None: find or create the labelled issue
    label: str
    post: bool
    commit: bool

    def describe(self) -> list[str]:
        lines = [f"write {self.json_path}", f"write {self.markdown_path}", "append the table to the job summary"]
        if self.commit:
            lines.append(f"commit the report ('docs(metrics): weekly report {self.week}') and push")
        if self.post:
            where = f"issue #{self.issue}" if self.issue else f"the open issue labelled {self.label!r} (created if missing)"
            lines.append(f"upsert the comment marked {self.comment_key} on {where}")
        return lines


def plan_report(
    report: dict[str, Any], *, week: str, reports_dir: str, issue: int | None, label: str, post: bool, commit: bool
) -> ReportPlan:
    """Pure: everything the weekly report will write and post."""
    folder = reports_dir.strip("/") or "."
    markdown = report_markdown(report, title="Agent metrics")
    summary = f"## Agent metrics: {report['period']['label']}\n\n{table_markdown(report)}"
    return ReportPlan(
        week=week,
        json_path=f"{folder}/{week}.json",
        markdown_path=f"{folder}/{week}.md",
        json_text=json.dumps(report, indent=2, sort_keys=False) + "\n",
        markdown=markdown,
        summary=summary,
        comment_key=f"metrics:{week}",
        issue=issue,
        label=label,
        post=post,
        commit=commit,
    )


REPORT_ISSUE_TITLE = "LeadForge agent metrics"


def _report_issue(app: App, plan: ReportPlan) -> int:
    forge = app.forge
    if plan.issue:
        return plan.issue
    found = forge.list_issues(state="open", labels=[plan.label])
    found = [i for i in found if not i.is_pull_request]
    if found:
        return min(i.number for i in found)
    body = "Weekly per-agent metrics from the task queue; one comment per week, edited in place on re-runs."
    return forge.create_issue(REPORT_ISSUE_TITLE, body, labels=[plan.label]).number


def apply_report(app: App, plan: ReportPlan) -> dict[str, Any]:
    from leadforge.forge.base import upsert_issue_comment
    from leadforge.fsutil import atomic_write

    def write() -> str | None:
        atomic_write(app.repo / plan.json_path, plan.json_text)
        atomic_write(app.repo / plan.markdown_path, plan.markdown)
        if not plan.commit:
            return None
        app.git.add([plan.json_path, plan.markdown_path])
        return f"docs(metrics): weekly report {plan.week}"

    result: dict[str, Any] = {"files": [plan.json_path, plan.markdown_path]}
    if plan.commit:
        ref = app.context.ref
        branch = app.git.current_branch() or (app.context.ref_name if ref.startswith("refs/heads/") else "")
        result["commit"] = app.git.transact(write, branch=branch or app.config.default_branch)
    else:
        write()
    app.actions.summary(plan.summary)
    if plan.post:
        number = _report_issue(app, plan)
        comment, what = upsert_issue_comment(app.forge, number, plan.comment_key, plan.markdown)
        result["comment"] = {"issue": number, "id": comment.id, "action": what, "url": comment.url}
    return result


def run_report(
    app: App, week: str | None, since: str | None, until: str | None, out: str | None, post: bool, commit: bool
) -> int:
    settings = app.config.metrics
    now = _now(app)
    if since or until:
        if week:
            raise InputError("--week cannot be combined with --since/--until")
        period = make_period(since, until, None, now)
        name = period.label.replace(" ", "_")
    else:
        period = week_period(week or "last", now)
        name = period.label
    report = collect(app, period)
    plan = plan_report(
        report,
        week=name,
        reports_dir=out or settings.reports_dir,
        issue=settings.report_issue,
        label=settings.report_label,
        post=post,
        commit=commit,
    )
    if app.dry_run:
        for line in plan.describe():
            app.out.would(line)
        app.out.result({"plan": plan.describe(), "report": report}, plan.markdown)
        return 0
    result = apply_report(app, plan)
    app.out.result(
        {"report": report, **result},
        f"wrote {plan.json_path} and {plan.markdown_path}"
        + (f"; comment {result['comment']['action']} on #{result['comment']['issue']}" if "comment" in result else ""),
    )
    return 0
