"""Read a commit range from git: ONE streamed ``git log`` call, no per-commit subprocess.

``stream_log`` is the only place in LeadForge that reads a subprocess's output as a
stream (``proc.run`` collects it whole): a release range can hold tens of
thousands of commits, and parsing overlaps with git producing them. Records are
NUL-separated (``-z``), fields ``\\x1f``-separated; the message is last, so any
byte it contains (except NUL, which git forbids) is safe. Bytes that are not
UTF-8 are replaced, never fatal; messages over ``max_body`` bytes keep their head and
tail (the footers) and lose the middle.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from leadforge.errors import GitError

FORMAT = "%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%B"
_ENV = {"LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1"}


class RawCommit(NamedTuple):
    """One record of the log (a NamedTuple: immutable, cheap to build 50,000 times)."""

    sha: str
    parents: tuple[str, ...]
    author: str
    email: str
    timestamp: int
    message: str
    truncated: bool = False


def log_argv(to: str, exclude: Sequence[str] = ()) -> list[str]:
    """``git log`` over ``exclude..to``, newest first in topological order (children before parents)."""
    return [
        "git", "-c", "log.showSignature=false", "-c", "i18n.logOutputEncoding=UTF-8",
        "log", "--topo-order", "-z", "--no-color", "--encoding=UTF-8", f"--format={FORMAT}",
        to, *(f"^{ref}" for ref in exclude), "--",
    ]


def parse_record(record: bytes, max_body: int) -> RawCommit:
    sha, parents, author, email, stamp, message = record.split(b"\x1f", 5)
    truncated = len(message) > max_body
    if truncated:
        # Keep the head (header, start of body) and the tail (footers: BREAKING CHANGE, Closes...).
        head, tail = message[: max_body // 2], message[-(max_body // 2) :]
        tail = tail[tail.find(b"\n") + 1 :] if b"\n" in tail else tail
        message = head + b"\n[...]\n" + tail
    return RawCommit(
        sha=sha.decode("ascii"),
        parents=tuple(parents.decode("ascii").split()),
        author=author.decode("utf-8", "replace"),
        email=email.decode("utf-8", "replace"),
        timestamp=int(stamp or 0),
        message=message.decode("utf-8", "replace").rstrip(),
        truncated=truncated,
    )


def stream_log(repo: Path, to: str, exclude: Sequence[str] = (), *, max_body: int = 65536) -> Iterator[RawCommit]:
    """Yield the commits of ``exclude..to`` as git produces them (newest first)."""
    argv = log_argv(to, exclude)
    try:
        child = subprocess.Popen(
            argv, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **_ENV}
        )
    except FileNotFoundError:
        raise GitError("git: command not found. Is git installed and on PATH?") from None
    assert child.stdout is not None and child.stderr is not None
    pending = b""
    try:
        while True:
            chunk = child.stdout.read(1 << 16)
            if not chunk:
                break
            pending += chunk
            *records, pending = pending.split(b"\0")
            for record in records:
                if record:
                    yield parse_record(record.lstrip(b"\n"), max_body)
        if pending.strip():
            yield parse_record(pending.lstrip(b"\n"), max_body)
        error = child.stderr.read()
    finally:
        if child.poll() is None:
            child.stdout.close()
            child.kill()
        child.wait()
        child.stderr.close()
    if child.returncode != 0:
        lines = error.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git log {to}: {lines[-1] if lines else f'exit {child.returncode}'}")


def tags_merged(repo: Path, ref: str) -> list[str]:
    """Names of the tags reachable from ``ref`` (annotated and lightweight), one git call."""
    from leadforge import proc

    result = proc.run(["git", "tag", "--merged", ref, "--format=%(refname:strip=2)"], cwd=repo, env=_ENV, check=False)
    if not result.ok:
        raise GitError(f"git tag --merged {ref}: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else 'failed'}")
    return [line for line in result.stdout.splitlines() if line]


def resolve(repo: Path, ref: str) -> tuple[str, int] | None:
    """The commit ``ref`` names and its committer timestamp, or None when it does not exist."""
    from leadforge import proc

    result = proc.run(["git", "log", "-1", "--format=%H %ct", f"{ref}^{{commit}}", "--"], cwd=repo, env=_ENV, check=False)
    if not result.ok or not result.stdout.strip():
        return None
    sha, stamp = result.stdout.split()
    return sha, int(stamp)


def tag_exists(repo: Path, tag: str) -> bool:
    from leadforge import proc

    return proc.run(["git", "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}"], cwd=repo, env=_ENV, check=False).ok


def tag_date(repo: Path, tag: str) -> int | None:
    """When the tag was made: the tagger date of an annotated tag, the commit date of a lightweight one."""
    from leadforge import proc

    result = proc.run(
        ["git", "for-each-ref", "--format=%(creatordate:unix)", f"refs/tags/{tag}"], cwd=repo, env=_ENV, check=False
    )
    text = result.stdout.strip()
    return int(text) if result.ok and text.isdigit() else None
