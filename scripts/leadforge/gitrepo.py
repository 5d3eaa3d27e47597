"""Git through the real ``git`` binary: ranges, tags, files, commits, and a push that retries.

Every queue change is a commit. When two runs race, the loser's push is
rejected; ``GitRepo.transact`` then fetches, resets to the new remote head,
re-runs the caller's decide-and-apply function there and pushes again. It never
forces.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, overload

from leadforge import proc
from leadforge.errors import GitError, PushRejected, ToolError

GIT_HINT = "git failed. Is it installed, and is this a Git repository?"

# Identity for commits the pipeline makes when none is configured (as actions/checkout users do).
BOT_NAME = "leadforge[bot]"
BOT_EMAIL = "leadforge-bot@users.noreply.github.com"


# Commands that write commits or tags: only these need an author/committer identity.
_NEEDS_IDENTITY = frozenset(
    {"commit", "commit-tree", "tag", "merge", "revert", "cherry-pick", "rebase", "am", "stash", "notes", "pull"}
)


def _subcommand(args: Sequence[str]) -> str:
    """The git subcommand in ``args`` (skipping ``-c key=value``/``-C dir`` and other global options)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-c", "-C"):
            skip = True
        elif not arg.startswith("-"):
            return arg
    return ""


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    sha: str  # the commit the tag points at (peeled)
    annotated: bool
    date: str = ""


@dataclass(frozen=True, slots=True)
class FileChange:
    status: str  # A, M, D, R, C, T
    path: str
    old_path: str | None = None


class GitRepo:
    """A working tree on disk. Methods raise ``GitError`` with git's own message."""

    def __init__(self, path: str | os.PathLike[str] = ".") -> None:
        self.path = Path(path)

    # ---- plumbing ----------------------------------------------------------------------------
    def _env(self, args: Sequence[str], extra: Mapping[str, str] | None) -> dict[str, str]:
        env = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        if _subcommand(args) in _NEEDS_IDENTITY and not os.environ.get("GIT_AUTHOR_NAME") and not self._has_identity():
            env.update(
                GIT_AUTHOR_NAME=BOT_NAME, GIT_AUTHOR_EMAIL=BOT_EMAIL, GIT_COMMITTER_NAME=BOT_NAME, GIT_COMMITTER_EMAIL=BOT_EMAIL
            )
        env.update(extra or {})
        return env

    def _has_identity(self) -> bool:
        if not hasattr(self, "_identity"):
            rc = proc.run(["git", "config", "user.email"], cwd=self.path, check=False).returncode
            self._identity = rc == 0
        return self._identity

    @overload
    def run(
        self,
        *args: str,
        check: bool = True,
        input: str | bytes | None = None,
        timeout: float | None = 600,
        env: Mapping[str, str] | None = None,
        text: Literal[True] = True,
    ) -> proc.Result: ...

    @overload
    def run(
        self,
        *args: str,
        check: bool = True,
        input: str | bytes | None = None,
        timeout: float | None = 600,
        env: Mapping[str, str] | None = None,
        text: Literal[False],
    ) -> proc.BytesResult: ...

    @overload
    def run(
        self,
        *args: str,
        check: bool = True,
        input: str | bytes | None = None,
        timeout: float | None = 600,
        env: Mapping[str, str] | None = None,
        text: bool,
    ) -> proc.Result | proc.BytesResult: ...

    def run(
        self,
        *args: str,
        check: bool = True,
        input: str | bytes | None = None,
        timeout: float | None = 600,
        env: Mapping[str, str] | None = None,
        text: bool = True,
    ) -> proc.Result | proc.BytesResult:
        """``git <args>`` in this repository; ``env`` adds variables (``GIT_INDEX_FILE``...), ``text=False``
        returns bytes. With ``check``, a failure raises ``GitError`` with git's last line."""
        try:
            result = proc.run(
                ["git", *args], cwd=self.path, env=self._env(args, env), check=False, input=input, timeout=timeout, text=text
            )
        except ToolError as err:
            raise GitError(f"{err} {GIT_HINT}") from None
        if check and not result.ok:
            err_text = result.stderr if isinstance(result.stderr, str) else result.stderr.decode(errors="replace")
            out_text = result.stdout if isinstance(result.stdout, str) else result.stdout.decode(errors="replace")
            message = (err_text.strip() or out_text.strip()).splitlines()
            detail = message[-1] if message else f"exit {result.returncode}"
            raise GitError(f"git {' '.join(args[:3])}: {detail}")
        return result

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    # ---- queries ----------------------------------------------------------------------------
    def is_repo(self) -> bool:
        return self.run("rev-parse", "--git-dir", check=False).ok

    def head(self) -> str:
        return self.out("rev-parse", "HEAD")

    def rev_parse(self, ref: str) -> str:
        result = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        if not result.ok:
            raise GitError(f"unknown git ref '{ref}': no such branch, tag or commit")
        return result.stdout.strip()

    def ref_exists(self, ref: str) -> bool:
        return self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).ok

    def current_branch(self) -> str:
        return self.out("branch", "--show-current")

    def is_clean(self) -> bool:
        return self.out("status", "--porcelain") == ""

    def remote_url(self, remote: str = "origin") -> str | None:
        result = self.run("remote", "get-url", remote, check=False)
        return result.stdout.strip() if result.ok else None

    def tags(self, pattern: str = "*") -> list[Tag]:
        fmt = "%(refname:short)%09%(objecttype)%09%(*objectname)%09%(objectname)%09%(creatordate:iso-strict)"
        lines = self.out("for-each-ref", f"--format={fmt}", f"refs/tags/{pattern}").splitlines()
        tags = []
        for line in lines:
            name, kind, peeled, sha, date = line.split("\t")
            tags.append(Tag(name=name, sha=peeled or sha, annotated=kind == "tag", date=date))
        return tags

    def merge_base(self, a: str, b: str) -> str:
        return self.out("merge-base", a, b)

    def is_ancestor(self, a: str, b: str) -> bool:
        return self.run("merge-base", "--is-ancestor", a, b, check=False).ok

    def changed_files(self, base: str, head: str = "HEAD") -> list[FileChange]:
        """Files changed from the merge base of ``base`` to ``head`` (like a PR's diff)."""
        raw = self.run("diff", "--name-status", "-z", "-M", f"{base}...{head}").stdout
        parts = raw.split("\0")
        changes, i = [], 0
        while i < len(parts) - 1:
            status = parts[i]
            if status[:1] in {"R", "C"}:
                changes.append(FileChange(status[0], parts[i + 2], parts[i + 1]))
                i += 3
            else:
                changes.append(FileChange(status[0], parts[i + 1]))
                i += 2
        return changes

    def diff(self, base: str, head: str = "HEAD", paths: Sequence[str] = (), context: int = 3) -> str:
        """Unified diff of ``base...head`` (merge base to head), as a PR shows it."""
        return self.run("diff", "--no-color", "-M", f"-U{context}", f"{base}...{head}", "--", *paths).stdout

    def ls_files(self, *patterns: str) -> list[str]:
        return [p for p in self.run("ls-files", "-z", "--", *patterns).stdout.split("\0") if p]

    def show_file(self, ref: str, path: str) -> str | None:
        result = self.run("show", f"{ref}:{path}", check=False)
        return result.stdout if result.ok else None

    def ref_dates(self, prefix: str) -> dict[str, str]:
        """Committer date (ISO) of every ref under ``prefix`` (``refs/remotes/origin/``), keyed by the rest of its name."""
        fmt = "%(refname)%09%(committerdate:iso-strict)"
        found = {}
        for line in self.out("for-each-ref", f"--format={fmt}", prefix).splitlines():
            name, _, date = line.partition("\t")
            if name.startswith(prefix) and date:
                found[name[len(prefix) :]] = date
        return found

    def upstream(self) -> str | None:
        """The current branch's upstream (``origin/main``), or None."""
        result = self.run("rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}", check=False)
        return result.stdout.strip() if result.ok and result.stdout.strip() else None

    def commits_touching(self, ref: str, since: str | None = None) -> list[str]:
        args = ["log", "--format=%H", ref]
        if since:
            args.insert(1, f"--since={since}")
        return self.out(*args).splitlines()

    # ---- changes ----------------------------------------------------------------------------
    def add(self, paths: Iterable[str | os.PathLike[str]] = (), all: bool = False) -> None:
        if all:
            self.run("add", "-A")
        else:
            items = [str(p) for p in paths]
            if items:
                self.run("add", "-A", "--", *items)

    def has_staged_changes(self) -> bool:
        return not self.run("diff", "--cached", "--quiet", check=False).ok

    def commit(self, message: str, *, allow_empty: bool = False) -> str:
        args = ["commit", "-q", "-m", message]
        if allow_empty:
            args.append("--allow-empty")
        self.run(*args)
        return self.head()

    def create_branch(self, name: str, start: str = "HEAD", *, checkout: bool = False) -> None:
        if checkout:
            self.run("checkout", "-q", "-B", name, start)
        else:
            self.run("branch", "-f", name, start)

    def checkout(self, ref: str) -> None:
        self.run("checkout", "-q", ref)

    def tag(self, name: str, ref: str = "HEAD", message: str | None = None) -> None:
        if message is None:
            self.run("tag", name, ref)
        else:
            self.run("tag", "-a", name, "-m", message, ref)

    def fetch(
        self,
        remote: str = "origin",
        refspec: str | None = None,
        *,
        env: Mapping[str, str] | None = None,
        prune: bool = False,
        timeout: float | None = 600,
    ) -> None:
        args = ["fetch", "-q"] + (["--prune"] if prune else []) + [remote] + ([refspec] if refspec else [])
        self.run(*args, env=env, timeout=timeout)

    def fast_forward(self, ref: str) -> bool:
        """Move the current branch (and the working tree) forward to ``ref``; never a merge commit.
        Returns whether HEAD moved; a branch that diverged from ``ref`` raises ``GitError``."""
        before = self.head()
        self.run("merge", "--ff-only", "-q", ref)
        return self.head() != before

    @classmethod
    def clone(
        cls, url: str, path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None, timeout: float | None = 600
    ) -> GitRepo:
        """``git clone url path`` (full history: metrics read all of it); ``path`` must be absent or empty."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        cls(target.parent).run("clone", "-q", "--", url, str(target), env=env, timeout=timeout)
        return cls(target)

    def push(self, remote: str, refspec: str) -> None:
        """Push without force; a non-fast-forward rejection raises ``PushRejected``."""
        result = self.run("push", "--porcelain", remote, refspec, check=False)
        if result.ok:
            return
        text = result.stdout + result.stderr
        moved = ("[rejected]", "non-fast-forward", "fetch first", "stale info", "cannot lock ref", "failed to update ref")
        if any(sign in text for sign in moved):
            raise PushRejected(f"push to {remote} {refspec} rejected: the remote moved")
        lines = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise GitError(f"git push {remote} {refspec}: {lines[-1] if lines else 'failed'}")

    # ---- the transaction: decide on the newest head, commit, push, retry ----------------------
    def transact(
        self,
        apply: Callable[[], str | None],
        *,
        branch: str | None = None,
        remote: str = "origin",
        attempts: int = 8,
        push: bool = True,
        backoff: float = 0.2,
        on_retry: Callable[[int], None] | None = None,
    ) -> str | None:
        """Run ``apply`` (decide + write files; returns a commit message, or None for no change),
        commit everything it staged, and push. On a rejected push: fetch, reset to the remote
        head, and run ``apply`` again there. Returns the pushed commit, or None if no change.
        """
        branch = branch or self.current_branch()
        can_push = push and self.remote_url(remote) is not None
        if self.has_staged_changes():
            # They would land in our commit (or be unstaged when there is nothing to commit).
            raise GitError(
                f"{self.path}: the index has staged changes; commit or unstage them (git restore --staged .) and re-run"
            )
        for attempt in range(1, attempts + 1):
            message = apply()
            if message is None or not self.has_staged_changes():
                self.run("reset", "-q", check=False)
                return None
            sha = self.commit(message)
            if not can_push:
                return sha
            try:
                self.push(remote, f"HEAD:refs/heads/{branch}")
                return sha
            except PushRejected:
                if attempt == attempts:
                    raise
                if on_retry:
                    on_retry(attempt)
                time.sleep(backoff * attempt * (0.5 + random.random()))
                self.fetch(remote, f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}")
                # --keep, not --hard: uncommitted edits in the working tree survive the move to the new
                # head; git refuses (and we stop) when one of them is in a file the remote changed.
                moved = self.run("reset", "-q", "--keep", f"{remote}/{branch}", check=False)
                if not moved.ok:
                    raise GitError(
                        f"{self.path}: {remote}/{branch} moved and changes files that have uncommitted edits here; "
                        f"commit or stash them and re-run (the unpushed commit {sha[:12]} is left on {branch})"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover


# ---- temporary worktrees (scanners read files from disk; deploy branches are built beside the checkout) ----


@contextmanager
def _temporary_worktree(
    git: GitRepo, prefix: str, options: Sequence[str], commit: str | None = None, *, failed: str = ""
) -> Iterator[Path]:
    """``git worktree add <options> <path> [<commit>]`` in a new temporary folder, removed (and pruned)
    afterwards. ``failed``: the message a failing ``add`` raises instead (``{err}`` stands for git's error)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    path = folder / "tree"
    try:
        try:
            git.run("worktree", "add", *options, str(path), *([commit] if commit else []))
        except GitError as err:
            if not failed:
                raise
            raise GitError(failed.format(err=err)) from None
        yield path
    finally:
        git.run("worktree", "remove", "--force", str(path), check=False)
        git.run("worktree", "prune", check=False)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def head_checkout(repo: Path, head: str) -> Iterator[Path]:
    """The repository itself when ``head`` is checked out (or empty: the working tree), else a temporary
    worktree of ``head`` (removed afterwards): scanners read files from disk."""
    git = GitRepo(repo)
    if not head:
        yield repo
        return
    try:
        current = git.head()
    except GitError:
        current = ""
    if current == head:
        yield repo
        return
    failed = (
        f"cannot check out the head {head[:12]} to scan it ({{err}}); is the commit in this clone? "
        "(actions/checkout with fetch-depth: 0)"
    )
    with _temporary_worktree(git, "leadforge-review-", ["--detach", "--quiet"], head, failed=failed) as target:
        yield target


@contextmanager
def branch_worktree(git: GitRepo, branch: str, start: str | None) -> Iterator[GitRepo]:
    """A throwaway worktree on ``branch`` (reset to ``start``; an empty orphan branch when ``start`` is None)."""
    if start is not None:
        with _temporary_worktree(git, "leadforge-wt-", ["-q", "-B", branch], start) as path:
            yield GitRepo(path)
        return
    with _temporary_worktree(git, "leadforge-wt-", ["-q", "--detach"]) as path:
        tree = GitRepo(path)
        tree.run("checkout", "-q", "--orphan", branch)
        tree.run("rm", "-rfq", "--ignore-unmatch", ".")
        yield tree
