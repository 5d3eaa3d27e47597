"""Command handlers for dispatch, list, show, heartbeat and index: parse nothing, print results."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadforge.errors import InputError
from leadforge.tasks.service import (
    dispatch_human,
    dispatch_summary,
    find_task,
    report_errors,
    run_dispatch,
    run_heartbeat,
    task_detail,
    task_summary,
)
from leadforge.tasks.store import load_queue, write_index

if TYPE_CHECKING:
    from leadforge.app import App


def dispatch_command(app: App) -> int:
    outcome = run_dispatch(app)
    report_errors(app, outcome.queue.errors)
    plan = outcome.plan
    app.out.result(plan.to_dict(), dispatch_human(plan))
    if not app.dry_run:
        app.actions.summary(dispatch_summary(plan))
        app.actions.set_output("assigned", str(len(plan.assigned)))
        if outcome.commit:
            app.out.info(f"queue commit {outcome.commit[:12]}")
    for failure in outcome.failures:
        app.out.info(f"leadforge: error: {failure}")
    return 1 if outcome.failures else 0


def list_command(app: App, states: list[str] | None, agent: str | None) -> int:
    queue = load_queue(app.repo)
    report_errors(app, queue.errors)
    order = {"in-progress": 0, "pending": 1, "completed": 2}
    tasks = sorted(queue.tasks, key=lambda t: (order[t.state], t.priority, t.created, t.id))
    if states:
        tasks = [t for t in tasks if t.state in states]
    if agent:
        tasks = [t for t in tasks if agent in (t.assigned_to, t.agent)]
    lines = [f"{'STATE':<12} {'ID':<16} {'PRI':<3} {'AGENT':<10} TITLE"]
    for t in tasks:
        lines.append(f"{t.state:<12} {t.id:<16} {t.priority:<3} {(t.assigned_to or t.agent):<10} {t.title}")
    lines.append(f"{len(tasks)} task(s)")
    app.out.result({"tasks": [task_summary(t) for t in tasks], "errors": [e.to_dict() for e in queue.errors]}, "\n".join(lines))
    return 0


def show_command(app: App, task_id: str) -> int:
    task = find_task(app.repo, task_id)
    data = task_detail(task)
    lines = [f"{task.id} [{task.state}] {task.priority} {task.type}: {task.title}"]
    for key in ("issue", "agent", "assigned_to", "assigned_at", "branch", "pr", "heartbeat_at", "completed_at", "blocked_reason"):
        if data.get(key) not in (None, ""):
            lines.append(f"  {key}: {data[key]}")
    for key in ("depends_on", "scope", "acceptance"):
        if data.get(key):
            lines.append(f"  {key}: " + "; ".join(str(v) for v in data[key]))
    lines.append(f"  file: {data['path']}")
    if task.history:
        lines.append("  history:")
        for entry in task.history:
            lines.append(f"    {entry.at} {entry.event} by {entry.by or '-'}{': ' + entry.note if entry.note else ''}")
    app.out.result(data, "\n".join(lines))
    return 0


def heartbeat_command(app: App, task_id: str, note: str, by: str) -> int:
    key = task_id.strip().lstrip("#")
    task = run_heartbeat(app, f"task-{key}" if key.isdigit() else key, note, by)
    verb = "would be recorded" if app.dry_run else "recorded"
    app.out.result({"task": task.id, "heartbeat_at": task.heartbeat_at}, f"heartbeat {verb} on {task.id} at {task.heartbeat_at}")
    return 0


def index_command(app: App) -> int:
    queue = load_queue(app.repo)
    report_errors(app, queue.errors)
    if app.dry_run:
        from leadforge.tasks.store import INDEX_NAME, queue_root, render_index

        path = queue_root(app.repo) / INDEX_NAME
        try:
            changed = path.read_text(encoding="utf-8") != render_index(queue.tasks, queue.errors)
        except FileNotFoundError:
            changed = True
        if changed:
            app.out.would("rewrite docs/TASKS/queue/README.md")
        app.out.result(
            {"changed": changed, "tasks": len(queue.tasks)},
            f"queue index {'would be rewritten' if changed else 'unchanged'} ({len(queue.tasks)} tasks)",
        )
        return 0
    changed = bool(write_index(app.repo, queue))
    app.out.result(
        {"changed": changed, "tasks": len(queue.tasks)},
        f"queue index {'rewritten' if changed else 'unchanged'} ({len(queue.tasks)} tasks)",
    )
    return 0


def forecast_command(app: App, agents: str) -> int:
    from leadforge.tasks.forecast import forecast_table, parse_capacities, simulate
    from leadforge.tasks.profiles import load_profiles
    from leadforge.tasks.service import current_time, options

    opts = options(app)
    capacities = parse_capacities(agents)
    profiles = load_profiles(app.repo, opts.profiles_dir)
    unknown = sorted(set(capacities) - {p.name for p in profiles})
    if unknown:
        raise InputError(f"--agents: no profile named {unknown[0]!r} in {opts.profiles_dir}/")
    queue = load_queue(app.repo)
    report_errors(app, queue.errors)
    forecast = simulate(
        queue.tasks, profiles, now=current_time(app), default_estimate=opts.default_estimate_hours, capacities=capacities
    )
    app.out.result(forecast.to_dict(), forecast_table(forecast, {t.id: t.title for t in queue.tasks}))
    return 0
