"""The queue on disk: ``docs/TASKS/queue/<state>/<id>.md``; the folder is the state.

``load_queue`` reads every task file into a ``Queue`` (tasks plus one ``FileError`` per file it could
not read: the file and the key, and the file is left alone). ``write_task`` and ``move_task`` are
temp-file + rename; a move writes the new file before it removes the old one, so a crash leaves the
task in two folders (repaired on the next load: the later state wins) but never in none.
``render_index`` is the ``README.md`` table of every task by state.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from leadforge.errors import InputError
from leadforge.fsutil import atomic_write
from leadforge.tasks.taskfile import QUEUE_DIR, STATES, Task, parse_task, render_task

INDEX_NAME = "README.md"
_STATE_RANK = {state: rank for rank, state in enumerate(STATES)}


@dataclass(frozen=True, slots=True)
class FileError:
    path: str  # relative to the repository root
    message: str  # one line naming the key

    def to_dict(self) -> dict[str, str]:
        return {"file": self.path, "error": self.message}


@dataclass(frozen=True, slots=True)
class Queue:
    tasks: tuple[Task, ...]
    errors: tuple[FileError, ...] = ()

    def by_id(self) -> dict[str, Task]:
        return {t.id: t for t in self.tasks}

    def in_state(self, state: str) -> list[Task]:
        return [t for t in self.tasks if t.state == state]

    def get(self, task_id: str) -> Task | None:
        for task in self.tasks:
            if task.id == task_id:
                return task
        return None


def queue_root(repo: Path) -> Path:
    return Path(repo) / QUEUE_DIR


def _read(path: Path) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def load_queue(repo: str | os.PathLike[str], states: Sequence[str] = STATES) -> Queue:
    """Every task in ``states``; unreadable files become ``errors`` (file + key), never exceptions."""
    # Tens of thousands of small dicts/lists/records and no reference cycles: the cyclic collector
    # would run hundreds of times for nothing, so it pauses while the queue is read.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_queue(Path(repo), states)
    finally:
        if enabled:
            gc.enable()


def _load_queue(repo: Path, states: Sequence[str]) -> Queue:
    root = queue_root(repo)
    found: dict[str, Task] = {}
    errors: list[FileError] = []
    for state in states:
        folder = root / state
        try:
            entries = sorted(e.name for e in os.scandir(folder) if e.name.endswith(".md") and e.is_file())
        except FileNotFoundError:
            continue
        rel_folder = f"{QUEUE_DIR.as_posix()}/{state}"
        for name in entries:
            rel = f"{rel_folder}/{name}"
            try:
                text = _read(folder / name)
                task = parse_task(text, state=state, source=rel)
                if task.id != name[:-3]:
                    raise InputError(f"{rel}: 'id' is {task.id!r} but the file is named {name}")
            except UnicodeDecodeError:
                errors.append(FileError(rel, f"{rel}: not UTF-8 text"))
                continue
            except InputError as err:
                errors.append(FileError(rel, str(err)))
                continue
            previous = found.get(task.id)
            # a move interrupted between write and unlink: the later state is the truth
            if previous is not None and _STATE_RANK[previous.state] >= _STATE_RANK[state]:
                continue
            found[task.id] = task
    return Queue(tuple(found.values()), tuple(errors))


def stale_copies(repo: str | os.PathLike[str], tasks: Iterable[Task]) -> list[Path]:
    """Files of ``tasks`` left behind in an earlier state's folder (interrupted moves)."""
    root = queue_root(Path(repo))
    leftovers = []
    for task in tasks:
        for state in STATES:
            if state != task.state and (root / state / task.filename).exists():
                leftovers.append(root / state / task.filename)
    return leftovers


def task_path(repo: str | os.PathLike[str], task: Task, state: str | None = None) -> Path:
    return Path(repo) / task.relpath(state)


def write_task(repo: str | os.PathLike[str], task: Task) -> Path:
    """Write ``task`` into its state's folder (temp file + rename)."""
    return atomic_write(task_path(repo, task), render_task(task))


def move_task(repo: str | os.PathLike[str], old: Task, new: Task) -> list[str]:
    """Write ``new`` into its folder, then remove ``old``'s file if it was elsewhere.

    Returns the paths (relative to the repository) that changed, for ``git add``.
    """
    target = write_task(repo, new)
    changed = [target.relative_to(Path(repo)).as_posix()]
    if old.state != new.state or old.id != new.id:
        source = task_path(repo, old)
        source.unlink(missing_ok=True)
        changed.append(source.relative_to(Path(repo)).as_posix())
    return changed


# ---- README index ---------------------------------------------------------------------------------------


def _cell(text: object) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def render_index(tasks: Iterable[Task], errors: Sequence[FileError] = ()) -> str:
    """``docs/TASKS/queue/README.md``: every task by state, generated (do not edit by hand)."""
    by_state: dict[str, list[Task]] = {state: [] for state in STATES}
    for task in tasks:
        by_state[task.state].append(task)
    lines = [
        "# Task queue",
        "",
        "<!-- Generated by `leadforge task` on every queue change; do not edit by hand. -->",
        "",
        (
            "The folder is the state: `pending/` waits for dispatch, `in-progress/` is with an agent, `completed/` is "
            "verified and merged. See [docs/tasks.md](../../tasks.md)."
        ),
        "",
        "| state | tasks |",
        "| --- | --- |",
    ]
    for state in STATES:
        lines.append(f"| {state} | {len(by_state[state])} |")
    for state in STATES:
        items = by_state[state]
        lines += ["", f"## {state} ({len(items)})", ""]
        if not items:
            lines.append("_none_")
            continue
        if state == "pending":
            items.sort(key=lambda t: (t.priority, t.created, t.id))
            lines += [
                "| id | priority | type | title | issue | agent | depends on |",
                "| --- | --- | --- | --- | --- | --- | --- |",
            ]
            for t in items:
                lines.append(
                    f"| [{t.id}]({state}/{t.filename}) | {t.priority} | {t.type} | {_cell(t.title)} | "
                    f"{'#' + str(t.issue) if t.issue else ''} | {_cell(t.agent)} | {_cell(', '.join(t.depends_on))} |"
                )
        elif state == "in-progress":
            items.sort(key=lambda t: (t.assigned_at or "", t.id))
            lines += ["| id | priority | title | issue | agent | branch | since |", "| --- | --- | --- | --- | --- | --- | --- |"]
            for t in items:
                lines.append(
                    f"| [{t.id}]({state}/{t.filename}) | {t.priority} | {_cell(t.title)} | "
                    f"{'#' + str(t.issue) if t.issue else ''} | {_cell(t.assigned_to)} | `{_cell(t.branch)}` | "
                    f"{_cell(t.assigned_at)} |"
                )
        else:
            items.sort(key=lambda t: (t.completed_at or "", t.id), reverse=True)
            lines += ["| id | title | issue | agent | pr | completed |", "| --- | --- | --- | --- | --- | --- |"]
            for t in items:
                lines.append(
                    f"| [{t.id}]({state}/{t.filename}) | {_cell(t.title)} | {'#' + str(t.issue) if t.issue else ''} | "
                    f"{_cell(t.assigned_to)} | {'#' + str(t.pr) if t.pr else ''} | {_cell(t.completed_at)} |"
                )
    if errors:
        lines += ["", "## unreadable task files", ""]
        for error in errors:
            lines.append(f"- `{error.path}`: {_cell(error.message)}")
    return "\n".join(lines) + "\n"


def write_index(repo: str | os.PathLike[str], queue: Queue) -> str | None:
    """Regenerate the README; returns its relative path when it changed, else None."""
    path = queue_root(Path(repo)) / INDEX_NAME
    text = render_index(queue.tasks, queue.errors)
    try:
        if path.read_text(encoding="utf-8") == text:
            return None
    except FileNotFoundError:
        pass
    atomic_write(path, text)
    return path.relative_to(Path(repo)).as_posix()


def ensure_folders(repo: str | os.PathLike[str]) -> list[str]:
    """Create the state folders with a ``.gitkeep`` each; returns the files created."""
    made = []
    for state in STATES:
        keep = queue_root(Path(repo)) / state / ".gitkeep"
        if not keep.exists():
            atomic_write(keep, "")
            made.append(keep.relative_to(Path(repo)).as_posix())
    return made
