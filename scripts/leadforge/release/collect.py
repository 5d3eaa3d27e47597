"""The effects side of a release: read the range from git, the completed tasks from the queue,
the visual changes from the visual area, and hand plain data to the pure core.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from leadforge.errors import InputError
from leadforge.release import gitlog
from leadforge.release.changes import Changes, analyse
from leadforge.release.conventional import compile_parsers
from leadforge.release.notes import build_context, tasks_in_range
from leadforge.release.semver import BumpRules, Version, latest_tag, previous_tag


@dataclass(frozen=True, slots=True)
class ReleaseRange:
    to: str  # the ref as given (a tag for releases)
    to_sha: str
    version: str  # the tag name, or the label for an untagged range
    previous: str | None  # the ref the range starts after (None: whole history)
    date: str  # YYYY-MM-DD (UTC) of the tag, or of the commit for an untagged range
    is_tag: bool
    prerelease: bool


@dataclass(frozen=True, slots=True)
class Release:
    range: ReleaseRange
    changes: Changes
    context: dict[str, Any]
    warnings: tuple[str, ...] = ()


def _day(stamp: int) -> str:
    return datetime.fromtimestamp(stamp, tz=timezone.utc).strftime("%Y-%m-%d")


def resolve_range(repo: Path, settings: Any, *, to: str = "HEAD", from_: str | None = None, version: str | None = None) -> ReleaseRange:
    """Decide the range: ``to`` (a tag, branch or commit) back to ``from_`` or, by default,
    the previous semver release tag reachable from ``to`` (none: the whole history)."""
    target = gitlog.resolve(repo, to)
    if target is None:
        raise InputError(f"--to {to}: no such tag, branch or commit in {repo}")
    to_sha, committed = target
    is_tag = gitlog.tag_exists(repo, to)
    prefix = settings.tag_prefix
    parsed = Version.parse(to, prefix) if is_tag else None
    if from_ is not None:
        if gitlog.resolve(repo, from_) is None:
            raise InputError(f"--from {from_}: no such tag, branch or commit in {repo}")
        previous: str | None = from_
    else:
        reachable = gitlog.tags_merged(repo, to_sha)
        previous = previous_tag(to, reachable, prefix) if parsed is not None else latest_tag(reachable, prefix)
    stamp = (gitlog.tag_date(repo, to) if is_tag else None) or committed
    label = to if is_tag else (version or "Unreleased")
    return ReleaseRange(
        to=to,
        to_sha=to_sha,
        version=label,
        previous=previous,
        date=_day(stamp),
        is_tag=is_tag,
        prerelease=bool(parsed and parsed.prerelease),
    )


def load_completed_tasks(repo: Path, folder: str) -> tuple[list[Any], list[str]]:
    """Completed task files; an unreadable one is skipped with a warning (it must not block a release).

    Uses the queue store (``leadforge.tasks.store``) for the standard queue folder, else reads
    ``folder`` with the task file parser.
    """
    directory = repo / folder
    if not directory.is_dir():
        return [], []
    from leadforge.tasks.taskfile import QUEUE_DIR, load_task

    if Path(folder) == QUEUE_DIR / "completed" and importlib.util.find_spec("leadforge.tasks.store") is not None:
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


def visual_changes(repo: Path, tag: str, previous: str | None, visual_settings: Any = None) -> list[Any]:
    """The visual area's changes for this release; none when that area is not installed.

    When the repository has neither ``<releases_dir>/<tag>/`` nor a baseline folder there are no
    screenshots at all, and the visual module (numpy, Pillow) is not even imported.
    """
    if importlib.util.find_spec("leadforge.visual.release") is None:
        return []
    if visual_settings is not None:
        releases = repo / visual_settings.releases_dir / tag
        if not releases.is_dir() and not (repo / visual_settings.baseline_dir).is_dir():
            return []
    from leadforge.visual.release import release_changes

    return list(release_changes(repo, tag, previous))


def collect(
    repo: Path,
    settings: Any,
    rng: ReleaseRange,
    *,
    with_tasks: bool = True,
    with_visual: bool = True,
    visual_settings: Any = None,
) -> Release:
    """Everything the notes need for ``rng``: one streamed ``git log``, the queue, the screenshots."""
    current = Version.parse(rng.previous, settings.tag_prefix) if rng.previous else None
    raws = gitlog.stream_log(
        repo, rng.to_sha, [rng.previous] if rng.previous else [], max_body=settings.max_body_bytes
    )
    changes = analyse(
        raws,
        parsers=compile_parsers(settings.commit_parsers),
        unconventional=settings.unconventional,
        other_group=settings.other_group,
        rules=BumpRules(
            minor_types=tuple(settings.minor_types),
            patch_types=tuple(settings.patch_types),
            zero_breaking_bump=settings.zero_breaking_bump,
            zero_minor_bump=settings.zero_minor_bump,
        ),
        current=current,
    )
    warnings: list[str] = []
    tasks: list[Any] = []
    if with_tasks and changes.prs:
        completed, warnings = load_completed_tasks(repo, settings.tasks_dir)
        tasks = tasks_in_range(completed, changes.prs)
    visual = visual_changes(repo, rng.version, rng.previous, visual_settings) if with_visual and rng.is_tag else []
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
