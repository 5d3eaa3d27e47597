"""Jinja2 environments for the templates users may override from their repository.

Every area that renders for people (release notes, the visual report, the dashboard)
looks in the repository's override folder first, then in ``leadforge/templates/<area>``;
renders in a sandbox (templates may come from a pull request) with StrictUndefined, so
a typo is an error instead of an empty string.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

BUILTIN_TEMPLATES = Path(__file__).resolve().parent / "templates"


def search_path(builtin: Path, repo: Path | None, override: Path) -> list[str]:
    """The folders a template name is looked up in: the repository's override folder first."""
    search = [str(builtin)]
    if repo is not None and (repo / override).is_dir():
        search.insert(0, str(repo / override))
    return search


def sandboxed_environment(
    builtin: Path, repo: Path | None, override: Path, *, autoescape: Any, environment_class: Any = None, **options: Any
) -> Any:
    """A sandboxed, strict environment over ``search_path(builtin, repo, override)``."""
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    cls = environment_class or SandboxedEnvironment
    return cls(
        loader=FileSystemLoader(search_path(builtin, repo, override)),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        **options,
    )
