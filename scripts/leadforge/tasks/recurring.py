"""Recurring tasks: templates with ``schedule: "<cron>"`` in ``docs/TASKS/recurring/``, instantiated by the sweep.

A template is a task file without a state: the same front matter (``title``, ``priority``, ``type``, ``agent``,
``scope``, ``acceptance``, ``estimate_hours``, ``depends_on``...) plus ``schedule``, a five-field cron expression in
UTC read by croniter. When the sweep runs, each template's latest fire time at or before now is its *period*; the
instance ``<template>-<YYYYMMDD>t<HHMM>`` (that fire time) is queued unless a task with that id exists in any state.
The id is a function of template and period only, so re-runs and racing sweeps write the same file (the queue commit's
re-deciding retry sees the winner's file and does nothing). Missed periods are not back-filled: a sweep that was down
for three weeks makes one instance, for the latest period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from leadforge.errors import InputError
from leadforge.tasks.taskfile import ID_RE, Task, parse_timestamp, split_front_matter, task_from_mapping


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    schedule: str
    task: Task  # the fields every instance gets (id and created are set per instance)
    source: str


def parse_template(text: str, *, name: str, source: str) -> Template:
    import yaml

    front, body = split_front_matter(text, source)
    try:
        data = yaml.load(front, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as err:
        raise InputError(f"{source}: front matter is not valid YAML: {getattr(err, 'problem', err)}") from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: front matter must be a mapping of keys")
    schedule = data.pop("schedule", None)
    if not isinstance(schedule, str) or not schedule.strip():
        raise InputError(f"{source}: 'schedule' is required: a cron expression such as \"0 6 * * 1\" (UTC)")
    schedule = schedule.strip()
    check_schedule(schedule, source)
    for key in ("assigned_to", "assigned_at", "branch", "pr", "completed_at", "history", "cost", "issue"):
        if key in data:
            raise InputError(f"{source}: '{key}' has no meaning in a template (each instance gets its own)")
    if not ID_RE.match(name):
        raise InputError(f"{source}: the template's file name must match [a-z0-9-]+.md")
    data["id"] = data.get("id") or name
    if data["id"] != name:
        raise InputError(f"{source}: 'id' is {data['id']!r} but the file is named {name}.md")
    task = task_from_mapping(data, state="pending", body=body, source=source)
    return Template(name, schedule, task, source)


def check_schedule(schedule: str, source: str) -> None:
    from croniter import croniter

    if len(schedule.split()) != 5 or not croniter.is_valid(schedule):
        raise InputError(f"{source}: 'schedule' {schedule!r} is not a five-field cron expression (minute hour day month weekday)")


def latest_fire(schedule: str, now: datetime) -> datetime:
    """The latest time at or before ``now`` that ``schedule`` fires (UTC)."""
    from croniter import croniter

    probe = now.astimezone(UTC).replace(second=0, microsecond=0)
    if croniter.match(schedule, probe):
        return probe
    return croniter(schedule, probe).get_prev(datetime)


def instance_id(template: str, fire: datetime) -> str:
    return f"{template}-{fire:%Y%m%d}t{fire:%H%M}"


def due_instances(templates: Sequence[Template], tasks: Sequence[Task], now: str) -> list[Task]:
    """The instances to queue now: one per template whose current period has none yet (pure)."""
    clock = parse_timestamp(now)
    if clock is None:
        raise InputError(f"now: not an ISO 8601 time: {now!r}")
    existing = {t.id for t in tasks}
    made = []
    for template in sorted(templates, key=lambda t: t.name):
        fire = latest_fire(template.schedule, clock)
        task_id = instance_id(template.name, fire)
        if task_id in existing:
            continue
        stamp = fire.isoformat().replace("+00:00", "Z")
        base = replace(template.task, id=task_id, created=stamp, from_template=template.name, history=())
        made.append(
            base.with_event(
                "queued",
                at=now,
                by="leadforge",
                note=f"from recurring template {template.name} (schedule {template.schedule!r}, period {stamp})",
            )
        )
        existing.add(task_id)
    return made


def load_templates(repo: Path, folder: str) -> tuple[list[Template], list[tuple[str, str]]]:
    """Every ``<folder>/*.md`` template; unreadable ones are returned as (file, message), never raised."""
    root = Path(repo) / folder
    templates: list[Template] = []
    problems: list[tuple[str, str]] = []
    if not root.is_dir():
        return templates, problems
    for path in sorted(root.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        rel = f"{folder.rstrip('/')}/{path.name}"
        try:
            templates.append(parse_template(path.read_text(encoding="utf-8"), name=path.stem, source=rel))
        except (InputError, UnicodeDecodeError) as err:
            problems.append((rel, str(err)))
    return templates, problems
