"""The edges of metrics: read the queue from disk, git history in one call, reviews from the forge.

``gather`` returns plain inputs for ``compute.compute``. The single ``git log``
runs in a background thread while the task files are parsed, so the two costs
overlap instead of adding up.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadforge.errors import GitError, LeadforgeError, ToolError
from leadforge.gitrepo import GitRepo
from leadforge.metrics.compute import People, PullInfo
from leadforge.metrics.gitlog import Commit, GitIndex, TaskKeys, index_history, log_argv, parse_log
from leadforge.tasks.taskfile import Task, parse_timestamp


@dataclass(frozen=True, slots=True)
class Inputs:
    tasks: tuple[Task, ...]
    problems: tuple[tuple[str, str], ...]
    git: GitIndex | None
    git_note: str = ""


def load_queue(repo: Path) -> tuple[list[Task], list[tuple[str, str]]]:
    """Every task file under ``docs/TASKS/queue/<state>/``; unreadable ones are returned as problems, never dropped."""
    from leadforge.tasks.store import load_queue as store_load_queue  # also settles an interrupted move

    queue = store_load_queue(repo)
    problems = [(e.path, e.message.removeprefix(f"{e.path}: ")) for e in queue.errors]
    return list(queue.tasks), problems


def measured_ref(repo: Path, configured: str, default_branch: str) -> str | None:
    """The ref to read: the configured one, else the default branch (local or origin/), else HEAD; None without commits."""
    git = GitRepo(repo)
    candidates = [configured] if configured else [default_branch, f"origin/{default_branch}", "HEAD"]
    for ref in candidates:
        if git.ref_exists(ref):
            return ref
    if not git.is_repo():
        raise GitError(f"{repo} is not a git repository")
    if configured:
        raise GitError(f"metrics.ref: unknown git ref {configured!r} in {repo}")
    return None


def read_commits(repo: Path, ref: str) -> list[Commit]:
    result = GitRepo(repo).run(*log_argv(ref)[1:], check=False)
    if not result.ok:
        detail = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
        raise GitError(f"git log {ref}: {detail}")
    return parse_log(result.stdout)


def gather(repo: Path, *, ref: str = "", default_branch: str = "main", use_git: bool = True) -> Inputs:
    """Tasks and git history of ``repo``; git runs alongside the task parsing."""
    box: dict[str, Any] = {}

    def run_git() -> None:
        try:
            chosen = measured_ref(repo, ref, default_branch)
            box["commits"] = read_commits(repo, chosen) if chosen else []
            box["ref"] = chosen
        except ToolError as err:  # GitError included: not a repository, git missing, bad ref
            box["error"] = err

    worker = threading.Thread(target=run_git, daemon=True) if use_git else None
    if worker:
        worker.start()
    tasks, problems = load_queue(repo)
    index, note = None, "git not read"
    if worker:
        worker.join()
        if "error" in box:
            if ref:
                raise box["error"]
            note = f"git history unavailable: {box['error']}"
        else:
            index = index_history(box["commits"], TaskKeys.of(tasks))
            # the count of commits is left out on purpose: committing a report must not change the next report
            note = f"history of {box['ref']}" if box.get("ref") else "no commits yet"
    return Inputs(tuple(tasks), tuple(problems), index, note)


def review_rounds(states: Iterable[str]) -> int:
    """1 + reviews that requested changes; 0 for a pull request nobody reviewed."""
    submitted = [s.upper() for s in states if s and s.upper() != "PENDING"]
    if not submitted:
        return 0
    return 1 + sum(1 for s in submitted if s == "CHANGES_REQUESTED")


def fetch_pulls(forge: Any, numbers: Sequence[int], limit: int) -> tuple[dict[int, PullInfo], str]:
    """Merge time, size and review rounds of each pull request (up to ``limit``); errors become a note."""
    pulls: dict[int, PullInfo] = {}
    skipped = 0
    for number in list(dict.fromkeys(numbers))[:limit]:
        try:
            pull = forge.get_pull(number)
            reviews = forge.list_reviews(number)
        except LeadforgeError:
            skipped += 1
            continue
        pulls[number] = PullInfo(
            number=number,
            merged_at=parse_timestamp(pull.merged_at) if pull.merged else None,
            additions=pull.additions,
            deletions=pull.deletions,
            review_rounds=review_rounds(r.state for r in reviews),
        )
    extra = max(0, len(set(numbers)) - limit)
    note = f"{len(pulls)} pull requests read from the forge"
    if skipped:
        note += f", {skipped} not found"
    if extra:
        note += f", {extra} over metrics.max_forge_pulls not read"
    return pulls, note


def people_from(repo: Path, humans: Sequence[str], aliases: Mapping[str, str] | None = None) -> tuple[People, str]:
    """Agents from the queue's profiles (``profiles/*.yml``) when there are any, else every assignee counts.

    Humans: ``metrics.humans``, plus profiles with ``extra: {kind: human}`` or named ``human*``.
    """
    human_names = set(humans)
    from leadforge.tasks.profiles import load_profiles

    try:
        profiles = load_profiles(repo)
    except LeadforgeError as err:
        return People(None, frozenset(human_names), dict(aliases or {})), f"profiles not read: {err}"
    names = set()
    for profile in profiles:
        names.add(profile.name)
        kind = str((profile.extra or {}).get("kind", "")).lower()
        if kind == "human" or profile.name.startswith("human"):
            human_names.add(profile.name)
    if not names:
        return People(None, frozenset(human_names), dict(aliases or {})), ""
    return People(frozenset(names), frozenset(human_names), dict(aliases or {})), f"{len(names)} profiles"
