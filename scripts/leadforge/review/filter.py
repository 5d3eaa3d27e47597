"""The diff filter (pure, after reviewdog's): where each finding sits relative to the diff.

It never drops a finding. Each gets a place — ``added`` (touches a line the PR adds),
``context`` (inside a hunk, unchanged), ``file`` (elsewhere in a changed file), ``elsewhere``
(a file the PR does not change) or ``pr`` (about the pull request as a whole) — and the mode
decides which places count as the PR's own (``in_diff``). Only in-diff findings on a line
GitHub can take a comment on (inside a hunk) get an inline ``anchor``; the rest go to the
summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from leadforge.findings import Finding
from leadforge.review.diff import FileDiff

MODES = ("added", "diff_context", "file", "nofilter")
PLACES = ("added", "context", "file", "elsewhere", "pr")
_IN_DIFF = {
    "added": {"added", "pr"},
    "diff_context": {"added", "context", "pr"},
    "file": {"added", "context", "file", "pr"},
    "nofilter": set(PLACES),
}


@dataclass(frozen=True, slots=True)
class Placed:
    finding: Finding
    place: str
    in_diff: bool
    anchor: tuple[int, int] | None = None  # (start_line, line) for GitHub's multi-line comment, or (line, line)


def place_of(finding: Finding, diffs: Mapping[str, FileDiff]) -> str:
    if not finding.path:
        return "pr"
    diff = diffs.get(finding.path)
    if diff is None or diff.removed:
        return "elsewhere"
    if not finding.line:
        return "file"
    lines = range(finding.line, max(finding.end_line, finding.line) + 1)
    if any(line in diff.added for line in lines):
        return "added"
    if any(line in diff.context for line in lines):
        return "context"
    return "file"


def _anchor(finding: Finding, diff: FileDiff, mode: str) -> tuple[int, int] | None:
    """GitHub's (start_line, line): commentable lines of the finding's range, within one hunk."""
    allowed = diff.added if mode == "added" else diff.added | diff.context
    lines = [n for n in range(finding.line, max(finding.end_line, finding.line) + 1) if n in allowed]
    if not lines:
        return None
    first = lines[0]
    hunk = diff.hunk_of(first)
    same = [n for n in lines if diff.hunk_of(n) == hunk]
    # a range may only span lines GitHub shows: stop at the first gap
    last = first
    for n in same[1:]:
        if n == last + 1 or all(m in diff.added | diff.context for m in range(last + 1, n + 1)):
            last = n
        else:
            break
    return (first, last)


def place(findings: Iterable[Finding], diffs: Mapping[str, FileDiff], mode: str = "added") -> list[Placed]:
    if mode not in _IN_DIFF:
        raise ValueError(f"filter mode must be one of {', '.join(MODES)}, got {mode!r}")
    placed = []
    for finding in findings:
        where = place_of(finding, diffs)
        in_diff = where in _IN_DIFF[mode] or (where == "file" and not finding.line)
        anchor = None
        if in_diff and where in ("added", "context") and finding.line:
            anchor = _anchor(finding, diffs[finding.path], "added" if mode == "added" else "context")
        placed.append(Placed(finding, where, in_diff, anchor))
    return placed
