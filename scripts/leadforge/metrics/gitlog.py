"""Git history for metrics: one ``git log`` for the whole queue, parsed and mapped to tasks.

One call reads every commit reachable from the measured ref with its parents, date,
author, message and ``--numstat`` (merges diffed against their first parent, i.e.
the whole pull request). The first-parent chain is what landed on the branch;
each of its commits is mapped to a task by, in order: a ``Leadforge-Task:``
trailer, the pull request number (``Merge pull request #N`` or a squash subject
ending ``(#N)``), the merged branch name, or ``Closes/Fixes/Resolves #issue``.
Commits reachable only through a merge's second parent belong to that merge, so
a revert of one of them is charged to the merge's task too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from leadforge.tasks.taskfile import Task, parse_timestamp

RECORD = "\x1e"
FIELD = "\x1f"
LOG_FORMAT = f"--format={RECORD}%H %P{FIELD}%cI{FIELD}%an{FIELD}%ae{FIELD}%B{FIELD}"


def log_argv(ref: str) -> list[str]:
    """The one git call: every commit of ``ref`` with numstat (merges against their first parent)."""
    return [
        "git",
        "-c",
        "core.quotepath=off",
        "log",
        "--no-renames",
        "--no-color",
        "--diff-merges=first-parent",
        "--numstat",
        LOG_FORMAT,
        ref,
        "--",
    ]


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    date: str
    author: str
    email: str
    message: str
    files: tuple[tuple[str, int, int], ...] = ()  # (path, added, removed); binaries count 0

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0].strip()

    @property
    def added(self) -> int:
        return sum(f[1] for f in self.files)

    @property
    def removed(self) -> int:
        return sum(f[2] for f in self.files)


def _unquote(path: str) -> str:
    if len(path) >= 2 and path[0] == '"' and path[-1] == '"':
        return (
            path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")
        )
    return path


def parse_log(text: str) -> list[Commit]:
    """Parse ``log_argv`` output (newest first)."""
    commits = []
    for record in text.split(RECORD):
        if not record.strip():
            continue
        parts = record.split(FIELD)
        if len(parts) < 6:
            continue
        shas = parts[0].split()
        files = []
        for line in parts[5].splitlines():
            if not line:
                continue
            cols = line.split("\t", 2)
            if len(cols) != 3:
                continue
            added = int(cols[0]) if cols[0].isdigit() else 0
            removed = int(cols[1]) if cols[1].isdigit() else 0
            files.append((_unquote(cols[2]), added, removed))
        commits.append(
            Commit(
                sha=shas[0],
                parents=tuple(shas[1:]),
                date=parts[1],
                author=parts[2],
                email=parts[3],
                message=parts[4].strip("\n"),
                files=tuple(files),
            )
        )
    return commits


# ---- mapping commits to tasks (pure) ---------------------------------------------------------

# the task queue and the metrics reports: bookkeeping, never anybody's work
QUEUE_PREFIXES = ("docs/TASKS/", "docs/metrics/")
_TRAILER = re.compile(r"^(?:Leadforge-Task|Task-Id):\s*([a-z0-9][a-z0-9-]*)\s*$", re.MULTILINE | re.IGNORECASE)
_MERGE_PR = re.compile(r"^Merge pull request #(\d+) from [^/\s]+/(\S+)")
_MERGE_BRANCH = re.compile(r"^Merge (?:remote-tracking )?branch '([^']+)'")
_SQUASH_PR = re.compile(r"\(#(\d+)\)\s*$")
_CLOSES = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#(\d+)\b", re.IGNORECASE)
_REVERTS_SHA = re.compile(r"This reverts commit ([0-9a-f]{7,40})")
_REVERTS_PR = re.compile(r"^Reverts (?:[\w.-]+/[\w.-]+)?#(\d+)", re.MULTILINE)
_BRANCH_TASK = re.compile(r"^(?:[\w.-]+/)?ai/([a-z0-9][a-z0-9-]*?)(?:-[a-z0-9-]*)?$")


@dataclass(frozen=True, slots=True)
class TaskKeys:
    """Lookup tables from the queue: pull request, branch and issue to task id."""

    ids: frozenset[str]
    by_pr: Mapping[int, str]
    by_branch: Mapping[str, str]
    by_issue: Mapping[int, str]

    @classmethod
    def of(cls, tasks: Iterable[Task]) -> TaskKeys:
        ids: set[str] = set()
        by_pr: dict[int, str] = {}
        by_branch: dict[str, str] = {}
        by_issue: dict[int, str] = {}
        for task in tasks:
            ids.add(task.id)
            if task.pr is not None:
                by_pr[task.pr] = task.id
            if task.branch:
                by_branch[task.branch] = task.id
            if task.issue is not None:
                by_issue.setdefault(task.issue, task.id)
        return cls(frozenset(ids), by_pr, by_branch, by_issue)


def _branch_task(branch: str, keys: TaskKeys) -> str | None:
    for name in (branch, branch.removeprefix("origin/")):
        if name in keys.by_branch:
            return keys.by_branch[name]
    match = _BRANCH_TASK.match(branch.removeprefix("origin/"))
    if match:
        # ai/<id>-<slug>: the id is the longest known prefix
        rest = branch.removeprefix("origin/").split("ai/", 1)[1]
        pieces = rest.split("-")
        for end in range(len(pieces), 0, -1):
            candidate = "-".join(pieces[:end])
            if candidate in keys.ids:
                return candidate
    return None


def task_of(commit: Commit, keys: TaskKeys) -> str | None:
    """The task a first-parent commit delivers, or None."""
    message = commit.message
    trailer = _TRAILER.search(message)
    if trailer and trailer.group(1) in keys.ids:
        return trailer.group(1)
    subject = commit.subject
    merge = _MERGE_PR.match(subject)
    if merge:
        pr = int(merge.group(1))
        if pr in keys.by_pr:
            return keys.by_pr[pr]
        found = _branch_task(merge.group(2), keys)
        if found:
            return found
    branch = _MERGE_BRANCH.match(subject)
    if branch:
        found = _branch_task(branch.group(1), keys)
        if found:
            return found
    squash = _SQUASH_PR.search(subject)
    if squash and int(squash.group(1)) in keys.by_pr:
        return keys.by_pr[int(squash.group(1))]
    for match in _CLOSES.finditer(message):
        issue = int(match.group(1))
        if issue in keys.by_issue:
            return keys.by_issue[issue]
    return None


@dataclass(frozen=True, slots=True)
class Landed:
    """A commit of the first-parent chain: what landed on the branch, and when."""

    sha: str
    at: datetime | None
    task: str | None
    author: str
    email: str
    added: int
    removed: int
    paths: tuple[str, ...]
    is_merge: bool


@dataclass(frozen=True, slots=True)
class Revert:
    sha: str
    at: datetime | None
    target_task: str  # the task whose work was reverted


@dataclass(frozen=True, slots=True)
class GitIndex:
    """What metrics need from history: landed commits (with their task) and reverts of task work."""

    landed: tuple[Landed, ...] = ()
    reverts: tuple[Revert, ...] = ()
    commits: int = 0
    by_task: Mapping[str, tuple[Landed, ...]] = field(default_factory=dict)

    def merged_at(self, task_id: str) -> datetime | None:
        times = [c.at for c in self.by_task.get(task_id, ()) if c.at]
        return max(times) if times else None


def index_history(commits: list[Commit], keys: TaskKeys) -> GitIndex:
    """Walk ``commits`` (newest first, as ``git log`` prints them) into a ``GitIndex``."""
    if not commits:
        return GitIndex()
    by_sha = {c.sha: c for c in commits}
    chain: list[Commit] = []  # the first-parent chain from the tip
    on_chain: set[str] = set()
    node: Commit | None = commits[0]
    while node is not None and node.sha not in on_chain:
        on_chain.add(node.sha)
        chain.append(node)
        node = by_sha.get(node.parents[0]) if node.parents else None
    chain.reverse()  # oldest first
    owner: dict[str, str | None] = {}  # commit -> task of the chain commit that brought it in
    bringer: dict[str, Commit] = {}  # commit -> that chain commit
    landed = []
    for commit in chain:
        task = task_of(commit, keys)
        if task and commit.files and all(f[0].startswith(QUEUE_PREFIXES) for f in commit.files):
            # the queue's own bookkeeping ("tasks: complete task-3 (#12)") names the PR but delivers no work
            task = None
        owner[commit.sha], bringer[commit.sha] = task, commit
        stack = list(commit.parents[1:])  # what this merge brought in that no earlier one did
        while stack:
            sha = stack.pop()
            if sha in owner or sha in on_chain:
                continue
            owner[sha], bringer[sha] = task, commit
            side = by_sha.get(sha)
            if side is not None:
                stack.extend(side.parents)
        author, email = commit.author, commit.email
        if len(commit.parents) > 1 and commit.parents[1] in by_sha:
            side = by_sha[commit.parents[1]]
            author, email = side.author, side.email  # a merge's author is whoever clicked merge
        landed.append(
            Landed(
                sha=commit.sha,
                at=parse_timestamp(commit.date),
                task=task,
                author=author,
                email=email,
                added=commit.added,
                removed=commit.removed,
                paths=tuple(f[0] for f in commit.files),
                is_merge=len(commit.parents) > 1,
            )
        )
    reverts: list[Revert] = []
    counted: set[tuple[str, str]] = set()
    prefixes: dict[str, str] | None = None
    for commit in commits:
        via = bringer.get(commit.sha)
        if via is None or ("revert" not in commit.message.lower()):
            continue
        own = owner.get(commit.sha)
        targets: set[str] = set()
        for match in _REVERTS_SHA.finditer(commit.message):
            short = match.group(1)
            full_sha: str | None = short
            if short not in owner:
                if prefixes is None:
                    prefixes = {}
                    for full in owner:
                        prefixes.setdefault(full[:7], full)
                full_sha = prefixes.get(short[:7])
                if full_sha is not None and not full_sha.startswith(short):
                    full_sha = None
            target = owner.get(full_sha) if full_sha else None
            if target:
                targets.add(target)
        for match in _REVERTS_PR.finditer(commit.message):
            pr = int(match.group(1))
            if pr in keys.by_pr:
                targets.add(keys.by_pr[pr])
        for target in sorted(targets):
            if target != own and (via.sha, target) not in counted:
                counted.add((via.sha, target))
                reverts.append(Revert(via.sha, parse_timestamp(via.date), target))
    by_task: dict[str, list[Landed]] = {}
    for item in landed:
        if item.task:
            by_task.setdefault(item.task, []).append(item)
    return GitIndex(
        landed=tuple(landed),
        reverts=tuple(reverts),
        commits=len(commits),
        by_task={k: tuple(v) for k, v in by_task.items()},
    )
