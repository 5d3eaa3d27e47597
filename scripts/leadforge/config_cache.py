"""The validated config as plain data, without importing pydantic when this exact text validated before.

Validating ``.github/leadforge.yml`` means importing pydantic and building every section's model:
about 0.2 s, twice what ``kubectl kustomize`` takes to render an overlay. Commands that must start fast
(``leadforge deploy render``) ask here instead: the first run validates as usual (a bad config is the
same one-line error) and stores the validated values under a key made of the config text and the code
that validated it (LeadForge's version and its settings modules); later runs with the same text and
code read them back. An invalid text is never stored, so nothing skips validation.
"""

from __future__ import annotations

import os

from leadforge import __version__, cache
from leadforge.config_file import DEFAULT_CONFIG_PATH, is_explicit

# Not `from typing import ...`: typing takes ~9 ms to import, and this module loads before `deploy render`
# starts kustomize (deploy/early.py). Type checkers read the block below; at run time it is skipped.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from leadforge.app import App

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


_STAMP: list[str] = []  # worked out once per process: the early start and the command both key on it


def code_stamp() -> str:
    """LeadForge's version and the size and mtime of every module that defines the config (as this
    process found them: the code it runs does not change under it)."""
    if not _STAMP:
        _STAMP.append(_stamp_now())
    return _STAMP[0]


def _stamp_now() -> str:
    names = ["config.py", "strict.py"]
    with os.scandir(_PACKAGE) as entries:
        names += sorted(f"{e.name}/settings.py" for e in entries if e.is_dir() and not e.name.startswith(("_", ".")))
    parts = [__version__]
    for name in names:
        try:
            info = os.stat(os.path.join(_PACKAGE, name))
        except OSError:
            continue
        parts.append(f"{name}:{info.st_size}:{info.st_mtime_ns}")
    return ";".join(parts)


def _key(repo: str | os.PathLike[str], config_path: str | None) -> tuple[str, bool]:
    """The cache key of a repository's config file (its whole text), and whether the file exists."""
    where = os.path.normpath(os.path.join(repo, config_path or DEFAULT_CONFIG_PATH))
    try:
        with open(where, "rb") as handle:
            body, found = handle.read().decode("utf-8", "surrogateescape"), True
    except OSError:
        body, found = "(absent)", False
    return f"{code_stamp()}\n{where}\n{body}", found  # the whole text: equal keys mean the same file


def validated(app: App) -> dict[str, Any]:
    """The whole validated config as JSON-able data (``Config.model_dump(mode="json")``)."""
    key, found = _key(app.repo, app.config_path)
    if not found and is_explicit(app.config_path):
        app.config  # noqa: B018 - an explicit --config that is missing: the usual error, from the usual place
    known = cache.get("config", key, app.env)
    if isinstance(known, dict):
        return known
    dumped: dict[str, Any] = app.config.model_dump(mode="json")
    cache.put("config", key, dumped, app.env)
    return dumped


def known_section(
    repo: str | os.PathLike[str], config_path: str | None, name: str, env: Mapping[str, str] | None = None
) -> dict[str, Any] | None:
    """A section of a config that validated before, or None: never validates (for work started early)."""
    known = cache.get("config", _key(repo, config_path)[0], env)
    value = known.get(name) if isinstance(known, dict) else None
    return value if isinstance(value, dict) else None


def section(app: App, name: str) -> dict[str, Any]:
    """One validated section (``deploy``), as plain data."""
    value = validated(app).get(name)
    return value if isinstance(value, dict) else {}
