"""``deploy render --env ENV`` starts kustomize before the rest of LeadForge has even loaded.

Most of a ``deploy render`` is Python starting up (the interpreter, argparse, the modules); the render
itself is kustomize's. So ``leadforge.cli`` calls ``start`` first, with the raw words: when the config
validated before (``config_cache``) and the renderer was resolved and version-checked before (the
``renderer`` cache entry ``kustomize.find_renderer`` writes, still naming the same binary), the overlay's
render starts at once and runs while the rest loads; ``kustomize.render_overlay`` then collects that very
process. Anything unusual (another option, a config or renderer not seen before, a missing overlay)
starts nothing: the command runs as usual and reports what is wrong, as usual.

This module is imported before everything else, so it imports little: no pathlib, no kustomize, no
subprocess (``leadforge.earlyproc`` starts the render).
"""

from __future__ import annotations

import os

# Not `from typing import ...`: typing takes ~9 ms to import, and this module loads before `deploy render`
# starts kustomize (deploy/early.py). Type checkers read the block below; at run time it is skipped.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

_VALUE_OPTIONS = {"--repo": "repo", "--config": "config", "--forge": "forge", "--env": "env", "--out": "out"}
_FLAGS = {"--json", "--dry-run"}
_KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")  # as kustomize.KUSTOMIZATION_FILES
_PRESTARTED: dict[tuple[str, ...], Any] = {}


def render_argv(kind: str, executable: str, directory: str | os.PathLike[str]) -> tuple[str, ...]:
    """How a renderer renders a folder: ``kustomize build DIR`` or ``kubectl kustomize DIR``."""
    return (executable, "build" if kind == "kustomize" else "kustomize", str(directory))


def binary_stamp(executable: str) -> str:
    """What identifies one build of a binary without running it: its real path, size, mtime and inode."""
    try:
        real = os.path.realpath(executable)
        info = os.stat(real)
    except OSError:
        return ""
    return f"{real}:{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"


def renderer_key(preference: str, min_version: str, env: Mapping[str, str] | None = None) -> str:
    """Everything that decides which renderer ``kustomize.find_renderer`` picks: the preference and the
    minimum version, the tool overrides, PATH, and where LeadForge lives (its ``.venv-tools``)."""
    import leadforge

    env = os.environ if env is None else env
    parts = [preference, min_version, os.path.dirname(os.path.abspath(leadforge.__file__))]
    parts += [env.get(name, "") for name in ("LEADFORGE_KUSTOMIZE", "LEADFORGE_KUBECTL", "LEADFORGE_TOOLS", "PATH")]
    return "\n".join(parts)


def _key(argv: Sequence[str]) -> tuple[str, ...]:
    return (*argv[:-1], os.path.normpath(argv[-1]))


def prestart(argv: Sequence[str]) -> None:
    """Start a render now; ``collect`` with the same argv hands it over. Uncollected ones are stopped at exit."""
    from leadforge.earlyproc import EarlyProcess  # not proc.spawn: proc's imports would delay the start

    key = _key(argv)
    if key in _PRESTARTED:
        return
    if not _PRESTARTED:
        import atexit

        atexit.register(stop)
    _PRESTARTED[key] = EarlyProcess(argv)


def collect(argv: Sequence[str]) -> Any:
    """The process ``prestart`` started for ``argv``, taken out of the registry, or None."""
    return _PRESTARTED.pop(_key(argv), None)


def stop() -> None:
    """Stop (and reap) every early render nobody collected (the command failed before rendering, say)."""
    while _PRESTARTED:
        _argv, process = _PRESTARTED.popitem()
        process.kill()
        process.communicate()


def _words(argv: Sequence[str]) -> dict[str, str] | None:
    """``[--repo R] [--config C] deploy render --env E`` (and harmless flags) as a dict; None otherwise."""
    found: dict[str, str] = {}
    positional: list[str] = []
    items = list(argv)
    index = 0
    while index < len(items):
        word = items[index]
        name, _, inline = word.partition("=")
        if name in _VALUE_OPTIONS:
            if inline:
                found[_VALUE_OPTIONS[name]] = inline
                index += 1
            elif index + 1 < len(items):
                found[_VALUE_OPTIONS[name]] = items[index + 1]
                index += 2
            else:
                return None
        elif word in _FLAGS:
            index += 1
        elif word.startswith("-"):
            return None  # --all, --help, anything else: the normal path only
        else:
            positional.append(word)
            index += 1
    return found if positional == ["deploy", "render"] and "env" in found else None


def start(argv: Sequence[str]) -> None:
    """Start the render of ``--env``'s overlay if everything it needs is already known; never raises."""
    words = _words(argv)
    if words is None:
        return
    try:
        from leadforge import cache, config_cache

        repo = os.path.realpath(words.get("repo", "."))  # as App resolves it
        section = config_cache.known_section(repo, words.get("config"), "deploy")
        if section is None or words["env"] not in section.get("environments", ()):
            return
        overlay = os.path.join(repo, str(section["overlays_dir"]), words["env"])
        if not any(os.path.isfile(os.path.join(overlay, name)) for name in _KUSTOMIZATION_FILES):
            return
        known = cache.get("renderer", renderer_key(str(section["kustomize"]), str(section["min_kustomize_version"])))
        if not isinstance(known, dict) or binary_stamp(str(known.get("executable", ""))) != known.get("stamp"):
            return
        prestart(render_argv(str(known["kind"]), str(known["executable"]), overlay))
    except Exception:  # noqa: BLE001 - an early start is only ever a head start; the command itself reports errors
        return
