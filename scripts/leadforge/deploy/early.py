"""``deploy render --env ENV`` starts kustomize before the command line is parsed.

Most of a ``deploy render`` is Python starting up (the interpreter, argparse, the modules); the render
itself is kustomize's. So ``leadforge.cli`` calls ``start`` first, with the raw words: when the config
validated before (``config_cache``) and the renderer's version is known (``kustomize``'s cache), the
overlay's render starts at once and runs while the rest loads; the command then collects it
(``kustomize.render_overlay``). Anything unusual (another option, a config not seen before, a missing
overlay) starts nothing: the command runs as usual and reports what is wrong, as usual.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

_VALUE_OPTIONS = {"--repo": "repo", "--config": "config", "--forge": "forge", "--env": "env", "--out": "out"}
_FLAGS = {"--json", "--dry-run"}


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
        from pathlib import Path

        from leadforge import config_cache
        from leadforge.deploy import kustomize

        repo = Path(os.path.realpath(words.get("repo", ".")))  # as App resolves it
        section = config_cache.known_section(repo, words.get("config"), "deploy")
        if section is None or words["env"] not in section.get("environments", ()):
            return
        overlay = repo / str(section["overlays_dir"]) / words["env"]
        if kustomize.kustomization_file(overlay) is None:
            return
        renderer = kustomize.find_renderer(str(section["kustomize"]), str(section["min_kustomize_version"]))
        kustomize.prestart(renderer, overlay)
    except Exception:  # noqa: BLE001 - an early start is only ever a head start; the command itself reports errors
        return


def stop() -> None:
    """Stop a render started here that the command did not collect."""
    from leadforge.deploy import kustomize

    kustomize.stop_prestarted()
