"""CHANGELOG.md / VISUAL_CHANGELOG.md: insert or replace one release's entry (pure text in, text out).

Each entry sits between two hidden markers::

    <!-- leadforge:release:v1.2.0 -->
    ## [v1.2.0](...) - 2026-01-02
    ...
    <!-- leadforge:release-end:v1.2.0 -->

Re-running for the same tag replaces that entry in place (never a duplicate); a new
tag is inserted above the newest entry, below the file's header. Text outside the
markers (the header, hand-written older history) is kept byte for byte.
"""

from __future__ import annotations

import re

CHANGELOG_HEADER = (
    "# Changelog\n\n"
    "All notable changes to this project are documented here, newest first.\n"
    "Entries are written by `leadforge release changelog` from conventional commits.\n"
)
VISUAL_HEADER = (
    "# Visual changelog\n\n"
    "How the pages looked before and after each release, newest first.\n"
    "Entries are written by `leadforge release changelog` from `screenshots/releases/<tag>/`.\n"
)

_START_RE = re.compile(r"^<!-- leadforge:release:(\S+) -->$", re.MULTILINE)


def start_marker(tag: str) -> str:
    return f"<!-- leadforge:release:{tag} -->"


def end_marker(tag: str) -> str:
    return f"<!-- leadforge:release-end:{tag} -->"


def upsert_entry(text: str | None, tag: str, entry: str, header: str = CHANGELOG_HEADER) -> str:
    """``text`` with the entry for ``tag`` replaced, or inserted as the newest one."""
    if tag != tag.strip() or not tag or any(c.isspace() for c in tag):
        raise ValueError(f"invalid tag {tag!r}")
    block = f"{start_marker(tag)}\n{entry.strip()}\n{end_marker(tag)}\n"
    if not text or not text.strip():
        return header.rstrip("\n") + "\n\n" + block
    start, end = start_marker(tag), end_marker(tag)
    i = text.find(start + "\n")
    if i >= 0:
        j = text.find(end, i)
        if j >= 0:
            after = j + len(end)
            if text[after : after + 1] == "\n":
                after += 1
            return text[:i] + block + text[after:]
    first = _START_RE.search(text)
    if first is not None:
        return text[: first.start()] + block + "\n" + text[first.start() :]
    # No entry of ours yet: keep the existing header line(s) and put the entry after the first
    # heading's paragraph, before any older hand-written release headings ("## ").
    older = re.search(r"^## ", text, re.MULTILINE)
    if older is not None:
        return text[: older.start()] + block + "\n" + text[older.start() :]
    return text.rstrip("\n") + "\n\n" + block


def entry_tags(text: str) -> list[str]:
    """The tags that have an entry, in file order (newest first)."""
    return _START_RE.findall(text or "")
