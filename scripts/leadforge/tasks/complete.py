"""``leadforge task complete``: a closed pull request -> verify its task -> completed/ (or say what failed).

``find_task_for_pull`` and ``verify`` are pure. Verification checks, in order: the PR is merged; the
required checks are green on its head commit; every changed file lies inside the task's scope (or
``tasks.allowed_outside_scope``); every acceptance criterion appears ticked (``- [x] ...``) in the PR
body; each ``tasks.verify_commands`` command exits 0. Pass: the task moves to completed/, its issue is
closed with a summary, and dispatch runs for what it unblocked. Fail: the task stays in progress, the
PR gets one comment listing exactly what failed.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadforge.context import load_event
from leadforge.errors import InputError, LeadforgeError
from leadforge.forge.models import ChangedFile, CheckRun, CommitStatus, PullRequest
from leadforge.tasks.costs import record_cost
from leadforge.tasks.options import TaskOptions
from leadforge.tasks.scopes import covered_by_any
from leadforge.tasks.service import BOT, current_time, options, transact_queue
from leadforge.tasks.store import Queue, load_queue, move_task, write_index, write_task
from leadforge.tasks.taskfile import Task

if TYPE_CHECKING:
    from leadforge.app import App

_CLOSES = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#(\d+)\b", re.IGNORECASE)
_TICKED = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[[xX]\]\s+(.+?)\s*$", re.MULTILINE)  # GitHub task list items
_GREEN = {"success", "neutral", "skipped"}
LISTED_FILES = 50  # files named in a failure; the rest are counted (a comment body is limited to 65,536 characters)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().strip("`*_").strip()).casefold()


def find_task_for_pull(tasks: Sequence[Task], pull: PullRequest, branch_prefix: str = "ai/") -> Task | None:
    """The task of this PR: its branch (exact, or ``<branch_prefix><id>-...``), else ``Closes #n`` in the body."""
    candidates = [t for t in tasks if t.state in {"in-progress", "pending"}]
    for task in candidates:
        if task.branch and task.branch == pull.head_ref:
            return task
    for task in candidates:
        own = f"{branch_prefix}{task.id}"
        if pull.head_ref.startswith(f"{own}-") or pull.head_ref == own:
            return task
    numbers = {int(n) for n in _CLOSES.findall(pull.body or "")}
    for task in candidates:
        if task.issue in numbers and task.state == "in-progress":
            return task
    return None


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    failures: tuple[str, ...]
    outside_scope: tuple[str, ...] = ()
    unticked: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()  # names of the checks looked at


def check_failures(
    runs: Sequence[CheckRun], statuses: Sequence[CommitStatus], required: Sequence[str], ignore: Sequence[str]
) -> tuple[list[str], list[str]]:
    """What is not green among the checks: ``(failures, names looked at)``."""
    seen: dict[str, str] = {}
    for run in runs:
        if run.name in ignore:
            continue
        seen[run.name] = run.conclusion or run.status if run.status == "completed" else run.status
    for status in statuses:
        if status.context in ignore:
            continue
        seen[status.context] = status.state
    failures = []
    if required:
        for name in required:
            state = seen.get(name)
            if state is None:
                failures.append(f"required check {name!r} did not run on the head commit")
            elif state not in _GREEN:
                failures.append(f"required check {name!r} is {state}")
    else:
        for name, state in sorted(seen.items()):
            if state not in _GREEN and state not in {"queued", "in_progress", "pending"}:
                failures.append(f"check {name!r} is {state}")
    return failures, sorted(seen)


def verify(
    task: Task,
    pull: PullRequest,
    files: Sequence[ChangedFile],
    check_problems: Sequence[str],
    command_problems: Sequence[str],
    allowed_outside: Sequence[str] = (),
) -> Verdict:
    failures: list[str] = []
    if not pull.merged:
        failures.append(f"pull request #{pull.number} was closed without being merged")
    failures += list(check_problems)
    scope = task.scope or ("",)
    outside = []
    for changed in files:
        for path in (changed.path, changed.previous_path):
            if path and not covered_by_any(scope, path) and not covered_by_any(allowed_outside, path):
                outside.append(path)
    outside = sorted(set(outside))
    if outside:
        shown = ", ".join(outside[:LISTED_FILES]) + (
            f" and {len(outside) - LISTED_FILES} more" if len(outside) > LISTED_FILES else ""
        )
        failures.append(f"{len(outside)} changed file(s) outside the task's scope ({', '.join(scope)}): {shown}")
    ticked = {_norm(m) for m in _TICKED.findall(pull.body or "")}
    unticked = [a for a in task.acceptance if _norm(a) not in ticked]
    if unticked:
        failures.append("acceptance criteria not ticked in the pull request body: " + "; ".join(unticked))
    failures += list(command_problems)
    return Verdict(not failures, tuple(failures), tuple(outside), tuple(unticked))


def run_verify_commands(app: App, opts: TaskOptions) -> list[str]:
    from leadforge import proc
    from leadforge.errors import ToolError

    problems = []
    for command in opts.verify_commands:
        try:
            argv = shlex.split(command)
        except ValueError as err:
            problems.append(f"verify command {command!r} cannot be parsed: {err}")
            continue
        if not argv:
            continue
        try:
            result = proc.run(argv, cwd=app.repo, timeout=opts.verify_timeout_seconds, check=False)
        except ToolError as err:
            problems.append(f"verify command `{command}` failed: {err}")
            continue
        if not result.ok:
            tail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-3:]
            problems.append(f"verify command `{command}` exited {result.returncode}" + (f": {' | '.join(tail)}" if tail else ""))
    return problems


def failure_comment(task: Task, pull: PullRequest, verdict: Verdict) -> str:
    lines = [f"**{task.id}** was not completed: verification of #{pull.number} failed.", ""]
    lines += [f"- {f}" for f in verdict.failures]
    lines += [
        "",
        (
            "The task stays in progress. Fix the problems in a new pull request from the same branch "
            f"(`{task.branch}`), or ask a maintainer to adjust the task file."
        ),
    ]
    return "\n".join(lines)


def success_comment(task: Task, pull: PullRequest, checks: Sequence[str]) -> str:
    lines = [f"**{task.id}** is completed: #{pull.number} merged and verified.", ""]
    lines.append(f"- agent: {task.assigned_to or '-'}; branch `{pull.head_ref}`")
    lines.append(f"- checks: {', '.join(checks) if checks else 'none reported'}")
    lines.append(f"- changed files inside scope: {', '.join(f'`{s}`' for s in task.scope) or '(whole repository)'}")
    if task.acceptance:
        lines += ["- acceptance criteria, all ticked:"] + [f"  - [x] {a}" for a in task.acceptance]
    return "\n".join(lines)


@dataclass
class CompleteOutcome:
    pr: int
    status: str  # completed | failed | no-task | already-completed
    task: str | None = None
    failures: list[str] = field(default_factory=list)
    dispatched: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"pr": self.pr, "status": self.status, "task": self.task, "failures": self.failures, "dispatch": self.dispatched}


def _pull_from_payload(payload: dict[str, Any]) -> PullRequest:
    raw = payload.get("pull_request")
    if not isinstance(raw, dict) or "number" not in raw:
        raise InputError("event payload: missing field 'pull_request.number' (run on pull_request closed events)")
    head, base = raw.get("head") or {}, raw.get("base") or {}
    return PullRequest(
        number=int(raw["number"]),
        title=str(raw.get("title") or ""),
        body=str(raw.get("body") or ""),
        state=str(raw.get("state") or ""),
        merged=bool(raw.get("merged")),
        merged_at=str(raw.get("merged_at") or ""),
        merge_commit_sha=str(raw.get("merge_commit_sha") or ""),
        head_ref=str(head.get("ref") or ""),
        head_sha=str(head.get("sha") or ""),
        base_ref=str(base.get("ref") or ""),
        base_sha=str(base.get("sha") or ""),
        author=str((raw.get("user") or {}).get("login") or ""),
    )


def run_complete(app: App, pull: PullRequest, opts: TaskOptions | None = None, *, dispatch: bool = True) -> CompleteOutcome:
    from leadforge.forge.base import upsert_issue_comment

    opts = opts or options(app)
    queue = load_queue(app.repo)
    task = find_task_for_pull(queue.tasks, pull, opts.branch_prefix)
    if task is None:
        done = [t for t in queue.tasks if t.state == "completed" and (t.pr == pull.number or t.branch == pull.head_ref)]
        if done:
            return CompleteOutcome(pull.number, "already-completed", done[0].id)
        return CompleteOutcome(pull.number, "no-task")
    forge = app.forge
    files = forge.list_pull_files(pull.number)
    runs = forge.list_check_runs(pull.head_sha) if pull.head_sha else []
    statuses = forge.list_statuses(pull.head_sha) if pull.head_sha else []
    check_problems, checks = check_failures(runs, statuses, opts.required_checks, opts.ignore_checks)
    commands = run_verify_commands(app, opts) if pull.merged and opts.verify_commands else []
    verdict = verify(task, pull, files, check_problems, commands, opts.allowed_outside_scope)
    costs = _pull_costs(app, task, pull)
    if app.dry_run:
        app.out.would(f"{'complete' if verdict.passed else 'keep in progress'} {task.id} after verifying #{pull.number}")
        return CompleteOutcome(pull.number, "completed" if verdict.passed else "failed", task.id, list(verdict.failures))

    def apply() -> str | None:
        current = load_queue(app.repo)
        now_task = current.get(task.id)
        if now_task is None or now_task.state == "completed":
            return None
        now = current_time(app)
        before = now_task
        for _task_id, cost, source, _agent in costs:
            now_task = record_cost(now_task, cost, at=now, agent=now_task.assigned_to or BOT, source=source) or now_task
        if verdict.passed:
            new = now_task.with_event("verified", at=now, by=BOT, note=f"#{pull.number}: {len(files)} file(s), checks green")
            new = new.with_event(
                "completed",
                at=now,
                by=BOT,
                note=f"merged #{pull.number}",
                state="completed",
                completed_at=now,
                pr=pull.number,
                blocked_reason=None,
            )
            changed = move_task(app.repo, before, new)
        else:
            note = "; ".join(verdict.failures)[:500]
            last = before.history[-1] if before.history else None
            if last is not None and last.event == "verification-failed" and last.note == note and before.pr == pull.number:
                if now_task is before:
                    return None  # a re-run on the same event: already recorded (metrics count each entry)
                new = now_task  # only a new cost report to record
            else:
                new = now_task.with_event("verification-failed", at=now, by=BOT, note=note, pr=pull.number)
            write_task(app.repo, new)
            changed = [new.relpath().as_posix()]
        tasks = [t for t in current.tasks if t.id != new.id] + [new]
        index = write_index(app.repo, Queue(tuple(tasks), current.errors))
        if index:
            changed.append(index)
        app.git.add(changed)
        verb = "complete" if verdict.passed else "verification failed for"
        return f"tasks: {verb} {task.id} (#{pull.number})\n\n[skip ci]"

    transact_queue(app, opts, apply)
    outcome = CompleteOutcome(pull.number, "completed" if verdict.passed else "failed", task.id, list(verdict.failures))
    if verdict.passed:
        if task.issue:
            upsert_issue_comment(forge, task.issue, f"task:{task.id}:done", success_comment(task, pull, checks))
            try:
                forge.close_issue(task.issue, "completed")
            except LeadforgeError as err:
                app.out.info(f"leadforge: warning: could not close #{task.issue}: {err}")
        if dispatch and opts.dispatch_after_complete:
            from leadforge.tasks.service import run_dispatch

            result = run_dispatch(app, opts=opts)
            outcome.dispatched = result.plan.to_dict()
            for failure in result.failures:
                app.out.info(f"leadforge: error: {failure}")
    else:
        body = failure_comment(task, pull, verdict)
        upsert_issue_comment(forge, pull.number, f"task:{task.id}:verify", body)
        if task.issue and task.issue != pull.number:
            upsert_issue_comment(forge, task.issue, f"task:{task.id}:verify", body)
    return outcome


def _pull_costs(app: App, task: Task, pull: PullRequest) -> list[tuple[str, Any, str, str]]:
    """Cost reports the pull request carries (``Leadforge-Cost:`` in its body or a marked comment); a comment list
    the forge cannot give is a warning, never a failed completion."""
    from leadforge.tasks.ledger import pull_cost_reports

    try:
        comments = app.forge.list_issue_comments(pull.number)
    except LeadforgeError as err:
        app.out.info(f"leadforge: warning: could not read the comments of #{pull.number} for cost reports: {err}")
        comments = []
    try:
        return pull_cost_reports(task, pull, comments)
    except InputError as err:
        app.out.info(f"leadforge: warning: cost report ignored: {err}")
        return []


def complete_command(app: App, event: str | None, pr: int | None, *, dispatch: bool = True) -> int:
    if pr is not None:
        pull = app.forge.get_pull(pr)
    else:
        payload = load_event(event or app.context.event_path)
        pull = _pull_from_payload(payload)
        if payload.get("action") not in (None, "closed"):
            app.out.result(
                {"pr": pull.number, "status": "skipped", "task": None, "failures": [], "dispatch": None},
                f"#{pull.number}: skipped (action {payload.get('action')!r}, not closed)",
            )
            return 0
    outcome = run_complete(app, pull, dispatch=dispatch)
    human = {
        "completed": f"{outcome.task}: completed by #{outcome.pr}",
        "failed": f"{outcome.task}: verification of #{outcome.pr} failed:\n" + "\n".join(f"  - {f}" for f in outcome.failures),
        "no-task": f"#{outcome.pr}: no task for this pull request (branch or 'Closes #n')",
        "already-completed": f"#{outcome.pr}: {outcome.task} is already completed",
    }[outcome.status]
    if outcome.dispatched:
        human += f"\nthen dispatched {len(outcome.dispatched['assigned'])} task(s)"
    app.out.result(outcome.to_dict(), human)
    app.actions.set_output("status", outcome.status)
    # a merged PR that fails verification is an error (red run); a PR closed unmerged is only reported
    return 1 if outcome.status == "failed" and pull.merged else 0
