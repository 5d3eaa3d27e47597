"""Read a commit range from git: ONE streamed ``git log`` call, no per-commit subprocess.

``stream_log`` reads git's output as a stream (``proc.spawn``; ``proc.run`` collects it whole): a release range can hold tens of
thousands of commits, and parsing overlaps with git producing them. Records are
NUL-separated (``-z``), fields ``\\x1f``-separated; the message is last, so any
byte it contains (except NUL, which git forbids) is safe. Bytes that are not
UTF-8 are replaced, never fatal; messages over ``max_body`` bytes keep their head and
tail (the footers) and lose the middle.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from leadforge import proc
from leadforge.errors import GitError, ToolError

FORMAT = "%m%x1f%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%B"  # %m: "-" marks a --boundary commit
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


def log_argv(to: str, exclude: Sequence[str] = (), *, boundary: bool = False) -> list[str]:
    """``git log`` over ``exclude..to``, newest first in topological order (children before parents).
    With ``boundary``, the excluded commits next to the range are listed too (marked ``-``)."""
    return [
        "git",
        "-c",
        "log.showSignature=false",
        "-c",
        "i18n.logOutputEncoding=UTF-8",
        "log",
        "--topo-order",
        "-z",
        "--no-color",
        "--encoding=UTF-8",
        f"--format={FORMAT}",
        *(["--boundary"] if boundary else []),
        to,
        *(f"^{ref}" for ref in exclude),
        "--",
    ]


def parse_record(record: bytes, max_body: int) -> RawCommit:
    if record[:1] in (b"-", b">", b"<") and record[1:2] == b"\x1f":
        record = record[2:]
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


class LogStream:
    """A running ``git log`` (see ``start_log``): read it with ``records``, or ``cancel`` it."""

    def __init__(self, child: subprocess.Popen[bytes], errors: Any, to: str) -> None:
        self.child, self.errors, self.to = child, errors, to

    def records(self, *, max_body: int = 65536, boundary: set[str] | None = None) -> Iterator[RawCommit]:
        """Yield the commits as git produces them (newest first). Boundary commits (``start_log``
        with ``boundary=True``) go into ``boundary`` instead of being yielded."""
        child = self.child
        assert child.stdout is not None
        pending = b""
        try:
            while True:
                chunk = child.stdout.read(1 << 16)
                if not chunk:
                    break
                pending += chunk
                *records, pending = pending.split(b"\0")
                for record in records:
                    record = record.lstrip(b"\n")
                    if not record:
                        continue
                    if record[:2] == b"-\x1f":
                        if boundary is not None:
                            boundary.add(record[2:42].decode("ascii"))
                        continue
                    yield parse_record(record, max_body)
            record = pending.strip(b"\n")
            if record and record[:2] == b"-\x1f":
                if boundary is not None:
                    boundary.add(record[2:42].decode("ascii"))
            elif record:
                yield parse_record(record, max_body)
        finally:
            self.cancel()
        self.errors.seek(0)
        error = self.errors.read()
        self.errors.close()
        if child.returncode != 0:
            lines = error.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git log {self.to}: {lines[-1] if lines else f'exit {child.returncode}'}")

    def cancel(self) -> None:
        """Stop git if it still runs (the range is no longer wanted) and reap it."""
        if self.child.poll() is None:
            assert self.child.stdout is not None
            self.child.stdout.close()
            self.child.kill()
        self.child.wait()
        if self.child.stdout is not None:
            self.child.stdout.close()


def start_log(repo: Path, to: str, exclude: Sequence[str] = (), *, boundary: bool = False) -> LogStream:
    """Start ``git log`` over ``exclude..to`` now; git walks while the caller does other work.

    With ``boundary``, git also lists the excluded commits adjacent to the range: an excluded ref
    is an ancestor of ``to`` exactly when its commit is among them (or is ``to`` itself), so the
    range and the "is the previous tag reachable?" check come from the same single walk.
    """
    import tempfile

    # a file, not a pipe: a chatty stderr can never block git
    errors = tempfile.TemporaryFile()  # noqa: SIM115 - the LogStream returned below owns it and closes it
    try:
        child = proc.spawn(
            log_argv(to, exclude, boundary=boundary),
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=_ENV,
            hint="Is git installed?",
        )
    except ToolError as err:
        errors.close()
        raise GitError(str(err)) from None
    return LogStream(child, errors, to)


def stream_log(
    repo: Path, to: str, exclude: Sequence[str] = (), *, max_body: int = 65536, boundary: set[str] | None = None
) -> Iterator[RawCommit]:
    """Yield the commits of ``exclude..to`` (newest first); ``boundary``: see ``start_log``."""
    return start_log(repo, to, exclude, boundary=boundary is not None).records(max_body=max_body, boundary=boundary)


def tag_commits(repo: Path) -> dict[str, tuple[str, int]]:
    """Every tag: the commit it points at (annotated tags peeled) and when it was made (tagger date,
    or the commit date of a lightweight tag). One cheap ``for-each-ref``, no history walk."""
    from leadforge import proc

    fmt = "%(refname:strip=2)%00%(*objectname)%00%(objectname)%00%(creatordate:unix)"
    result = proc.run(["git", "for-each-ref", f"--format={fmt}", "refs/tags"], cwd=repo, env=_ENV, check=False)
    if not result.ok:
        raise GitError(f"git for-each-ref refs/tags: {result.stderr.strip() or 'failed'}")
    tags = {}
    for line in result.stdout.splitlines():
        name, peeled, sha, stamp = line.split("\0")
        tags[name] = (peeled or sha, int(stamp) if stamp.isdigit() else 0)
    return tags


def tags_merged(repo: Path, ref: str) -> list[str]:
    """Names of the tags reachable from ``ref`` (annotated and lightweight), one git call."""
    from leadforge import proc

    result = proc.run(["git", "tag", "--merged", ref, "--format=%(refname:strip=2)"], cwd=repo, env=_ENV, check=False)
    if not result.ok:
        raise GitError(f"git tag --merged {ref}: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else 'failed'}")
    return [line for line in result.stdout.splitlines() if line]


def resolve(repo: Path, ref: str) -> tuple[str, int] | None:
    """The commit ``ref`` names and its committer timestamp, or None when it does not exist
    (a ref starting with ``-`` never exists: git would read it as an option)."""
    from leadforge import proc

    if not ref or ref.startswith("-"):
        return None
    result = proc.run(["git", "log", "-1", "--format=%H %ct", f"{ref}^{{commit}}", "--"], cwd=repo, env=_ENV, check=False)
    if not result.ok or not result.stdout.strip():
        return None
    sha, stamp = result.stdout.split()
    return sha, int(stamp)


def patch_id(repo: Path, sha: str, *, reverse: bool = False) -> str | None:
    """``git patch-id --stable`` of the commit's diff (``reverse``: of the diff that undoes it), or None
    for a commit without one (a merge, an empty commit). Binary changes take part byte for byte."""
    # --no-prefix: with -R git swaps the a/ and b/ prefixes, which patch-id would count as a difference
    diff = proc.run(
        [
            "git",
            "diff-tree",
            "-p",
            "--binary",
            "--no-color",
            "--no-prefix",
            "--no-commit-id",
            "--root",
            *(["-R"] if reverse else []),
            sha,
            "--",
        ],
        cwd=repo,
        env=_ENV,
        check=False,
        text=False,
    )
    if not diff.ok or not diff.stdout.strip():
        return None
    result = proc.run(["git", "patch-id", "--stable"], cwd=repo, env=_ENV, input=diff.stdout, check=False, text=False)
    words = result.stdout.split() if result.ok else []
    return words[0].decode("ascii") if words else None


def undoes(repo: Path, commit: str, target: str) -> bool:
    """Does ``commit`` exactly undo ``target`` (its diff is the inverse of the target's)?"""
    wanted = patch_id(repo, target)
    return wanted is not None and patch_id(repo, commit, reverse=True) == wanted


def touching_only(repo: Path, to: str, exclude: Sequence[str], paths: Sequence[str]) -> set[str]:
    """The non-merge commits of ``exclude..to`` that change ``paths`` and nothing else (one git call)."""
    if not paths:
        return set()
    result = proc.run(
        [
            "git",
            "-c",
            "core.quotePath=false",
            "log",
            "--no-merges",
            "--no-renames",
            "--full-diff",
            "--name-only",
            "--format=%x00%H",
            to,
            *(f"^{ref}" for ref in exclude),
            "--",
            *paths,
        ],
        cwd=repo,
        env=_ENV,
        check=False,
    )
    if not result.ok:
        raise GitError(f"git log {to} -- {' '.join(paths)}: {result.stderr.strip() or 'failed'}")
    wanted, found = set(paths), set()
    for record in result.stdout.split("\0"):
        lines = [line for line in record.splitlines() if line]
        if len(lines) > 1 and set(lines[1:]) <= wanted:
            found.add(lines[0])
    return found
