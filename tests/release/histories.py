"""Fixture histories (like git-cliff's .github/fixtures): each folder under fixtures/ has a
``commits.sh`` that makes the commits with fixed dates and identities, and golden outputs under
``expected/``. ``build`` replays a script into a fresh repository."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
NAMES = tuple(sorted(p.name for p in FIXTURES.iterdir() if (p / "commits.sh").is_file()))


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GIT_")) and k not in {"GH_TOKEN", "CI"}}
    env.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"), GIT_CONFIG_NOSYSTEM="1", LC_ALL="C")
    return env


def build(name: str, dest: Path) -> Path:
    """Replay fixtures/<name>/commits.sh into a new repository at ``dest``."""
    folder = FIXTURES / name
    dest.mkdir(parents=True)
    env = clean_env(dest.parent) | {"FIXTURE_DIR": str(folder)}
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=dest, check=True, env=env)
    script = f'source "{FIXTURES / "lib.sh"}"; source "{folder / "commits.sh"}"'
    done = subprocess.run(["bash", "-c", script], cwd=dest, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"fixture {name} failed: {done.stderr}")
    return dest


def release_tags(repo: Path) -> list[str]:
    """The fixture's release tags (full semver), oldest first."""
    from leadforge.semver import Version

    names = subprocess.run(["git", "tag"], cwd=repo, capture_output=True, text=True, check=True).stdout.split()
    versions = sorted((v, n) for n in names if (v := Version.parse(n)) is not None)
    return [n for _, n in versions]
