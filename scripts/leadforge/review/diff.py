"""A pull request's diff, from the ``patch`` GitHub gives per file (``ChangedFile.patch``).

Pure: which new-side lines each file adds, which are unchanged context inside a hunk, and
where the hunks are. Binary files and pure renames have no patch; removed files have no new
side. GitHub can only take an inline comment on a line inside a hunk (added or context).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from leadforge.errors import InputError
from leadforge.forge.models import ChangedFile

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True, slots=True)
class FileDiff:
    path: str
    status: str  # added | removed | modified | renamed | copied | changed
    previous_path: str | None = None
    added: frozenset[int] = frozenset()  # new-side line numbers the PR adds
    context: frozenset[int] = frozenset()  # new-side lines shown unchanged inside a hunk
    hunks: tuple[tuple[int, int], ...] = ()  # new-side (first, last) line of each hunk
    binary: bool = False  # no patch: binary file, pure rename, or GitHub left it out (too large)

    @property
    def removed(self) -> bool:
        return self.status == "removed"

    def hunk_of(self, line: int) -> int | None:
        for index, (first, last) in enumerate(self.hunks):
            if first <= line <= last:
                return index
        return None


def _lines(text: str) -> list[str]:
    """Newline-separated lines (not ``str.splitlines``: a form feed or \\u2028 inside a line is not a line break)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse_patch(patch: str, *, path: str = "") -> tuple[frozenset[int], frozenset[int], tuple[tuple[int, int], ...]]:
    """(added lines, context lines, hunks) on the new side of one file's unified-diff hunks."""
    added: set[int] = set()
    context: set[int] = set()
    hunks: list[tuple[int, int]] = []
    new_line = 0
    first = 0
    in_hunk = False
    for raw in _lines(patch):
        match = _HUNK.match(raw)
        if match:
            if in_hunk and new_line > first:
                hunks.append((first, new_line - 1))
            new_line = int(match.group(3))
            first = new_line
            in_hunk = True
            continue
        if not in_hunk:
            if raw.startswith(
                (
                    "diff --git",
                    "index ",
                    "--- ",
                    "+++ ",
                    "new file",
                    "deleted file",
                    "similarity",
                    "rename ",
                    "old mode",
                    "new mode",
                    "Binary files",
                )
            ):
                continue
            raise InputError(f"{path or 'patch'}: not a unified diff (text before the first @@ hunk header)")
        if raw.startswith("+"):
            added.add(new_line)
            new_line += 1
        elif raw.startswith(("-", "\\")):  # a removed line, or "\ No newline at end of file"
            continue
        else:  # " " context (or an empty line some tools emit for an empty context line)
            context.add(new_line)
            new_line += 1
    if in_hunk and new_line > first:
        hunks.append((first, new_line - 1))
    return frozenset(added), frozenset(context), tuple(hunks)


def file_diffs(files: Iterable[ChangedFile]) -> dict[str, FileDiff]:
    """Every changed file by its (new) path."""
    out: dict[str, FileDiff] = {}
    for changed in files:
        if changed.patch is None or changed.status == "removed":
            out[changed.path] = FileDiff(
                changed.path, changed.status, changed.previous_path, binary=changed.patch is None and changed.status != "removed"
            )
            continue
        added, context, hunks = parse_patch(changed.patch, path=changed.path)
        out[changed.path] = FileDiff(changed.path, changed.status, changed.previous_path, added, context, hunks)
    return out


def added_ranges(lines: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted line numbers folded into (first, last) ranges: 1,2,3,7 -> (1,3),(7,7)."""
    ranges: list[tuple[int, int]] = []
    for line in sorted(set(lines)):
        if ranges and line == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], line)
        else:
            ranges.append((line, line))
    return ranges


def format_ranges(ranges: Sequence[tuple[int, int]]) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)
