"""What the service serves between two builds: a frozen ``Snapshot`` of the queue, the report and the site.

Everything here is pure: ``snapshot_from`` takes what ``build`` read (tasks, profiles, the dispatcher's
blocked list, task-branch commit dates, the metrics report) and returns plain records; ``stale_tasks``
and ``queue_document`` add the one input that changes between builds, the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from leadforge.metrics.compute import People, Sample, timeline
from leadforge.metrics.compute import iso as iso_time
from leadforge.tasks.profiles import Profile
from leadforge.tasks.service import task_summary
from leadforge.tasks.sweep import last_activity
from leadforge.tasks.taskfile import STATES, Task, parse_timestamp


@dataclass(frozen=True, slots=True)
class TaskView:
    """One task as the service reports it."""

    id: str
    state: str
    priority: str
    agent: str  # who holds it (assigned_to), else the task's own agent field ("auto": the dispatcher picks)
    queued_at: float | None  # epoch seconds: created, else the first queue entry
    last_activity: float | None  # in progress: newest of assigned_at, heartbeat_at, a commit on its branch
    own_activity: float | None  # in progress: newest of assigned_at, heartbeat_at (the task file alone)
    blocked: str  # why it cannot move ("" when it can)
    ready: bool  # pending, not blocked, every dependency completed: it waits only for an agent
    branch: str = ""
    summary: Mapping[str, Any] = field(default_factory=dict)  # the `leadforge task list --json` row


@dataclass(frozen=True, slots=True)
class Checkout:
    commit: str
    branch: str
    committed_at: float | None = None  # epoch seconds of HEAD's committer date


@dataclass(frozen=True, slots=True)
class Snapshot:
    checkout: Checkout
    built_at: float
    build_seconds: float
    tasks: tuple[TaskView, ...]
    unreadable: tuple[tuple[str, str], ...]  # (file, message)
    capacity: Mapping[str, int]  # agent profile -> tasks at once
    report: Mapping[str, Any]  # the `leadforge metrics --json` report, all time
    samples: tuple[Sample, ...]
    stale_after_seconds: float
    requeue_after_seconds: float
    site: Mapping[str, bytes] = field(default_factory=dict)  # the dashboard: relative path -> content
    refs: Mapping[str, str] = field(default_factory=dict)  # branch -> newest commit date (ISO), for activity

    @property
    def commit(self) -> str:
        return self.checkout.commit


def epoch(value: str | None) -> float | None:
    moment = parse_timestamp(value)
    return moment.timestamp() if moment else None


def iso(seconds: float | None) -> str | None:
    """Epoch seconds as the report writes times (``metrics.compute.iso``: UTC, whole seconds, ``Z``)."""
    return None if seconds is None else iso_time(datetime.fromtimestamp(seconds, UTC))


def blocked_reasons(tasks: Iterable[Task], dispatch_blocked: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Task id -> why it is blocked: the dispatcher's verdict (cycles, unknown dependencies or agents, no
    profile takes it), else the task's own ``blocked_reason``. Completed tasks are never blocked."""
    reasons = dict(dispatch_blocked)
    for task in tasks:
        if task.state != "completed" and task.blocked_reason and task.id not in reasons:
            reasons[task.id] = task.blocked_reason
    return reasons


def _activity(task: Task) -> float | None:
    """The sweep's notion of a sign of life, from the task file (``tasks.sweep.last_activity``)."""
    if task.state != "in-progress":
        return None
    moment = last_activity(task)
    return moment.timestamp() if moment else None


def _newest(*stamps: float | None) -> float | None:
    return max((s for s in stamps if s is not None), default=None)


def task_views(tasks: Sequence[Task], blocked: Mapping[str, str], refs: Mapping[str, str]) -> tuple[TaskView, ...]:
    completed = {t.id for t in tasks if t.state == "completed"}
    nobody = People()
    views = []
    for task in sorted(tasks, key=lambda t: (STATES.index(t.state), t.priority, t.id)):
        queued = timeline(task, nobody).queued_at
        own = _activity(task)
        pushed = epoch(refs.get(task.branch)) if task.state == "in-progress" and task.branch else None
        reason = blocked.get(task.id, "")
        ready = task.state == "pending" and not reason and all(d in completed for d in task.depends_on)
        views.append(
            TaskView(
                id=task.id,
                state=task.state,
                priority=task.priority,
                agent=task.assigned_to or task.agent,
                queued_at=queued.timestamp() if queued else None,
                last_activity=_newest(own, pushed),
                own_activity=own,
                blocked=reason,
                ready=ready,
                branch=task.branch or "",
                summary=task_summary(task),
            )
        )
    return tuple(views)


def with_refs(snapshot: Snapshot, refs: Mapping[str, str]) -> Snapshot:
    """The same snapshot with new task-branch dates (a push to a task branch moves only its activity)."""
    tasks = tuple(
        replace(view, last_activity=_newest(view.own_activity, epoch(refs.get(view.branch))))
        if view.state == "in-progress" and view.branch
        else view
        for view in snapshot.tasks
    )
    return replace(snapshot, tasks=tasks, refs=dict(refs))


def snapshot_from(
    *,
    checkout: Checkout,
    tasks: Sequence[Task],
    problems: Sequence[tuple[str, str]],
    profiles: Sequence[Profile],
    dispatch_blocked: Iterable[tuple[str, str]],
    refs: Mapping[str, str],
    report: Mapping[str, Any],
    samples: Sequence[Sample],
    stale_after_hours: float,
    requeue_after_hours: float,
    site: Mapping[str, str | bytes],
    built_at: float,
    build_seconds: float,
) -> Snapshot:
    blocked = blocked_reasons(tasks, dispatch_blocked)
    return Snapshot(
        checkout=checkout,
        built_at=built_at,
        build_seconds=build_seconds,
        tasks=task_views(tasks, blocked, refs),
        unreadable=tuple(problems),
        capacity={p.name: p.capacity for p in profiles},
        report=report,
        samples=tuple(samples),
        stale_after_seconds=stale_after_hours * 3600,
        requeue_after_seconds=requeue_after_hours * 3600,
        site={path: content.encode("utf-8") if isinstance(content, str) else content for path, content in site.items()},
        refs=dict(refs),
    )


# ---- what the clock adds ------------------------------------------------------------------------


def is_stale(view: TaskView, now: float, stale_after_seconds: float) -> bool:
    """In progress and silent for the sweep's ``stale_after_hours`` (the moment the sweep would warn)."""
    return view.state == "in-progress" and view.last_activity is not None and now - view.last_activity >= stale_after_seconds


def stale_tasks(snapshot: Snapshot, now: float) -> list[TaskView]:
    return [v for v in snapshot.tasks if is_stale(v, now, snapshot.stale_after_seconds)]


def queue_document(snapshot: Snapshot, now: float, refreshed_at: float | None) -> dict[str, Any]:
    """``GET /api/queue``: every task (the `task list --json` row plus what the service knows), counts, errors."""
    counts = dict.fromkeys(STATES, 0)
    rows = []
    for view in snapshot.tasks:
        counts[view.state] += 1
        stale = is_stale(view, now, snapshot.stale_after_seconds)
        rows.append(
            {
                **view.summary,
                "blocked": view.blocked,
                "ready": view.ready,
                "stale": stale,
                "last_activity": iso(view.last_activity),
            }
        )
    return {
        "commit": snapshot.checkout.commit,
        "branch": snapshot.checkout.branch,
        "built_at": iso(snapshot.built_at),
        "refreshed_at": iso(refreshed_at),
        "counts": counts,
        "blocked": sum(1 for v in snapshot.tasks if v.blocked),
        "ready": sum(1 for v in snapshot.tasks if v.ready),
        "stale": sum(1 for r in rows if r["stale"]),
        "stale_after_hours": snapshot.stale_after_seconds / 3600,
        "tasks": rows,
        "errors": [{"file": path, "error": message} for path, message in snapshot.unreadable],
    }
