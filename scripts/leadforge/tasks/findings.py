"""``leadforge task from-findings``: scan findings on the default branch -> pending tasks, fixed findings -> completed.

``plan_findings`` is pure. A finding belongs to a task when its fingerprint is in the task's ``findings:`` list (any
state: a finding never makes two tasks, even after its task completed). New findings are grouped by tool and rule,
their files sorted and cut into groups of at most ``max_files``; each group is one pending task whose scope is its
files. The task id comes from the tool, the rule and the group's fingerprints, so two runs on the same scan write the
same file (a racing run re-decides on the winner's commit and finds the fingerprints known). An open task none of
whose fingerprints the scan still reports is completed with the reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from leadforge.errors import InputError, LeadforgeError
from leadforge.findings import Finding
from leadforge.tasks.dispatch import slugify
from leadforge.tasks.service import BOT, current_time, options, transact_queue
from leadforge.tasks.store import Queue, load_queue, move_task, write_index, write_task
from leadforge.tasks.taskfile import Task

if TYPE_CHECKING:
    from leadforge.app import App

PRIORITY_OF = {"error": "P1", "warning": "P2", "note": "P3"}
LISTED = 30  # findings listed in a task's description; the rest are counted


@dataclass(frozen=True, slots=True)
class FindingsPlan:
    new: tuple[Task, ...] = ()
    resolved: tuple[tuple[str, str], ...] = ()  # (task id, reason)

    def to_dict(self) -> dict[str, object]:
        return {
            "created": [{"task": t.id, "rule": t.title, "scope": list(t.scope), "findings": len(t.findings)} for t in self.new],
            "completed": [{"task": i, "reason": r} for i, r in self.resolved],
        }


def _group_id(tool: str, rule: str, fingerprints: Sequence[str]) -> str:
    digest = hashlib.sha256("\x1f".join([tool, rule, *sorted(fingerprints)]).encode()).hexdigest()[:8]
    return f"scan-{slugify(rule, 40)}-{digest}"


def _body(tool: str, rule: str, findings: Sequence[Finding]) -> str:
    lines = [f"The scheduled security scan found {len(findings)} `{rule}` finding(s) ({tool}) on the default branch.", ""]
    for finding in findings[:LISTED]:
        where = f"{finding.path}:{finding.line}" if finding.line else finding.path
        lines.append(f"- `{where}`: {finding.message.splitlines()[0] if finding.message else rule}")
    if len(findings) > LISTED:
        lines.append(f"- ... and {len(findings) - LISTED} more")
    help_text = next((f.help for f in findings if f.help), "")
    if help_text:
        lines += ["", f"How to fix: {help_text}"]
    lines += ["", "The task completes by itself when a later scan no longer reports these findings."]
    return "\n".join(lines) + "\n"


def plan_findings(findings: Sequence[Finding], tasks: Sequence[Task], *, now: str, max_files: int = 10) -> FindingsPlan:
    if max_files < 1:
        raise InputError(f"--max-files: must be at least 1, got {max_files}")
    known = {fp for t in tasks for fp in t.findings}
    current = {f.fingerprint for f in findings}
    ids = {t.id for t in tasks}
    fresh = [f for f in findings if f.fingerprint not in known and f.path]
    by_rule: dict[tuple[str, str], list[Finding]] = {}
    for finding in sorted(fresh, key=lambda f: (f.tool, f.rule, f.path, f.line, f.fingerprint)):
        by_rule.setdefault((finding.tool, finding.rule), []).append(finding)
    new: list[Task] = []
    for (tool, rule), items in sorted(by_rule.items()):
        files = sorted({f.path for f in items})
        for start in range(0, len(files), max_files):
            group = set(files[start : start + max_files])
            members = [f for f in items if f.path in group]
            fingerprints = sorted({f.fingerprint for f in members})
            task_id = _group_id(tool, rule, fingerprints)
            if task_id in ids:
                continue
            worst = min(members, key=lambda f: f.rank).severity
            task = Task(
                id=task_id,
                title=f"Fix {rule} ({tool}) in {len(group)} file(s)",
                priority=PRIORITY_OF[worst],
                type="security",
                scope=tuple(sorted(group)),
                acceptance=(f"`leadforge scan` reports no {rule} finding in these files",),
                created=now,
                findings=tuple(fingerprints),
                body=_body(tool, rule, members),
            ).with_event("queued", at=now, by=BOT, note=f"from {len(members)} {tool} finding(s) of {rule}")
            new.append(task)
            ids.add(task_id)
    resolved = []
    for task in sorted(tasks, key=lambda t: t.id):
        if task.state == "completed" or not task.findings:
            continue
        if not set(task.findings) & current:
            resolved.append((task.id, f"fixed: the scan no longer reports any of its {len(task.findings)} finding(s)"))
    return FindingsPlan(tuple(new), tuple(resolved))


def _read_findings(path: str) -> list[Finding]:
    from leadforge.scan.sarif import SarifError, parse

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"--sarif {path}: file not found") from None
    try:
        return parse(text, source=path)
    except SarifError as err:
        raise InputError(str(err)) from None


def from_findings_command(app: App, sarif: str, max_files: int = 10) -> int:
    opts = options(app)
    if not opts.tasks_from_findings:
        app.out.result(
            {"enabled": False, "created": [], "completed": []},
            "tasks.tasks_from_findings is off: no tasks made (turn it on in .github/leadforge.yml)",
        )
        return 0
    findings = _read_findings(sarif)
    holder: dict[str, FindingsPlan] = {}

    def apply() -> str | None:
        queue = load_queue(app.repo)
        now = current_time(app)
        plan = plan_findings(findings, queue.tasks, now=now, max_files=max_files)
        holder["plan"] = plan
        if app.dry_run or not (plan.new or plan.resolved):
            return None
        tasks = queue.by_id()
        changed: list[str] = []
        for task in plan.new:
            write_task(app.repo, task)
            changed.append(task.relpath().as_posix())
            tasks[task.id] = task
        for task_id, reason in plan.resolved:
            old = tasks[task_id]
            new = old.with_event("completed", at=now, by=BOT, note=reason, state="completed", completed_at=now)
            new = replace(new, blocked_reason=None)
            changed += move_task(app.repo, old, new)
            tasks[task_id] = new
        index = write_index(app.repo, Queue(tuple(tasks.values()), queue.errors))
        if index:
            changed.append(index)
        app.git.add(changed)
        return f"tasks: {len(plan.new)} task(s) from scan findings, {len(plan.resolved)} fixed\n\n[skip ci]"

    if app.dry_run:
        apply()
        plan = holder["plan"]
        for task in plan.new:
            app.out.would(f"queue {task.id}: {task.title}")
        for task_id, reason in plan.resolved:
            app.out.would(f"complete {task_id}: {reason}")
    else:
        transact_queue(app, opts, apply)
        plan = holder["plan"]
        by_id = load_queue(app.repo).by_id()
        for task_id, reason in plan.resolved:
            done = by_id.get(task_id)
            if done is not None and done.issue:
                try:
                    from leadforge.forge.base import upsert_issue_comment

                    upsert_issue_comment(app.forge, done.issue, f"task:{task_id}:done", f"**{task_id}** is completed: {reason}.")
                    app.forge.close_issue(done.issue, "completed")
                except LeadforgeError as err:
                    app.out.info(f"leadforge: warning: could not close #{done.issue}: {err}")
    lines = [f"{len(plan.new)} task(s) from {len(findings)} finding(s), {len(plan.resolved)} fixed"]
    lines += [f"  queued     {t.id}: {t.title} ({', '.join(t.scope)})" for t in plan.new]
    lines += [f"  completed  {i}: {r}" for i, r in plan.resolved]
    app.out.result({"enabled": True, **plan.to_dict()}, "\n".join(lines))
    if not app.dry_run and (plan.new or plan.resolved):
        app.actions.summary("### Tasks from scan findings\n\n" + "\n".join(f"- {line.strip()}" for line in lines[1:]))
    return 0
