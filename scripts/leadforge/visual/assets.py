"""Commits made with git plumbing, without touching the working tree or the checked-out branch.

Used for the assets branch (PR comment images, approval records) and for the approve flow's
baseline commit on top of a PR head that is never checked out (its code is never run).
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from leadforge.errors import GitError, PushRejected
from leadforge.gitrepo import GitRepo


def commit_files(
    git: GitRepo,
    parent: str | None,
    files: Mapping[str, bytes | None],
    message: str,
    *,
    clear_prefix: str | None = None,
) -> str | None:
    """A new commit on ``parent`` (None: a root commit) with ``files`` written (``None`` deletes);
    ``clear_prefix`` first removes everything under that folder. Returns None when nothing changed."""
    with tempfile.TemporaryDirectory(prefix="leadforge-index-") as tmp:
        index = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}  # a private index: the work tree is never touched
        git.run("read-tree", *([parent] if parent else ["--empty"]), env=index)
        if clear_prefix:
            git.run("rm", "--cached", "-r", "-q", "--ignore-unmatch", "--", clear_prefix, env=index)
        for path, data in sorted(files.items()):
            if data is None:
                git.run("update-index", "--force-remove", "--", path, env=index)
                continue
            blob = git.run("hash-object", "-w", "--stdin", env=index, input=data, text=False).stdout.decode().strip()
            git.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=index)
        tree = git.run("write-tree", env=index).stdout.strip()
    if parent and git.out("rev-parse", f"{parent}^{{tree}}") == tree:
        return None
    args = ["commit-tree", tree, "-m", message] + (["-p", parent] if parent else [])
    return git.out(*args)


def remote_branch_head(git: GitRepo, remote: str | None, branch: str) -> str | None:
    """The commit of ``branch``: fetched from ``remote`` when there is one, else the local branch."""
    if remote and git.remote_url(remote):
        result = git.run("fetch", "-q", remote, f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}", check=False)
        if not result.ok:
            if "couldn't find remote ref" in result.stderr.lower() or "not found" in result.stderr.lower():
                return None
            raise GitError(
                f"git fetch {remote} {branch}: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else 'failed'}"
            )
        return git.rev_parse(f"refs/remotes/{remote}/{branch}")
    return git.rev_parse(f"refs/heads/{branch}") if git.ref_exists(f"refs/heads/{branch}") else None


def update_branch(
    git: GitRepo,
    remote: str | None,
    branch: str,
    files: Mapping[str, bytes | None],
    message: str,
    *,
    clear_prefix: str | None = None,
    attempts: int = 6,
) -> str | None:
    """Add a commit with ``files`` to ``branch`` (on ``remote`` when it exists, else locally),
    re-reading the branch and retrying when a push is rejected; never forces. Returns the new head
    (or the unchanged one)."""
    pushing = bool(remote and git.remote_url(remote))
    for attempt in range(1, attempts + 1):
        parent = remote_branch_head(git, remote, branch)
        commit = commit_files(git, parent, files, message, clear_prefix=clear_prefix)
        if commit is None:
            return parent
        if not pushing:
            git.run("update-ref", f"refs/heads/{branch}", commit, *([parent] if parent else []))
            return commit
        try:
            git.push(str(remote), f"{commit}:refs/heads/{branch}")
            return commit
        except PushRejected:
            if attempt == attempts:
                raise
            time.sleep(0.2 * attempt * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover


def read_file(git: GitRepo, commit: str | None, path: str) -> bytes | None:
    """The bytes of ``path`` at ``commit`` (None when absent)."""
    if commit is None:
        return None
    result = git.run("cat-file", "blob", f"{commit}:{path}", text=False, check=False)
    return result.stdout if result.ok else None
