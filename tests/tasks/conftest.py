"""Helpers for the task-queue tests: write tasks and profiles into a repository."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leadforge.tasks.store import write_task
from leadforge.tasks.taskfile import Task

PROFILES = {
    "copilot": (
        "name: copilot\nhandoff:\n  assign: Copilot\ntakes:\n  types: [feature, bug, refactor, test]\ncapacity: 2\nweight: 30\n"
    ),
    "claude": 'name: claude\nhandoff:\n  comment: "@claude please implement {id}: {title} on {branch}"\n'
    "capacity: 1\nweight: 50\n",
    "human": "name: human\nhandoff:\n  label: needs-human\ncapacity: 5\nweight: 0\n",
}


def add_task(repo: Path, task_id: str, state: str = "pending", **fields: Any) -> Task:
    fields.setdefault("title", f"Title of {task_id}")
    fields.setdefault("created", "2026-01-01T00:00:00Z")
    task = Task(id=task_id, state=state, **fields)
    task = task.with_event("queued", at=str(fields["created"]), by="test")
    write_task(repo, task)
    return task


def add_profiles(repo: Path, profiles: dict[str, str] | None = None) -> None:
    folder = repo / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (profiles or PROFILES).items():
        (folder / f"{name}.yml").write_text(text, encoding="utf-8")
