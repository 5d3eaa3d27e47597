"""The effects side of a release: read the range from git, the completed tasks from the queue,
the visual changes from the visual area, and hand plain data to the pure core.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leadforge.errors import GitError, InputError
from leadforge.release import gitlog
from leadforge.release.changes import Changes, analyse, parse_skip_list
from leadforge.release.conventional import compile_parsers
from leadforge.release.notes import build_context, tasks_in_range
from leadforge.semver import BumpRules, Version
from leadforge.semver import candidates as semver_candidates
from leadforge.visual.folders import ScreenshotDirs


@dataclass(frozen=True, slots=True)
class ReleaseRange:
    to: str  # the ref as given (a tag for releases)
    to_sha: str
    version: str  # the tag name, or the label for an untagged range
    previous: str | None  # the ref the range starts after (None: whole history)
    date: str  # YYYY-MM-DD (UTC) of the tag, or of the commit for an untagged range
    is_tag: bool
    prerelease: bool
    # The previous tag is chosen by version order; whether it is reachable from ``to`` is checked by
    # the same ``git log`` walk that reads the range (``--boundary``), not by a walk of its own.
    previous_sha: str | None = None
    verified: bool = True
    candidates: tuple[str, ...] = ()  # every tag the previous one could be, for the rare fallback


@dataclass(frozen=True, slots=True)
class Release:
    range: ReleaseRange
    changes: Changes
    context: dict[str, Any]
    warnings: tuple[str, ...] = ()


_PSEUDO_REF = re.compile(r"[A-Z_]+")  # HEAD, FETCH_HEAD, ORIG_HEAD...: git reads these before refs/tags/


def _day(stamp: int) -> str:
    return datetime.fromtimestamp(stamp, tz=UTC).strftime("%Y-%m-%d")


def resolve_range(
    repo: Path, prefix: str, *, to: str = "HEAD", from_: str | None = None, version: str | None = None
) -> ReleaseRange:
    """Decide the range: ``to`` (a tag, branch or commit) back to ``from_`` or, by default,
    the previous semver release tag (with ``prefix``) reachable from ``to`` (none: the whole history)."""
    try:
        tags: dict[str, tuple[str, int]] | None = gitlog.tag_commits(repo)
    except GitError:
        tags = None  # not a repository: resolve() below says so in the user's terms
    if tags is not None and to in tags and tags[to][1] and "/" not in to and not _PSEUDO_REF.fullmatch(to):
        # a tag name (the release case): for-each-ref already gave its commit and date, no second git call.
        # Names git would resolve to something else first (HEAD-like pseudo-refs, heads/x) take the long way.
        target: tuple[str, int] | None = tags[to]
    else:
        target = gitlog.resolve(repo, to)
    if target is None:
        hint = " (no commits yet, or not a git repository)" if to == "HEAD" else ""
        raise InputError(f"--to {to}: no such tag, branch or commit in {repo}{hint}")
    to_sha, committed = target
    if tags is None:
        tags = gitlog.tag_commits(repo)
    is_tag = to in tags and tags[to][0] == to_sha
    parsed = Version.parse(to, prefix) if is_tag else None
    previous_sha: str | None = None
    candidates: list[str] = []
    if from_ is not None:
        start = gitlog.resolve(repo, from_)
        if start is None:
            raise InputError(f"--from {from_}: no such tag, branch or commit in {repo}")
        previous: str | None = from_
        previous_sha = start[0]
    else:
        anchor = to if parsed is not None else None
        if anchor is None and is_tag:
            # a floating tag (v1, v1.2) stands for the release tag on the same commit: notes since the one before it
            aliases = [name for name, (sha, _) in tags.items() if sha == to_sha and Version.parse(name, prefix) is not None]
            anchor = next(iter(semver_candidates(None, aliases, prefix)), None)
        candidates = semver_candidates(anchor, tags, prefix)
        previous = candidates[0] if candidates else None
        previous_sha = tags[previous][0] if previous else None
    stamp = (tags[to][1] if is_tag else 0) or committed
    return ReleaseRange(
        to=to,
        to_sha=to_sha,
        version=to if is_tag else (version or "Unreleased"),
        previous=previous,
        date=_day(stamp),
        is_tag=is_tag,
        prerelease=bool(parsed and parsed.prerelease),
        previous_sha=previous_sha,
        verified=from_ is not None or previous is None,
        candidates=tuple(candidates),
    )


def start_range(repo: Path, rng: ReleaseRange) -> gitlog.LogStream:
    """Start the one ``git log`` of ``rng`` (with ``--boundary`` when the previous tag's reachability
    is still to be checked); the caller may do other work while git walks."""
    return gitlog.start_log(repo, rng.to_sha, [rng.previous] if rng.previous else [], boundary=not rng.verified)


def _read_range(
    repo: Path, settings: Any, rng: ReleaseRange, analyse_range: Any, started: gitlog.LogStream | None
) -> tuple[ReleaseRange, Changes]:
    """Read the range once; if the previous tag turns out not to be reachable from ``to`` (it was
    the best by version only), pick the reachable one with ``git tag --merged`` and read again."""
    boundary: set[str] | None = None if rng.verified else set()
    stream = started if started is not None else start_range(repo, rng)
    raws = stream.records(max_body=settings.max_body_bytes, boundary=boundary)
    changes = analyse_range(raws, rng)
    if boundary is None or rng.previous_sha in boundary or rng.previous_sha == rng.to_sha:
        return rng, changes
    reachable = set(gitlog.tags_merged(repo, rng.to_sha))
    previous = next((c for c in rng.candidates if c in reachable), None)
    tags = gitlog.tag_commits(repo) if previous else {}
    rng = replace(rng, previous=previous, previous_sha=tags[previous][0] if previous else None, verified=True)
    raws = gitlog.stream_log(repo, rng.to_sha, [previous] if previous else [], max_body=settings.max_body_bytes)
    return rng, analyse_range(raws, rng)


def read_skip_lists(repo: Path, files: Sequence[str]) -> tuple[frozenset[str], tuple[str, ...], list[str]]:
    """The commit ids the configured skip lists name, the lists that exist (paths relative to the
    repository, read from the working tree as git-cliff does) and a warning per unreadable line."""
    ids: set[str] = set()
    present: list[str] = []
    warnings: list[str] = []
    for name in files:
        path = repo / name
        if not path.is_file():
            continue
        present.append(Path(name).as_posix())
        found, problems = parse_skip_list(path.read_text(encoding="utf-8", errors="replace"), name)
        ids.update(found)
        warnings.extend(problems)
    return frozenset(ids), tuple(present), warnings


def load_completed_tasks(repo: Path, folder: str) -> tuple[list[Any], list[str]]:
    """Completed task files; an unreadable one is skipped with a warning (it must not block a release).

    Uses the queue store (``leadforge.tasks.store``) for the standard queue folder, else reads
    ``folder`` with the task file parser.
    """
    directory = repo / folder
    if not directory.is_dir():
        return [], []
    from leadforge.tasks.taskfile import QUEUE_DIR, load_task

    if Path(folder) == QUEUE_DIR / "completed":
        from leadforge.tasks.store import load_queue

        queue = load_queue(repo, ("completed",))
        return list(queue.tasks), [f"skipped task file: {e.message}" for e in queue.errors]
    tasks, warnings = [], []
    for path in sorted(directory.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            tasks.append(load_task(path, state="completed"))
        except InputError as err:
            warnings.append(f"skipped task file: {err}")
    return tasks, warnings


def visual_changes(repo: Path, tag: str, previous: str | None, screenshots: ScreenshotDirs | None = None) -> list[dict[str, Any]]:
    """The notes' visual section, asked of the visual area (``[]`` when the repository has no screenshots;
    the visual area answers that before importing numpy or Pillow, and with ``screenshots`` known it is
    not even asked, so its full config load stays off the notes' path). The direction is one way: the
    release area asks, the visual area never imports the release area."""
    if screenshots is not None and not screenshots.any_for(repo, tag):
        return []
    from leadforge.visual.release import notes_section

    return notes_section(repo, tag, previous)


def collect(
    repo: Path,
    settings: Any,
    rng: ReleaseRange,
    *,
    with_tasks: bool = True,
    with_visual: bool = True,
    started: gitlog.LogStream | None = None,
    screenshots: ScreenshotDirs | None = None,
) -> Release:
    """Everything the notes need for ``rng``: one streamed ``git log`` (``started`` by
    ``start_range`` when the caller began it early), the queue, the screenshots."""
    parsers = compile_parsers(settings.commit_parsers)
    rules = BumpRules(
        minor_types=tuple(settings.minor_types),
        patch_types=tuple(settings.patch_types),
        zero_breaking_bump=settings.zero_breaking_bump,
        zero_minor_bump=settings.zero_minor_bump,
    )

    ignore, skip_files, warnings = read_skip_lists(repo, settings.skip_commit_files)

    def analyse_range(raws: Any, current_range: ReleaseRange) -> Changes:
        current = Version.parse(current_range.previous, settings.tag_prefix) if current_range.previous else None
        exclude = [current_range.previous] if current_range.previous else []
        return analyse(
            raws,
            parsers=parsers,
            unconventional=settings.unconventional,
            other_group=settings.other_group,
            rules=rules,
            current=current,
            ignore=ignore,
            touch_only=gitlog.touching_only(repo, current_range.to_sha, exclude, skip_files) if skip_files else (),
            undoes=lambda commit, target: gitlog.undoes(repo, commit, target),
        )

    rng, changes = _read_range(repo, settings, rng, analyse_range, started)
    tasks: list[Any] = []
    if with_tasks and changes.prs:
        completed, task_warnings = load_completed_tasks(repo, settings.tasks_dir)
        warnings += task_warnings
        tasks = tasks_in_range(completed, changes.prs)
    visual = visual_changes(repo, rng.version, rng.previous, screenshots) if with_visual and rng.is_tag else []
    context = build_context(
        version=rng.version,
        previous=rng.previous,
        date=rng.date,
        changes=changes,
        groups=settings.groups,
        tasks=tasks,
        visual=visual,
        agent_patterns=settings.agent_patterns,
    )
    return Release(rng, changes, context, tuple(warnings))
