"""The GitHub boundary. ``open_forge`` picks the implementation for this run."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from leadforge.errors import ConfigError

if TYPE_CHECKING:
    from leadforge.context import Context
    from leadforge.forge.base import Forge


def choose_forge(kind: str | None, env: Mapping[str, str]) -> str:
    """github when GITHUB_TOKEN and GITHUB_REPOSITORY are set (or asked for), else local."""
    if kind:
        return kind
    token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")
    return "github" if token and env.get("GITHUB_REPOSITORY") else "local"


def open_forge(kind: str | None, *, repo: Path, context: Context, env: Mapping[str, str]) -> Forge:
    chosen = choose_forge(kind, env)
    if chosen == "local":
        from leadforge.forge.local import LocalForge

        return LocalForge(repo, context.repository or "local/repo")
    if chosen == "github":
        if not context.token:
            raise ConfigError("GITHUB_TOKEN is not set: the github forge needs a token (or use --forge local)")
        if not context.repository or "/" not in context.repository:
            raise ConfigError("GITHUB_REPOSITORY must be owner/name for the github forge (or use --forge local)")
        from leadforge.forge.github import GitHubForge

        return GitHubForge(context.repository, token=context.token, base_url=context.api_url)
    raise ConfigError(f"--forge must be github or local, got {kind!r}")
