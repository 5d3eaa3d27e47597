"""A change's files and patches straight from ``git diff base...head`` (what GitHub's
"list pull request files" returns), split per file. Pure parser + one git call."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from leadforge.forge.models import ChangedFile

if TYPE_CHECKING:
    from leadforge.gitrepo import GitRepo

_QUOTED = re.compile(r'^"(.*)"$')


def _unquote(path: str) -> str:
    match = _QUOTED.match(path)
    if not match:
        return path
    return (
        match.group(1).encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")
    )


@dataclass
class _Building:
    old: str = ""
    new: str = ""
    status: str = "modified"
    binary: bool = False
    lines: list[str] = field(default_factory=list)


def _lines(text: str) -> list[str]:
    """Split on newlines only: ``str.splitlines`` also splits on form feeds, \\x1c-\\x1e, \\x85 and
    \\u2028/\\u2029, which a changed file's lines may hold, and that would shift every line after them."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


_QUOTED_PAIR = re.compile(r'^("(?:[^"\\]|\\.)*") ("(?:[^"\\]|\\.)*")$')


def _header_path(rest: str) -> str:
    """The path of ``diff --git a/P b/P`` (same path on both sides; "" when they differ: a rename,
    whose ``rename from``/``rename to`` lines name both)."""
    quoted = _QUOTED_PAIR.match(rest)
    if quoted:
        a, b = _unquote(quoted.group(1)), _unquote(quoted.group(2))
        return a[2:] if a[2:] == b[2:] else ""
    half = (len(rest) - 5) // 2
    if (
        (len(rest) - 5) % 2 == 0
        and rest.startswith("a/")
        and rest[2 + half : 5 + half] == " b/"
        and rest[2 : 2 + half] == rest[5 + half :]
    ):
        return rest[2 : 2 + half]
    return ""


def split_git_diff(text: str) -> list[ChangedFile]:
    """``git diff`` output (with ``-M``) -> one ``ChangedFile`` per file, GitHub-style: ``patch``
    holds only the hunks; binaries and pure renames have none; removed files keep their old path."""
    files: list[ChangedFile] = []
    current: _Building | None = None

    def finish() -> None:
        if current is None:
            return
        hunks = current.lines
        patch = "\n".join(hunks) if hunks and not current.binary else None
        adds = sum(1 for line in hunks if line.startswith("+"))
        dels = sum(1 for line in hunks if line.startswith("-"))
        path = current.old if current.status == "removed" else current.new or current.old
        previous = current.old if current.status in ("renamed", "copied") else None
        files.append(
            ChangedFile(path=path, status=current.status, additions=adds, deletions=dels, patch=patch, previous_path=previous)
        )

    in_hunks = False
    for line in _lines(text):
        if line.startswith("diff --git "):
            finish()
            current = _Building()
            current.old = current.new = _header_path(line[11:])  # ---/+++ and rename lines refine it
            in_hunks = False
            continue
        if current is None:
            continue
        if in_hunks and (line[:1] in (" ", "+", "-", "\\", "@") or line == ""):
            current.lines.append(line)
            continue
        if line.startswith("@@"):
            in_hunks = True
            current.lines.append(line)
        elif line.startswith("--- "):
            value = line[4:].rstrip("\t")
            if value != "/dev/null":
                current.old = _unquote(value).removeprefix("a/") if not value.startswith('"') else _unquote(value)[2:]
        elif line.startswith("+++ "):
            value = line[4:].rstrip("\t")
            if value != "/dev/null":
                current.new = _unquote(value).removeprefix("b/") if not value.startswith('"') else _unquote(value)[2:]
        elif line.startswith("new file mode"):
            current.status = "added"
        elif line.startswith("deleted file mode"):
            current.status = "removed"
        elif line.startswith("rename from "):
            current.old, current.status = _unquote(line[12:]), "renamed"
        elif line.startswith("rename to "):
            current.new = _unquote(line[10:])
        elif line.startswith("copy from "):
            current.old, current.status = _unquote(line[10:]), "copied"
        elif line.startswith("copy to "):
            current.new = _unquote(line[8:])
        elif line.startswith(("Binary files ", "GIT binary patch")):
            current.binary = True
            match = re.match(r"Binary files (.+?) and (.+?) differ", line)
            if match and not current.new:  # " and " may be part of a name: the header's path wins
                a, b = match.group(1), match.group(2)
                if a != "/dev/null":
                    current.old = _unquote(a)[2:] if a.startswith('"') else a.removeprefix("a/")
                if b != "/dev/null":
                    current.new = _unquote(b)[2:] if b.startswith('"') else b.removeprefix("b/")
    finish()
    return files


def changed_files(git: GitRepo, base: str, head: str) -> list[ChangedFile]:
    """The files of ``base...head`` (merge base to head), as a pull request shows them."""
    # explicit prefixes: a user's diff.noprefix / diff.mnemonicPrefix would change the a/ b/ the parser strips
    text = git.run(
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        "-M",
        "-U3",
        f"{base}...{head}",
    ).stdout
    return split_git_diff(text)
