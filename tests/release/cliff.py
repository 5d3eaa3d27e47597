"""Run git-cliff (the peer) with its conventional preset and read its ``--context`` JSON."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GIT_CLIFF = ROOT / ".venv" / "bin" / "git-cliff"


def preset(dest: Path) -> Path:
    """Write git-cliff's default (conventional) configuration with ``git-cliff --init``."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(GIT_CLIFF), "--init"], cwd=dest, check=True, capture_output=True)
    return dest / "cliff.toml"


def _title(group: str) -> str:
    """'<!-- 0 -->🚀 Features' -> 'Features' (the preset orders groups with an HTML comment and an emoji)."""
    text = re.sub(r"<!--.*?-->", "", group).strip()
    return re.sub(r"^[^\w]+", "", text).strip()


def releases(repo: Path, config: Path, tag_pattern: str, env: dict[str, str]) -> dict[str, dict[str, set[str]]]:
    """{release version: {group title: {sha, ...}}} for the whole history, split at ``tag_pattern`` tags."""
    done = subprocess.run(
        [str(GIT_CLIFF), "--config", str(config), "--context", "--offline", "--tag-pattern", tag_pattern],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise AssertionError(f"git-cliff failed: {done.stderr}")
    result: dict[str, dict[str, set[str]]] = {}
    for release in json.loads(done.stdout):
        groups: dict[str, set[str]] = {}
        for commit in release["commits"]:
            groups.setdefault(_title(commit["group"]), set()).add(commit["id"])
        result[release["version"] or "unreleased"] = groups
    return result
