"""The run's shared state, built from the global options: repo, config, context, forge, git, output.

Commands receive an ``App`` plus their own keyword arguments; everything heavy
(pydantic config, PyGithub) loads on first use so ``--help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from leadforge.config import Config
    from leadforge.context import ActionsIO, Context
    from leadforge.forge.base import Forge
    from leadforge.gitrepo import GitRepo


@dataclass
class Output:
    """Machine output on stdout with ``--json``; human text on stdout otherwise, notes on stderr."""

    json_mode: bool = False
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)

    def result(self, data: Any, human: str) -> None:
        """The command's answer: ``data`` as JSON with --json, else ``human``."""
        if self.json_mode:
            self.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
        elif human:
            self.stdout.write(human.rstrip("\n") + "\n")
        self.stdout.flush()

    def info(self, message: str) -> None:
        """Progress and notes for people: always stderr, so they never corrupt --json output."""
        self.stderr.write(message.rstrip("\n") + "\n")
        self.stderr.flush()

    def would(self, action: str) -> None:
        """One line for an effect that ``--dry-run`` skipped."""
        self.info(f"[dry-run] would {action}")


@dataclass
class App:
    repo: Path = Path(".")
    config_path: str | None = None
    forge_kind: str | None = None
    dry_run: bool = False
    json: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    out: Output = field(default_factory=Output)

    def __post_init__(self) -> None:
        self.repo = Path(self.repo).resolve()
        self.out.json_mode = self.json

    @cached_property
    def config(self) -> Config:
        from leadforge.config import load_config

        return load_config(self.repo, self.config_path)

    @cached_property
    def context(self) -> Context:
        from leadforge.context import Context

        return Context.from_env(self.env)

    @cached_property
    def actions(self) -> ActionsIO:
        from leadforge.context import ActionsIO

        io = ActionsIO(self.context)
        io.mask(self.context.token)
        return io

    @cached_property
    def forge(self) -> Forge:
        from leadforge.forge import open_forge

        return open_forge(self.forge_kind, repo=self.repo, context=self.context, env=self.env)

    @cached_property
    def git(self) -> GitRepo:
        from leadforge.gitrepo import GitRepo

        return GitRepo(self.repo)
