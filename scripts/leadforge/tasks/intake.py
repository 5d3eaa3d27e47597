"""``leadforge task intake``: an ``issues`` event (opened/edited, labelled ai-task) -> a pending task file.

Valid form: write ``pending/task-<n>.md`` (or update it while still pending; history keeps the edit),
regenerate the index, commit and push (``transact``), then comment on the issue with the task id and
drop the needs-info label. Invalid form: one comment listing what is wrong, the needs-info label, and
no file. Re-running on the same event changes nothing (the comment is upserted by its marker).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadforge.context import load_event, require
from leadforge.errors import InputError, LeadforgeError
from leadforge.tasks.issueform import (
    AI_TASK_FIELDS,
    FORM_SECTIONS,
    FormField,
    FormReading,
    parse_template,
    read_form,
    reading_notes,
    task_from_form,
)
from leadforge.tasks.options import PERMISSIONS, TaskOptions
from leadforge.tasks.profiles import load_profiles
from leadforge.tasks.service import BOT, current_time, options, transact_queue
from leadforge.tasks.store import Queue, load_queue, write_index, write_task
from leadforge.tasks.taskfile import Task

if TYPE_CHECKING:
    from leadforge.app import App

FORM_PATH = ".github/ISSUE_TEMPLATE/ai-task.yml"
INTAKE_MARKER = "task:intake"


@dataclass
class IntakeOutcome:
    issue: int
    status: str  # queued | updated | unchanged | invalid | skipped | kept | unauthorized
    task: str | None = None
    errors: list[str] = field(default_factory=list)
    note: str = ""
    commit: str | None = None
    form: dict[str, Any] = field(default_factory=dict)  # what did not fit the template (see form_report)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "issue": self.issue,
            "status": self.status,
            "task": self.task,
            "valid": self.status not in {"invalid", "skipped", "unauthorized"},
            "errors": self.errors,
            "note": self.note,
        }
        if self.form:
            data["form"] = self.form
        return data


def form_fields(repo: Path) -> tuple[FormField, ...]:
    """The repository's copy of the form (labels may be reworded there), else the built-in one."""
    import yaml

    path = repo / FORM_PATH
    if not path.exists():
        return AI_TASK_FIELDS
    try:
        fields = parse_template(yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as err:
        raise InputError(f"{FORM_PATH}: invalid YAML: {getattr(err, 'problem', err)}") from None
    return fields or AI_TASK_FIELDS


def form_report(reading: FormReading, fields: tuple[FormField, ...]) -> dict[str, Any]:
    """The ``--json`` view of what did not fit the template: labels not found, headings read as a
    renamed label, headings that are no field (empty when the body matches the form exactly)."""
    labels = {f.key: f.label for f in fields}
    report: dict[str, Any] = {}
    if reading.missing:
        report["missing"] = [f.label for f in reading.missing]
    renamed = {labels[key]: heading for key, heading, rule in reading.matched if heading != labels[key]}
    if renamed:
        report["renamed"] = renamed
    if reading.unmatched_headings:
        report["unmatched"] = dict(reading.unmatched_headings)
    return report


def invalid_comment(errors: list[str], label: str, notes: list[str] | None = None) -> str:
    lines = ["This issue could not be queued as an AI task yet:", ""]
    lines += [f"- {e}" for e in errors]
    if notes:
        lines += ["", "How the issue was read against the form:", ""] + [f"- {n}" for n in notes]
    lines += ["", f"Edit the issue to fix the form; it will be checked again (the `{label}` label goes away when it passes)."]
    return "\n".join(lines)


def queued_comment(task: Task, status: str, notes: list[str] | None = None) -> str:
    verb = {"queued": "Queued", "updated": "Updated", "unchanged": "Queued"}.get(status, "Queued")
    lines = [
        f"{verb} as **{task.id}** (`{task.relpath().as_posix()}`): {task.priority} {task.type}.",
        "",
        f"- scope: {', '.join(f'`{s}`' for s in task.scope)}",
    ]
    if task.depends_on:
        lines.append(f"- waits for: {', '.join(task.depends_on)}")
    lines.append(f"- agent: {task.agent}")
    if notes:
        lines += ["", "How the issue was read against the form:", ""] + [f"- {n}" for n in notes]
    lines += ["", "`leadforge task dispatch` assigns it when its dependencies are done and no running task overlaps its scope."]
    return "\n".join(lines)


def _merge(existing: Task, fresh: Task, now: str) -> Task | None:
    """The pending task updated from an edited form, or None when nothing changed."""
    updated = replace(
        existing,
        title=fresh.title,
        priority=fresh.priority,
        type=fresh.type,
        agent=fresh.agent,
        depends_on=fresh.depends_on,
        scope=fresh.scope,
        acceptance=fresh.acceptance,
        estimate_hours=fresh.estimate_hours,
        body=fresh.body,
        extra={**{k: v for k, v in existing.extra.items() if k != FORM_SECTIONS}, **fresh.extra},
    )
    if updated == existing:
        return None
    return updated.with_event("updated", at=now, by=BOT, note="issue form edited")


def run_intake(app: App, payload: dict[str, Any], opts: TaskOptions | None = None) -> IntakeOutcome:
    opts = opts or options(app)
    number = int(require(payload, "issue.number"))
    issue = payload["issue"]
    labels = [lbl.get("name", "") if isinstance(lbl, dict) else str(lbl) for lbl in issue.get("labels") or []]
    if issue.get("pull_request") is not None:
        return IntakeOutcome(number, "skipped", note="a pull request, not an issue")
    if opts.intake_label not in labels:
        return IntakeOutcome(number, "skipped", note=f"no {opts.intake_label!r} label")
    sender = str((payload.get("sender") or {}).get("login") or (issue.get("user") or {}).get("login") or "")
    permission = app.forge.get_permission(sender) if sender else "none"
    if PERMISSIONS.index(permission if permission in PERMISSIONS else "none") < PERMISSIONS.index(opts.min_permission):
        outcome = IntakeOutcome(
            number,
            "unauthorized",
            note=f"@{sender or '?'} has {permission} permission; queueing AI tasks needs {opts.min_permission}",
        )
        if not app.dry_run:
            from leadforge.forge.base import upsert_issue_comment

            upsert_issue_comment(
                app.forge,
                number,
                INTAKE_MARKER,
                f"This issue was not queued as an AI task: {outcome.note}. A maintainer can re-apply "
                f"the `{opts.intake_label}` label or edit the issue to queue it.",
            )
        return outcome
    profiles = load_profiles(app.repo, opts.profiles_dir)
    fields = form_fields(app.repo)
    reading = read_form(str(issue.get("body") or ""), fields)
    created = str(issue.get("created_at") or "") or current_time(app)
    result = task_from_form(
        reading.answers,
        issue=number,
        title=str(issue.get("title") or ""),
        created=created,
        agents=[p.name for p in profiles],
        sections=reading.unmatched,
    )
    notes = reading_notes(reading, fields, kept=result.task is not None)
    report = form_report(reading, fields)
    forge_needed = not app.dry_run
    if result.task is None:
        outcome = IntakeOutcome(number, "invalid", errors=list(result.errors), form=report)
        queued = load_queue(app.repo).get(f"task-{number}")
        if queued is not None:
            outcome.task = queued.id
            outcome.note = f"{queued.id} ({queued.state}) keeps its last valid version"
        if forge_needed:
            from leadforge.forge.base import upsert_issue_comment

            body = invalid_comment(outcome.errors, opts.needs_info_label, notes)
            if queued is not None:
                body = body.replace(
                    "This issue could not be queued as an AI task yet:",
                    f"This edit was not applied: **{queued.id}** ({queued.state}) keeps its last valid version.",
                    1,
                )
            upsert_issue_comment(app.forge, number, INTAKE_MARKER, body)
            app.forge.add_labels(number, [opts.needs_info_label])
        else:
            app.out.would(f"comment on #{number} listing {len(result.errors)} problem(s) and add label {opts.needs_info_label}")
        return outcome

    fresh = result.task
    holder: dict[str, Any] = {}

    def apply() -> str | None:
        queue = load_queue(app.repo)
        existing = queue.get(fresh.id)
        now = current_time(app)
        if existing is None:
            task = fresh.with_event("queued", at=now, by=BOT, note=f"from issue #{number}")
            status = "queued"
        elif existing.state != "pending":
            holder.update(status="kept", task=existing)
            return None
        else:
            merged = _merge(existing, fresh, now)
            if merged is None:
                holder.update(status="unchanged", task=existing)
                return None
            task, status = merged, "updated"
        holder.update(status=status, task=task)
        if app.dry_run:
            return None
        write_task(app.repo, task)
        tasks = [t for t in queue.tasks if t.id != task.id] + [task]
        changed = [task.relpath().as_posix()]
        index = write_index(app.repo, Queue(tuple(tasks), queue.errors))
        if index:
            changed.append(index)
        app.git.add(changed)
        return f"tasks: {status} {task.id} from #{number}\n\n[skip ci]"

    if app.dry_run:
        apply()
        app.out.would(f"{holder['status']} {fresh.id} in pending/ and comment on #{number}")
        return IntakeOutcome(number, holder["status"], fresh.id, form=report)
    sha = transact_queue(app, opts, apply)
    task = holder["task"]
    outcome = IntakeOutcome(number, holder["status"], task.id, commit=sha, form=report)
    from leadforge.forge.base import upsert_issue_comment

    if outcome.status == "kept":
        outcome.note = f"{task.id} is {task.state}; form edits are not applied once a task has started"
        upsert_issue_comment(
            app.forge,
            number,
            INTAKE_MARKER,
            f"**{task.id}** is already {task.state}; edits to the form are not applied to a started task.",
        )
        return outcome
    upsert_issue_comment(app.forge, number, INTAKE_MARKER, queued_comment(task, outcome.status, notes))
    if opts.needs_info_label in labels:
        with contextlib.suppress(LeadforgeError):
            app.forge.remove_label(number, opts.needs_info_label)
    return outcome


def intake_command(app: App, event: str | None) -> int:
    payload = load_event(event or app.context.event_path)
    outcome = run_intake(app, payload)
    human = {
        "queued": f"#{outcome.issue}: queued as {outcome.task}",
        "updated": f"#{outcome.issue}: {outcome.task} updated from the edited form",
        "unchanged": f"#{outcome.issue}: {outcome.task} unchanged",
        "kept": f"#{outcome.issue}: {outcome.note}",
        "skipped": f"#{outcome.issue}: skipped ({outcome.note})",
        "unauthorized": f"#{outcome.issue}: not queued ({outcome.note})",
        "invalid": (
            f"#{outcome.issue}: edit not applied, {outcome.note}:\n" if outcome.note else f"#{outcome.issue}: not queued:\n"
        )
        + "\n".join(f"  - {e}" for e in outcome.errors),
    }[outcome.status]
    app.out.result(outcome.to_dict(), human)
    if outcome.task:
        app.actions.set_output("task", outcome.task)
    app.actions.set_output("status", outcome.status)
    return 0
