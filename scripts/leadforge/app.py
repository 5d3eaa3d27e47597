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

    def progress(self, total: int, description: str) -> Progress:
        """Progress for long work, on stderr: a live bar on a terminal, one line per step in logs."""
        return Progress(self, total, description)


class Progress:
    """``with out.progress(n, "capturing") as bar: bar.advance("home")``.

    On a terminal it draws a rich progress bar; in CI logs (no TTY) it prints
    ``[2/5] capturing: home`` lines, which read well in Actions' log viewer.
    """

    def __init__(self, out: Output, total: int, description: str) -> None:
        self.out, self.total, self.description, self.done = out, total, description, 0
        self._live: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.out.stderr.isatty() and not os.environ.get("CI"):
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._live = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[label]}"),
                console=Console(file=self.out.stderr),
                transient=True,
            )
            self._live.start()
            self._task = self._live.add_task(self.description, total=self.total, label="")
        return self

    def advance(self, label: str = "") -> None:
        self.done += 1
        if self._live is not None:
            self._live.update(self._task, advance=1, label=label)
        else:
            self.out.info(f"[{self.done}/{self.total}] {self.description}{': ' + label if label else ''}")

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()


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
