"""``leadforge task sweep`` (scheduled): nudge, then re-queue, in-progress tasks that went silent.

``decide_sweep`` is pure: for each in-progress task, the last sign of life is the newest of its
``assigned_at``, ``heartbeat_at``, the last commit on its branch and its pull request's last update.
Silent for ``stale_after_hours`` and not yet warned since: warn (a comment and a ``stale-warning``
history entry). Warned, and silent ``requeue_after_hours`` after the warning: back to pending/ (fields
cleared, history kept). It also reports blocked chains (tasks blocked by a cycle, an unknown dependency,
or a blocked task), reusing the dispatch decision.

Two more duties, both pure here and applied in the same queue commit:

* **Per-task budget**: an in-progress task whose reported cost (``cost.usd``) passed its per-task cap (the holder's
  ``budget.usd_per_task``, else ``tasks.budget.usd_per_task``) is stopped: back to pending/ with ``agent:`` set to
  ``tasks.over_budget_agent`` (a person, by default), the reason in its history and on its issue.
* **Recurring tasks**: templates under ``tasks.recurring_dir`` that are due get their instance (``recurring.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from leadforge.errors import LeadforgeError
from leadforge.tasks.dispatch import decide
from leadforge.tasks.options import TaskOptions
from leadforge.tasks.profiles import Profile
from leadforge.tasks.recurring import due_instances, load_templates
from leadforge.tasks.service import BOT, current_time, options, report_errors, transact_queue
from leadforge.tasks.store import Queue, load_queue, move_task, write_index, write_task
from leadforge.tasks.taskfile import Task, parse_timestamp

if TYPE_CHECKING:
    from leadforge.app import App


@dataclass(frozen=True, slots=True)
class SweepAction:
    task: str
    action: str  # warn | requeue
    silent_hours: float
    last_activity: str


@dataclass(frozen=True, slots=True)
class SweepPlan:
    actions: tuple[SweepAction, ...] = ()
    blocked: tuple[tuple[str, str], ...] = ()
    stopped: tuple[tuple[str, str], ...] = ()  # (task, reason): over its per-task budget, re-queued to a person
    instances: tuple[Task, ...] = ()  # recurring instances to queue
    template_errors: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "warned": [a.task for a in self.actions if a.action == "warn"],
            "requeued": [a.task for a in self.actions if a.action == "requeue"],
            "actions": [
                {"task": a.task, "action": a.action, "silent_hours": a.silent_hours, "last_activity": a.last_activity}
                for a in self.actions
            ],
            "blocked": [{"task": t, "reason": r} for t, r in self.blocked],
            "stopped": [{"task": t, "reason": r} for t, r in self.stopped],
            "instantiated": [{"task": t.id, "template": t.from_template, "period": t.created} for t in self.instances],
            "template_errors": [{"file": f, "error": e} for f, e in self.template_errors],
        }

    @property
    def changes_queue(self) -> bool:
        return bool(self.actions or self.stopped or self.instances)


def over_cap(tasks: Sequence[Task], profiles: Mapping[str, Profile], opts: TaskOptions) -> list[tuple[str, str]]:
    """In-progress tasks whose reported cost passed their per-task budget, with the reason (pure)."""
    stopped = []
    for task in sorted((t for t in tasks if t.state == "in-progress" and t.cost is not None), key=lambda t: t.id):
        holder = profiles.get(task.assigned_to or "")
        if task.assigned_to == opts.over_budget_agent or (holder is not None and holder.is_human):
            continue
        own = holder.budget.usd_per_task if holder is not None and holder.budget is not None else None
        cap, name = (
            (own, f"{task.assigned_to}.budget")
            if own is not None
            else (opts.budget.usd_per_task if opts.budget is not None else None, "tasks.budget")
        )
        if cap is None or task.cost is None or task.cost.usd <= cap:
            continue
        stopped.append(
            (
                task.id,
                (
                    f"cost {task.cost.usd:,.2f} USD passed {name}.usd_per_task {cap:,.2f} USD: "
                    f"stopped and re-queued to {opts.over_budget_agent}"
                ),
            )
        )
    return stopped


def last_activity(task: Task, extra: Sequence[str] = ()) -> datetime | None:
    stamps = [parse_timestamp(s) for s in (task.assigned_at, task.heartbeat_at, *extra)]
    found = [s for s in stamps if s is not None]
    return max(found) if found else None


def _last_warning(task: Task) -> datetime | None:
    for entry in reversed(task.history):
        if entry.event == "stale-warning":
            return parse_timestamp(entry.at)
        if entry.event in {"assigned", "requeued"}:
            return None
    return None


def decide_sweep(
    tasks: Sequence[Task],
    activity: Mapping[str, Sequence[str]],
    now: str,
    opts: TaskOptions,
    blocked: Sequence[tuple[str, str]] = (),
) -> SweepPlan:
    """``activity``: per task id, extra activity timestamps (branch commits, PR updates)."""
    clock = parse_timestamp(now)
    assert clock is not None
    stale = timedelta(hours=opts.stale_after_hours)
    grace = timedelta(hours=opts.requeue_after_hours)
    actions = []
    for task in sorted((t for t in tasks if t.state == "in-progress"), key=lambda t: t.id):
        last = last_activity(task, activity.get(task.id, ()))
        if last is None:
            continue
        silent = clock - last
        warned = _last_warning(task)
        hours = round(silent.total_seconds() / 3600, 1)
        stamp = last.isoformat().replace("+00:00", "Z")
        if warned is not None and warned >= last:
            if clock - warned >= grace:
                actions.append(SweepAction(task.id, "requeue", hours, stamp))
        elif silent >= stale:
            actions.append(SweepAction(task.id, "warn", hours, stamp))
    return SweepPlan(tuple(actions), tuple(blocked))


def _activity(app: App, tasks: Sequence[Task]) -> dict[str, list[str]]:
    """Commit dates on each task branch and its pull requests' last update (best effort)."""
    found: dict[str, list[str]] = {}
    git = app.git
    remote = git.remote_url("origin") is not None
    for task in tasks:
        if task.state != "in-progress" or not task.branch:
            continue
        stamps: list[str] = []
        for ref in ([f"refs/remotes/origin/{task.branch}"] if remote else []) + [f"refs/heads/{task.branch}"]:
            if git.ref_exists(ref):
                date = git.run("log", "-1", "--format=%cI", ref, check=False).stdout.strip()
                if date:
                    stamps.append(date)
                break
        try:
            for pull in app.forge.list_pulls(state="all", head=task.branch):
                if pull.updated_at:
                    stamps.append(pull.updated_at)
        except LeadforgeError:
            pass
        found[task.id] = stamps
    return found


def warning_comment(task: Task, action: SweepAction, opts: TaskOptions) -> str:
    return (
        f"**{task.id}** has had no activity for {action.silent_hours:g} hours (last: {action.last_activity}). "
        f"Push to `{task.branch}`, update the pull request, or run `leadforge task heartbeat {task.id}`; otherwise "
        f"it goes back to the queue in {opts.requeue_after_hours:g} hours."
    )


def _requeued(task: Task, now: str, note: str, **changes: Any) -> Task:
    """The task back in pending/, no longer held by anyone (a ``requeued`` history entry saying why)."""
    return task.with_event(
        "requeued",
        at=now,
        by=BOT,
        note=note,
        state="pending",
        assigned_to=None,
        assigned_at=None,
        branch=None,
        heartbeat_at=None,
        pr=None,
        **changes,
    )


def run_sweep(app: App, opts: TaskOptions | None = None) -> tuple[SweepPlan, Queue]:
    from leadforge.forge.base import upsert_issue_comment
    from leadforge.tasks.profiles import load_profiles

    opts = opts or options(app)
    queue = load_queue(app.repo)
    if app.git.remote_url("origin") is not None and not app.dry_run:
        app.git.run("fetch", "-q", "origin", check=False)
    activity = _activity(app, queue.tasks)
    now = current_time(app)
    profiles = {p.name: p for p in load_profiles(app.repo, opts.profiles_dir)}
    plan_blocked = decide(queue.tasks, list(profiles.values())).blocked
    plan = decide_sweep(queue.tasks, activity, now, opts, [(b.task, b.reason) for b in plan_blocked])
    templates, template_errors = load_templates(app.repo, opts.recurring_dir)
    plan = replace(
        plan,
        stopped=tuple(over_cap(queue.tasks, profiles, opts)),
        instances=tuple(due_instances(templates, queue.tasks, now)),
        template_errors=tuple(template_errors),
    )
    for _rel, message in template_errors:
        app.out.info(f"leadforge: warning: {message} (template skipped)")
    if app.dry_run or not plan.changes_queue:
        for action in plan.actions:
            app.out.would(f"{action.action} {action.task} (silent {action.silent_hours:g} h)")
        for task_id, reason in plan.stopped:
            app.out.would(f"stop {task_id}: {reason}")
        for instance in plan.instances:
            app.out.would(f"queue {instance.id} from recurring template {instance.from_template}")
        return plan, queue
    stopped = dict(plan.stopped)
    chosen = {a.task: a for a in plan.actions if a.task not in stopped}

    def apply() -> str | None:
        current = load_queue(app.repo)
        changed: list[str] = []
        tasks = {t.id: t for t in current.tasks}
        for task_id, action in chosen.items():
            task = tasks.get(task_id)
            if task is None or task.state != "in-progress":
                continue
            if action.action == "warn":
                new = task.with_event("stale-warning", at=now, by=BOT, note=f"silent {action.silent_hours:g} h")
                write_task(app.repo, new)
                changed.append(new.relpath().as_posix())
            else:
                new = _requeued(task, now, f"no activity from {task.assigned_to} for {action.silent_hours:g} h")
                changed += move_task(app.repo, task, new)
            tasks[new.id] = new
        for task_id, reason in stopped.items():
            task = tasks.get(task_id)
            if task is None or task.state != "in-progress":
                continue
            new = _requeued(task, now, reason, agent=opts.over_budget_agent)
            changed += move_task(app.repo, task, new)
            tasks[new.id] = new
        for instance in plan.instances:
            if instance.id in tasks:  # a racing sweep queued it first: the same file, nothing to add
                continue
            write_task(app.repo, instance)
            changed.append(instance.relpath().as_posix())
            tasks[instance.id] = instance
        index = write_index(app.repo, Queue(tuple(tasks.values()), current.errors))
        if index:
            changed.append(index)
        if not changed:
            return None
        app.git.add(changed)
        parts = (
            [f"{len(chosen)} stale task(s)"]
            + ([f"{len(stopped)} over budget"] if stopped else [])
            + ([f"{len(plan.instances)} recurring"] if plan.instances else [])
        )
        return f"tasks: sweep ({', '.join(parts)})\n\n[skip ci]"

    transact_queue(app, opts, apply)
    by_id = queue.by_id()
    for task_id, reason in plan.stopped:
        _tell_stopped(app, by_id[task_id], reason, profiles)
    for action in plan.actions:
        if action.task in stopped:
            continue
        task = by_id[action.task]
        if not task.issue:
            continue
        try:
            if action.action == "warn":
                upsert_issue_comment(app.forge, task.issue, f"task:{task.id}:stale", warning_comment(task, action, opts))
            else:
                upsert_issue_comment(
                    app.forge,
                    task.issue,
                    f"task:{task.id}:stale",
                    f"**{task.id}** went back to the queue: no activity from {task.assigned_to} for "
                    f"{action.silent_hours:g} hours. The next dispatch may hand it to another agent.",
                )
                profile = profiles.get(task.assigned_to or "")
                if profile is not None and profile.handoff.kind == "label":
                    # the agent starts when the label is added: take it off so the next hand-off adds it again
                    try:
                        app.forge.remove_label(task.issue, profile.handoff.value)
                    except LeadforgeError as err:
                        app.out.info(
                            f"leadforge: warning: could not remove label {profile.handoff.value!r} from #{task.issue}: {err}"
                        )
        except LeadforgeError as err:
            app.out.info(f"leadforge: warning: could not comment on #{task.issue}: {err}")
    return plan, queue


def _tell_stopped(app: App, task: Task, reason: str, profiles: Mapping[str, Profile]) -> None:
    from leadforge.forge.base import upsert_issue_comment

    if not task.issue:
        return
    try:
        upsert_issue_comment(
            app.forge,
            task.issue,
            f"task:{task.id}:budget",
            f"**{task.id}** was stopped: {reason}. The agent's pull request, if any, stays open for a person to finish or close.",
        )
        profile = profiles.get(task.assigned_to or "")
        if profile is not None and profile.handoff.kind == "label":
            app.forge.remove_label(task.issue, profile.handoff.value)
    except LeadforgeError as err:
        app.out.info(f"leadforge: warning: could not tell #{task.issue} that {task.id} was stopped: {err}")


def sweep_command(app: App) -> int:
    plan, queue = run_sweep(app)
    report_errors(app, queue.errors)
    data = plan.to_dict()
    lines = [
        (
            f"warned {len(data['warned'])}, requeued {len(data['requeued'])}, blocked {len(data['blocked'])}, "
            f"stopped {len(data['stopped'])}, recurring {len(data['instantiated'])}"
        )
    ]
    lines += [f"  stopped  {t}: {r}" for t, r in plan.stopped]
    lines += [f"  queued   {t.id} (recurring {t.from_template}, period {t.created})" for t in plan.instances]
    lines += [f"  {a.action:<8} {a.task} (silent {a.silent_hours:g} h since {a.last_activity})" for a in plan.actions]
    lines += [f"  blocked  {t}: {r}" for t, r in plan.blocked]
    app.out.result(data, "\n".join(lines))
    if plan.blocked:
        app.actions.summary("### Blocked task chains\n\n" + "\n".join(f"- **{t}**: {r}" for t, r in plan.blocked))
    if plan.stopped:
        app.actions.summary("### Tasks stopped over their budget\n\n" + "\n".join(f"- **{t}**: {r}" for t, r in plan.stopped))
    return 0


__all__ = ["SweepAction", "SweepPlan", "decide_sweep", "run_sweep", "sweep_command"]
