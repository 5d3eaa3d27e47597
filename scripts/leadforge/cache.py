"""Where LeadForge's caches live, and a small on-disk cache for facts slow to learn and cheap to re-check.

The one place for caches: ``$LEADFORGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/leadforge``, else
``~/.cache/leadforge``; ``LEADFORGE_CACHE_DIR=off`` turns every cache off.

``get``/``put`` keep the kustomize version of a kubectl binary (keyed by the binary's real path, size
and mtime) and a config text that validated (keyed by the text and the code that validated it), so
``leadforge deploy render`` does not ask kubectl or import pydantic on every run. An entry is one
file named by a hash of its key and holding the key itself: a changed key is a miss, never a wrong
answer. Values are plain data (what JSON holds), stored with ``marshal``: it is built into the
interpreter, so reading an entry imports nothing (``json`` brings ``re`` and ``enum``, ~5 ms, and this
module is read before ``deploy render`` starts kustomize). The folder is the user's own, as for
Jinja2's compiled templates (marshalled code) below it; an entry that does not load is a miss.

A cache with a file format of its own (Jinja2's compiled templates, ``templating``) gets a folder of
its own below the same place (``subfolder``). Every cache is best effort: a folder that cannot be read
or written only costs the time it would have saved.
"""

from __future__ import annotations

import marshal
import os
import zlib

# Not `from typing import ...`: typing takes ~9 ms to import, and this module loads before `deploy render`
# starts kustomize (deploy/early.py). Type checkers read the block below; at run time it is skipped.
TYPE_CHECKING = False
if TYPE_CHECKING:  # pathlib loads lazily too
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any

CACHE_ENV = "LEADFORGE_CACHE_DIR"  # the one switch: a folder for every cache, or "off"
OFF = {"off", "0", "false", "no", "none"}
FORMAT = b"LFC1"  # the entry format; another one is a miss


def _folder(env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    chosen = env.get(CACHE_ENV, "")
    if chosen.strip().lower() in OFF and chosen:
        return None
    if chosen:
        return chosen
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "leadforge")


def directory(env: Mapping[str, str] | None = None) -> Path | None:
    """The cache folder, or None when the cache is off."""
    from pathlib import Path

    folder = _folder(env)
    return Path(folder) if folder is not None else None


def subfolder(name: str, env: Mapping[str, str] | None = None) -> Path | None:
    """``<cache folder>/<name>``, made (private to the user), or None when caching is off or the folder
    cannot be made: for a cache that keeps files of its own format there."""
    folder = directory(env)
    if folder is None:
        return None
    path = folder / name
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return path


def _entry(kind: str, key: str, env: Mapping[str, str] | None) -> str | None:
    folder = _folder(env)
    if folder is None:
        return None
    # The name only spreads entries over files (the key inside decides); crc32 needs no hashlib import.
    raw = key.encode("utf-8", "surrogateescape")
    return os.path.join(folder, f"{kind}-{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}.entry")


def get(kind: str, key: str, env: Mapping[str, str] | None = None) -> Any:
    """The value stored for exactly ``key``, or None."""
    path = _entry(kind, key, env)
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        data = marshal.loads(raw[len(FORMAT) :]) if raw.startswith(FORMAT) else None
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    return data.get("value")


def put(kind: str, key: str, value: Any, env: Mapping[str, str] | None = None) -> None:
    """Remember ``value`` for ``key`` (atomically; a failure is silent)."""
    path = _entry(kind, key, env)
    if path is None:
        return
    from leadforge.fsutil import atomic_write

    try:
        atomic_write(path, FORMAT + marshal.dumps({"key": key, "value": value}))
    except (OSError, ValueError):  # ValueError: a value marshal cannot hold (not plain data)
        return
