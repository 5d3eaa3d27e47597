"""The effects of ``leadforge task ...``: read the queue, decide (pure modules), write, commit, push, talk to the forge.

Every queue change goes through ``GitRepo.transact``: the apply function re-reads the queue at the
current head, decides, writes files and stages them; on a rejected push the repository is reset to the
new remote head and the function runs again, so a racing dispatcher re-decides on what the winner wrote.
Forge calls (comments, hand-offs, closing issues) happen only after the queue commit is pushed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadforge.errors import InputError, LeadforgeError, NotFoundError
from leadforge.tasks.dispatch import DispatchPlan, decide
from leadforge.tasks.options import TaskOptions, load_options
from leadforge.tasks.profiles import Profile, load_profiles, render_template
from leadforge.tasks.store import FileError, Queue, load_queue, move_task, write_index, write_task
from leadforge.tasks.taskfile import QUEUE_DIR, Task, now_iso

if TYPE_CHECKING:
    from leadforge.app import App

BOT = "leadforge"


def current_time(app: App) -> str:
    """``LEADFORGE_NOW`` (ISO 8601) pins the clock for demos and tests; else the real UTC time."""
    pinned = app.env.get("LEADFORGE_NOW", "") if hasattr(app, "env") else ""
    return pinned or now_iso()


def options(app: App) -> TaskOptions:
    return load_options(app.repo, app.config_path)


def report_errors(app: App, errors: Sequence[FileError]) -> None:
    for error in errors:
        app.out.info(f"leadforge: warning: {error.message} (file left untouched)")
        with contextlib.suppress(LeadforgeError):  # annotations are best effort
            app.actions.annotate("warning", error.message, file=error.path, title="unreadable task file")


def _push_branch(app: App) -> str | None:
    git = app.git
    branch = git.current_branch()
    return branch or None


def transact_queue(app: App, opts: TaskOptions, apply: Any) -> str | None:
    """Commit what ``apply`` staged and push it; on a moved remote, re-read and re-decide.

    Each commit carries a unique ``Leadforge-Run`` trailer: two runs that reach the same decision at the
    same second would otherwise make byte-identical commits, both pushes would "succeed", and both runs
    would hand the same tasks off.
    """
    import uuid

    branch = _push_branch(app) or opts.default_branch
    run = f"{app.env.get('GITHUB_RUN_ID', '') or 'local'}-{uuid.uuid4().hex[:12]}"

    def unique() -> str | None:
        message = apply()
        return None if message is None else f"{message}\n\nLeadforge-Run: {run}"

    return app.git.transact(
        unique, branch=branch, on_retry=lambda n: app.out.info(f"queue moved under us: re-deciding (attempt {n + 1})")
    )


def _unreadable_ids(errors: Sequence[FileError]) -> list[str]:
    return [Path(e.path).stem for e in errors]


# ---- dispatch ---------------------------------------------------------------------------------------------


@dataclass
class DispatchOutcome:
    plan: DispatchPlan
    queue: Queue
    commit: str | None = None
    handoffs: list[dict[str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def handoff_values(task: Task, repo_rel: str) -> dict[str, str]:
    return {
        "id": task.id,
        "title": task.title,
        "issue": str(task.issue or ""),
        "branch": task.branch or "",
        "priority": task.priority,
        "type": task.type,
        "scope": ", ".join(task.scope) or "(whole repository)",
        "acceptance": "\n".join(f"- [ ] {a}" for a in task.acceptance),
        "task_path": repo_rel,
    }


def assigned_comment(task: Task, profile: Profile) -> str:
    lines = [
        f"**{task.id}** is assigned to **{profile.name}** ({profile.handoff.describe()}).",
        "",
        f"- branch: `{task.branch}`",
        f"- scope: {', '.join(f'`{s}`' for s in task.scope) or '(whole repository)'}",
        f"- task file: `{task.relpath().as_posix()}`",
    ]
    if task.acceptance:
        lines += ["", "Acceptance criteria (tick them in the pull request body):", ""]
        lines += [f"- [ ] {a}" for a in task.acceptance]
    lines += [
        "",
        f"Open the pull request from `{task.branch}` and write `Closes #{task.issue}` in its body."
        if task.issue
        else f"Open the pull request from `{task.branch}`.",
    ]
    return "\n".join(lines)


def _apply_assignments(
    app: App, queue: Queue, plan: DispatchPlan, profiles: Sequence[Profile], now: str
) -> tuple[list[str], list[Task]]:
    by_id = queue.by_id()
    profile_by_name = {p.name: p for p in profiles}
    changed: list[str] = []
    tasks = dict(by_id)
    for assignment in plan.assigned:
        old = by_id[assignment.task]
        profile = profile_by_name[assignment.agent]
        new = old.with_event(
            "assigned",
            at=now,
            by=BOT,
            note=f"{profile.name} ({profile.handoff.describe()}), branch {assignment.branch}",
            state="in-progress",
            assigned_to=profile.name,
            assigned_at=now,
            branch=assignment.branch,
            heartbeat_at=None,
            blocked_reason=None,
            completed_at=None,
        )
        changed += move_task(app.repo, old, new)
        tasks[new.id] = new
    blocked = {b.task: b.reason for b in plan.blocked}
    for task in list(tasks.values()):
        if task.state != "pending":
            continue
        reason = blocked.get(task.id)
        if reason is not None and task.blocked_reason != reason:
            new = task.with_event("blocked", at=now, by=BOT, note=reason, blocked_reason=reason)
        elif reason is None and task.blocked_reason:
            new = task.with_event("unblocked", at=now, by=BOT, blocked_reason=None)
        else:
            continue
        write_task(app.repo, new)
        changed.append(new.relpath().as_posix())
        tasks[new.id] = new
    return changed, list(tasks.values())


def run_dispatch(app: App, *, opts: TaskOptions | None = None) -> DispatchOutcome:
    opts = opts or options(app)
    holder: dict[str, Any] = {}

    def apply() -> str | None:
        queue = load_queue(app.repo)
        profiles = load_profiles(app.repo, opts.profiles_dir)
        now = current_time(app)
        plan = decide(
            queue.tasks,
            profiles,
            tracked=lambda: app.git.ls_files(),
            unreadable=_unreadable_ids(queue.errors),
            branch_prefix=opts.branch_prefix,
            slug_length=opts.slug_length,
            now=now,
            budget=opts.budget,
            default_estimate=opts.default_estimate_hours,
            open_issues=opts.open_issues,
        )
        holder.update(queue=queue, plan=plan, profiles=profiles)
        if app.dry_run:
            return None
        changed, tasks = _apply_assignments(app, queue, plan, profiles, now)
        files_changed = bool(changed)
        index = write_index(app.repo, Queue(tuple(tasks), queue.errors))
        if index:
            changed.append(index)
        if not changed:
            return None
        app.git.add(changed)
        n = len(plan.assigned)
        ids = ", ".join(a.task for a in plan.assigned[:5]) + (" ..." if n > 5 else "")
        if n:
            subject = f"tasks: dispatch {n} task(s): {ids}"
        elif files_changed:
            subject = "tasks: update blocked reasons"
        else:
            subject = "tasks: regenerate the queue index"
        return f"{subject}\n\n[skip ci]"

    if app.dry_run:
        apply()
        outcome = DispatchOutcome(holder["plan"], holder["queue"])
        for assignment in outcome.plan.assigned:
            app.out.would(
                f"move {assignment.task} to in-progress/, create branch {assignment.branch}, hand off to {assignment.agent}"
            )
        return outcome
    sha = transact_queue(app, opts, apply)
    outcome = DispatchOutcome(holder["plan"], holder["queue"], sha)
    if any(a.opens_issue for a in outcome.plan.assigned):
        _open_issues(app, opts, outcome)
    if outcome.plan.assigned:
        _hand_off(app, opts, outcome, holder["profiles"], sha)
    if outcome.plan.alerts:
        _post_alerts(app, opts, outcome)
    return outcome


TASK_ISSUE_KEY = "task-issue"  # <!-- leadforge:task-issue:<id> --> marks the tracking issue dispatch opened


def task_issue_body(task: Task) -> str:
    """The tracking issue of a hand-written task: its description, scope and criteria, and where its file is."""
    from leadforge.forge.base import marker

    lines = [
        task.body.strip() or f"Hand-written task `{task.id}`.",
        "",
        f"- task file: `{task.relpath().as_posix()}`",
        f"- priority {task.priority}, type {task.type}",
        f"- scope: {', '.join(f'`{s}`' for s in task.scope) or '(whole repository)'}",
    ]
    if task.depends_on:
        lines.append(f"- depends on: {', '.join(task.depends_on)}")
    if task.acceptance:
        lines += ["", "Acceptance criteria:", ""] + [f"- [ ] {a}" for a in task.acceptance]
    lines += [
        "",
        "Opened by LeadForge dispatch for a task written without an issue; its pull request closes it.",
        "",
        marker(f"{TASK_ISSUE_KEY}:{task.id}"),
    ]
    return "\n".join(lines)


def _open_issues(app: App, opts: TaskOptions, outcome: DispatchOutcome) -> None:
    """Open (or find, on a re-run) the tracking issue of each hand-written task just assigned; record its number."""
    from leadforge.forge.base import marker

    current = load_queue(app.repo, states=("in-progress",)).by_id()
    numbers: dict[str, int] = {}
    existing: list[Any] | None = None
    for assignment in outcome.plan.assigned:
        task = current.get(assignment.task)
        if not assignment.opens_issue or task is None or task.issue is not None:
            continue
        try:
            if existing is None:
                existing = app.forge.list_issues(state="all", labels=[opts.issue_label])
            tag = marker(f"{TASK_ISSUE_KEY}:{task.id}")
            found = next((i for i in existing if tag in (i.body or "")), None)
            issue = found or app.forge.create_issue(task.title, task_issue_body(task), labels=[opts.issue_label])
            numbers[task.id] = issue.number
        except LeadforgeError as err:
            outcome.failures.append(f"{task.id}: could not open its tracking issue: {err}")
    if not numbers:
        return

    def apply() -> str | None:
        queue = load_queue(app.repo)
        changed: list[str] = []
        tasks = queue.by_id()
        for task_id, number in sorted(numbers.items()):
            task = tasks.get(task_id)
            if task is None or task.issue == number:
                continue
            new = task.with_event("issue-opened", at=current_time(app), by=BOT, note=f"tracking issue #{number}", issue=number)
            write_task(app.repo, new)
            changed.append(new.relpath().as_posix())
            tasks[new.id] = new
        index = write_index(app.repo, Queue(tuple(tasks.values()), queue.errors))
        if index:
            changed.append(index)
        if not changed:
            return None
        app.git.add(changed)
        return f"tasks: record the tracking issues of {', '.join(sorted(numbers))}\n\n[skip ci]"

    transact_queue(app, opts, apply)


BUDGET_ISSUE_TITLE = "LeadForge AI budget"


def budget_issue(app: App, opts: TaskOptions) -> int:
    """The open issue labelled ``tasks.budget_label`` (the oldest), created when there is none."""
    found = [i for i in app.forge.list_issues(state="open", labels=[opts.budget_label]) if not i.is_pull_request]
    if found:
        return min(i.number for i in found)
    body = (
        "AI cost budgets of the task queue: dispatch comments here once per budget, month and threshold "
        "(80% and 95%). See docs/tasks.md#budgets."
    )
    return app.forge.create_issue(BUDGET_ISSUE_TITLE, body, labels=[opts.budget_label]).number


def alert_comment(alert: Any) -> str:
    action = (
        "Dispatch keeps handing out work that fits in what is left."
        if alert.threshold < 95
        else "Dispatch hands out only work whose expected cost still fits; raise the budget or wait for next month."
    )
    return f"**{alert.text()}.**\n\n{action}"


def _post_alerts(app: App, opts: TaskOptions, outcome: DispatchOutcome) -> None:
    from leadforge.forge.base import upsert_issue_comment

    try:
        number = budget_issue(app, opts)
        for alert in outcome.plan.alerts:
            upsert_issue_comment(app.forge, number, alert.key, alert_comment(alert))
    except LeadforgeError as err:
        outcome.failures.append(f"budget comment could not be posted: {err}")


def _hand_off(app: App, opts: TaskOptions, outcome: DispatchOutcome, profiles: Sequence[Profile], sha: str | None) -> None:
    from leadforge.forge.base import upsert_issue_comment

    profile_by_name = {p.name: p for p in profiles}
    queue = load_queue(app.repo, states=("in-progress",))
    current = queue.by_id()
    remote = app.git.remote_url("origin") is not None
    head = sha or app.git.head()
    for assignment in outcome.plan.assigned:
        task = current.get(assignment.task)
        profile = profile_by_name[assignment.agent]
        if task is None:  # pragma: no cover - we just wrote it
            continue
        record = {"task": task.id, "agent": profile.name, "handoff": profile.handoff.kind}
        try:
            if not app.git.ref_exists(f"refs/heads/{assignment.branch}"):
                app.git.run("branch", assignment.branch, head)
            if remote:
                app.git.run("push", "-q", "origin", f"refs/heads/{assignment.branch}:refs/heads/{assignment.branch}", check=False)
            forge = app.forge
            values = handoff_values(task, task.relpath().as_posix())
            if task.issue:
                upsert_issue_comment(forge, task.issue, f"task:{task.id}", assigned_comment(task, profile))
            handoff = profile.handoff
            if handoff.kind == "workflow":
                inputs = {k: render_template(v, values) for k, v in handoff.inputs.items()}
                forge.dispatch_workflow(handoff.value, handoff.ref or opts.default_branch, inputs)
            elif not task.issue:
                raise InputError(f"{task.id}: no issue to hand off on ({handoff.kind} needs one)")
            elif handoff.kind == "assign":
                forge.add_assignees(task.issue, [handoff.value])
            elif handoff.kind == "label":
                forge.add_labels(task.issue, [handoff.value])
            else:
                # one comment per assignment: a mention in an edited comment does not start the agent again
                key = f"task:{task.id}:handoff:{task.assigned_at or ''}".rstrip(":")
                upsert_issue_comment(forge, task.issue, key, render_template(handoff.value, values))
            record["status"] = "done"
        except LeadforgeError as err:
            record["status"] = f"failed: {err}"
            outcome.failures.append(f"{task.id}: hand-off to {profile.name} failed: {err}")
        outcome.handoffs.append(record)


def dispatch_human(plan: DispatchPlan) -> str:
    lines = [f"assigned {len(plan.assigned)}, waiting {len(plan.waiting)}, blocked {len(plan.blocked)}"]
    for a in plan.assigned:
        lines.append(f"  assigned  {a.task} -> {a.agent} on {a.branch}")
    for w in plan.waiting[:50]:
        lines.append(f"  waiting   {w.task}: {w.reason}")
    if len(plan.waiting) > 50:
        lines.append(f"  ... and {len(plan.waiting) - 50} more waiting")
    for b in plan.blocked:
        lines.append(f"  blocked   {b.task}: {b.reason}")
    for alert in plan.alerts:
        lines.append(f"  budget    {alert.text()}")
    return "\n".join(lines)


def dispatch_summary(plan: DispatchPlan) -> str:
    lines = [
        "### AI task dispatch",
        "",
        f"{len(plan.assigned)} assigned, {len(plan.waiting)} waiting, {len(plan.blocked)} blocked",
        "",
    ]
    for alert in plan.alerts:
        lines += [f"> [!WARNING]\n> {alert.text()}", ""]
    if plan.assigned:
        lines += ["| task | agent | branch |", "| --- | --- | --- |"]
        lines += [f"| {a.task} | {a.agent} | `{a.branch}` |" for a in plan.assigned]
    if plan.blocked:
        lines += ["", "Blocked:", ""] + [f"- **{b.task}**: {b.reason}" for b in plan.blocked]
    return "\n".join(lines)


# ---- heartbeat, list, show ------------------------------------------------------------------------------


def run_heartbeat(app: App, task_id: str, note: str = "", by: str = "") -> Task:
    opts = options(app)
    holder: dict[str, Task] = {}

    def apply() -> str | None:
        queue = load_queue(app.repo, states=("in-progress",))
        task = queue.get(task_id)
        if task is None:
            other = load_queue(app.repo).get(task_id)
            where = f"it is {other.state}" if other else "no such task"
            raise NotFoundError(f"task {task_id}: not in progress ({where}); heartbeats are for in-progress tasks")
        now = current_time(app)
        new = task.with_event("heartbeat", at=now, by=by or task.assigned_to or BOT, note=note, heartbeat_at=now)
        holder["task"] = new
        if app.dry_run:
            return None
        write_task(app.repo, new)
        app.git.add([new.relpath().as_posix()])
        return f"tasks: heartbeat {task_id}\n\n[skip ci]"

    if app.dry_run:
        apply()
        app.out.would(f"record a heartbeat on {task_id}")
    else:
        transact_queue(app, opts, apply)
    return holder["task"]


def task_summary(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "state": task.state,
        "priority": task.priority,
        "type": task.type,
        "title": task.title,
        "issue": task.issue,
        "agent": task.agent,
        "assigned_to": task.assigned_to,
        "branch": task.branch,
        "pr": task.pr,
        "depends_on": list(task.depends_on),
        "scope": list(task.scope),
        "created": task.created,
        "blocked_reason": task.blocked_reason,
    }


def task_detail(task: Task) -> dict[str, Any]:
    from leadforge.tasks.taskfile import task_to_mapping

    data = task_to_mapping(task)
    data["state"] = task.state
    data["path"] = task.relpath().as_posix()
    data["body"] = task.body
    return data


def find_task(repo: Path, task_id: str) -> Task:
    key = task_id.strip().lstrip("#")
    if key.isdigit():
        key = f"task-{key}"
    queue = load_queue(repo)
    task = queue.get(key)
    if task is None:
        for error in queue.errors:
            if Path(error.path).stem == key:
                raise InputError(error.message)
        raise NotFoundError(f"task {task_id}: not found under {QUEUE_DIR.as_posix()}/ (pending, in-progress, completed)")
    return task
