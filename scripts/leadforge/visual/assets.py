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

from leadforge import proc
from leadforge.errors import GitError, PushRejected
from leadforge.gitrepo import GitRepo


def _index_env(index: Path) -> dict[str, str]:
    return {"GIT_INDEX_FILE": str(index), "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


def _git(repo: Path, *args: str, env: Mapping[str, str], data: bytes | None = None) -> str:
    result = proc.run(["git", *args], cwd=repo, env=dict(env), input=data, text=data is None, check=False)
    if not result.ok:
        err = result.stderr if isinstance(result.stderr, str) else result.stderr.decode(errors="replace")
        lines = err.strip().splitlines()
        raise GitError(f"git {' '.join(args[:2])}: {lines[-1] if lines else 'failed'}")
    out = result.stdout if isinstance(result.stdout, str) else result.stdout.decode()
    return out.strip()


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
    repo = git.path
    with tempfile.TemporaryDirectory(prefix="leadforge-index-") as tmp:
        env = _index_env(Path(tmp) / "index")
        _git(repo, "read-tree", *([parent] if parent else ["--empty"]), env=env)
        if clear_prefix:
            _git(repo, "rm", "--cached", "-r", "-q", "--ignore-unmatch", "--", clear_prefix, env=env)
        for path, data in sorted(files.items()):
            if data is None:
                _git(repo, "update-index", "--force-remove", "--", path, env=env)
                continue
            blob = _git(repo, "hash-object", "-w", "--stdin", env=env, data=data)
            _git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
        tree = _git(repo, "write-tree", env=env)
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
            raise GitError(f"git fetch {remote} {branch}: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else 'failed'}")
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
    result = proc.run(["git", "cat-file", "blob", f"{commit}:{path}"], cwd=git.path, text=False, check=False,
                      env={"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    return result.stdout if result.ok and isinstance(result.stdout, bytes) else None

