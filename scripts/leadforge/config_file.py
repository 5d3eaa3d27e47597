"""Where ``.github/leadforge.yml`` is and how it is read: the one rule every reader of the config follows.

Four readers share it: the full pydantic loader (``config``), the fast section readers of the queue
(``tasks.options``) and of the release (``release.options``), and the validated-config cache of
``deploy render`` (``config_cache``). Each is fast in its own way, measured against its own peer: the
queue reads one section of a 10,000-task repository without pydantic; release notes stay under 0.15 s
on a fresh runner, where no cache exists yet, so they validate their section themselves; ``deploy
render`` validates the whole config once and then reads it back from the cache. What they must agree
on is here: the default path, that a missing default file means the defaults while a missing file
named by ``--config`` is an error, and the one-line errors of a file that cannot be read.
"""

from __future__ import annotations

import os

from leadforge.errors import ConfigError

DEFAULT_CONFIG_PATH = ".github/leadforge.yml"


def is_explicit(config_path: str | os.PathLike[str] | None) -> bool:
    """Whether ``--config`` names a file other than the default (which then must exist)."""
    return bool(config_path) and os.path.normpath(config_path or "") != os.path.normpath(DEFAULT_CONFIG_PATH)


def read_config_text(repo: str | os.PathLike[str], config_path: str | os.PathLike[str] | None) -> tuple[str, str | None]:
    """The config file's path (as the errors name it) and its text; the text is None when the default file
    does not exist (every default applies). A missing ``--config`` file, a file that is not UTF-8 or cannot
    be read is a ``ConfigError`` naming the file."""
    from pathlib import Path

    path = Path(repo) / (config_path or DEFAULT_CONFIG_PATH)
    try:
        return str(path), path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if is_explicit(config_path):
            raise ConfigError(f"{path}: config file not found") from None
        return str(path), None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config file ({err.strerror or err})") from None
