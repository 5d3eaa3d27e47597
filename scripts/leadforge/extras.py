"""Optional dependencies (the package's extras): which module comes with which extra, and the one error for a missing one.

The core install (tasks, release, metrics, review posting, config, init) needs none of them; a job installs
``leadforge[visual]``, ``[deploy]``, ``[scan]`` or ``[serve]`` only when its command needs that. A command that
reaches a module of a missing extra fails with one line naming the extra and how to install it, either up front
(``need``, before any work starts) or, for any import this file was not told about, in ``cli.run_handler``
(``from_import_error``).
"""

from __future__ import annotations

import importlib.util

from leadforge.errors import LeadforgeError

# top-level import name -> (the extra in pyproject.toml [project.optional-dependencies], the package that has it)
EXTRA_OF_MODULE: dict[str, tuple[str, str]] = {
    "playwright": ("visual", "playwright"),
    "numpy": ("visual", "numpy"),
    "PIL": ("visual", "Pillow"),
    "kubernetes_validate": ("deploy", "kubernetes-validate"),
    "detect_secrets": ("scan", "detect-secrets"),
    "starlette": ("serve", "starlette"),
    "uvicorn": ("serve", "uvicorn"),
    "prometheus_client": ("serve", "prometheus-client"),
}


class MissingExtra(LeadforgeError):
    """A module of an extra that is not installed: the message names the extra and the install command."""

    def __init__(self, what: str, module: str) -> None:
        self.what, self.module = what, module
        self.extra, package = EXTRA_OF_MODULE[module]
        super().__init__(f"{what} needs the '{self.extra}' extra ({package} is not installed): {install_hint(self.extra)}")


def install_hint(extra: str) -> str:
    return f"pip install 'leadforge[{extra}]' (in a checkout: uv sync --locked --extra {extra})"


def available(module: str) -> bool:
    """Is ``module`` importable? (Looks it up without importing it: cheap, no side effects.)"""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing(what: str, *modules: str) -> MissingExtra | None:
    """The error for the first of ``modules`` that is not installed, or ``None`` when all are."""
    for module in modules:
        if not available(module):
            return MissingExtra(what, module)
    return None


def need(what: str, *modules: str) -> None:
    """Fail before any work when one of ``modules`` is missing; ``what`` is the command or step that needs them."""
    error = missing(what, *modules)
    if error is not None:
        raise error


def from_import_error(err: ImportError, what: str) -> MissingExtra | None:
    """The ``MissingExtra`` for an import of an extra's module that failed, else ``None`` (a real bug)."""
    name = getattr(err, "name", None) or ""
    module = name.split(".")[0]
    if module in EXTRA_OF_MODULE and isinstance(err, ModuleNotFoundError) and not available(module):
        return MissingExtra(what, module)
    return None
