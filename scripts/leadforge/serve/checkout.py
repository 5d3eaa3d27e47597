"""The repository the service reads: clone it when the folder is empty, then fetch and fast-forward it.

All git goes through ``leadforge.gitrepo``. The service never commits or pushes: a refresh is
``git fetch --prune <remote>`` and ``git merge --ff-only <upstream>``; a branch that diverged (a force
push) fails the refresh and the last snapshot stays served. A token for private repositories is sent
as an HTTP header through git's environment (as actions/checkout does), never written to ``.git/config``.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from leadforge.errors import GitError, InputError
from leadforge.gitrepo import GitRepo


@dataclass(frozen=True, slots=True)
class Secret:
    """A secret from a file (a mounted Kubernetes Secret: re-read on each use, so a rotation needs no restart),
    else from the environment; a missing file means no secret."""

    value: str = ""
    file: Path | None = None

    def read(self) -> str:
        if self.file is not None:
            try:
                return self.file.read_text(encoding="utf-8").strip()
            except (FileNotFoundError, IsADirectoryError):
                return ""
        return self.value


@dataclass(frozen=True, slots=True)
class CheckoutOptions:
    path: Path
    clone_url: str = ""
    remote: str = "origin"
    fetch: bool = True
    token: Secret = Secret()
    timeout: float = 300.0


def auth_env(token: str) -> dict[str, str]:
    """Git config through the environment: an Authorization header for HTTPS remotes (empty without a token)."""
    if not token:
        return {}
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraheader",
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
    }


class RepositoryCheckout:
    def __init__(self, options: CheckoutOptions) -> None:
        self.options = options
        self.git = GitRepo(options.path)

    def _is_checkout(self) -> bool:
        result = self.git.run("rev-parse", "--show-toplevel", check=False)
        return result.ok and Path(result.stdout.strip()).resolve() == self.options.path.resolve()

    def check(self) -> bool:
        """Fail fast on a folder the service cannot use; returns whether a clone is needed."""
        path = self.options.path
        empty = not path.exists() or (path.is_dir() and not any(os.scandir(path)))
        if not empty:
            if not path.is_dir():
                raise InputError(f"--repo {path}: not a folder")
            if not self._is_checkout():
                raise InputError(f"--repo {path}: not a git checkout (and not empty, so --clone cannot use it)")
            return False
        if not self.options.clone_url:
            raise InputError(f"--repo {path}: no git checkout there; give a checkout, or --clone URL to clone into it")
        return True

    def prepare(self) -> bool:
        """Clone ``clone_url`` into the folder when it is missing or empty; returns whether it cloned."""
        if not self.check():
            return False
        GitRepo.clone(
            self.options.clone_url, self.options.path, env=auth_env(self.options.token.read()), timeout=self.options.timeout
        )
        return True

    def refresh(self) -> str:
        """Fetch and fast-forward the checked-out branch to its upstream; returns HEAD."""
        remote = self.options.remote
        if self.options.fetch and self.git.remote_url(remote) is not None:
            self.git.fetch(remote, env=auth_env(self.options.token.read()), prune=True, timeout=self.options.timeout)
            branch = self.git.current_branch()
            if not branch:
                raise GitError(f"{self.options.path}: HEAD is detached; check out the branch to serve")
            upstream = self.git.upstream() or (f"{remote}/{branch}" if self.git.ref_exists(f"{remote}/{branch}") else None)
            if upstream:
                try:
                    self.git.fast_forward(upstream)
                except GitError as err:
                    raise GitError(
                        f"{self.options.path}: cannot fast-forward {branch} to {upstream} (was it force-pushed?); "
                        f"still serving the last snapshot: {err}"
                    ) from None
        return self.git.head()

    def branch_dates(self) -> dict[str, str]:
        """Newest commit date of each branch: the remote's, else the local one (task branches show activity)."""
        dates = self.git.ref_dates("refs/heads/")
        dates.update(self.git.ref_dates(f"refs/remotes/{self.options.remote}/"))
        dates.pop("HEAD", None)
        return dates
