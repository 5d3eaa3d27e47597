"""Jinja2 environments for the templates users may override from their repository.

Every area that renders for people (release notes, the visual report, the dashboard)
looks in the repository's override folder first, then in ``leadforge/templates/<area>``;
renders in a sandbox (templates may come from a pull request) with StrictUndefined, so
a typo is an error instead of an empty string.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2.bccache import Bucket, BytecodeCache

BUILTIN_TEMPLATES = Path(__file__).resolve().parent / "templates"


def search_path(builtin: Path, repo: Path | None, override: Path) -> list[str]:
    """The folders a template name is looked up in: the repository's override folder first."""
    search = [str(builtin)]
    if repo is not None and (repo / override).is_dir():
        search.insert(0, str(repo / override))
    return search


def compiled_cache(fingerprint: str) -> BytecodeCache | None:
    """Jinja2's bytecode cache for environments configured as ``fingerprint`` says, or None (caching off).

    Compiling a template costs more than rendering it (the release notes' templates: ~15 ms, a tenth
    of ``release notes``); the cache keeps the compiled code per template file and source checksum, so
    an edited or overriding template is compiled afresh. ``fingerprint`` (environment class, options,
    Jinja2 version) is part of the file names, so environments that would compile the same file
    differently never share an entry. The folder: ``templates/`` in LeadForge's cache folder
    (``leadforge.cache``: ``$LEADFORGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/leadforge``; ``off`` turns it
    off with the other caches). A cache that cannot be written is skipped, never an error."""
    from leadforge import cache

    folder = cache.subfolder("templates")
    if folder is None:
        return None
    from jinja2 import FileSystemBytecodeCache

    class QuietCache(FileSystemBytecodeCache):
        def dump_bytecode(self, bucket: Bucket) -> None:
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

    return QuietCache(str(folder), pattern=f"{fingerprint}-%s.cache")


def sandboxed_environment(
    builtin: Path,
    repo: Path | None,
    override: Path,
    *,
    autoescape: Any,
    environment_class: Any = None,
    cache: bool = False,
    **options: Any,
) -> Any:
    """A sandboxed, strict environment over ``search_path(builtin, repo, override)``; ``cache``: keep
    compiled templates between runs (``compiled_cache``)."""
    import hashlib

    from jinja2 import FileSystemLoader, StrictUndefined, __version__
    from jinja2.sandbox import SandboxedEnvironment

    cls = environment_class or SandboxedEnvironment
    settings = dict(autoescape=autoescape, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, **options)
    if cache:
        described = repr((cls.__module__, cls.__qualname__, __version__, sorted((k, repr(v)) for k, v in settings.items())))
        settings["bytecode_cache"] = compiled_cache(hashlib.sha1(described.encode(), usedforsecurity=False).hexdigest()[:12])
    return cls(loader=FileSystemLoader(search_path(builtin, repo, override)), **settings)
