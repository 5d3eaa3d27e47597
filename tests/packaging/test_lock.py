"""uv.lock matches pyproject.toml (what `uv sync --locked` in setup.sh, the image and the workflows relies on)."""

from __future__ import annotations

import subprocess
import tomllib

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def test_the_lock_is_current(uv: str) -> None:
    done = subprocess.run(
        [uv, "lock", "--locked", "--offline", "--project", str(ROOT)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr  # else: run `uv lock` and commit uv.lock


def test_the_lock_holds_every_extra_and_group() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    project = next(p for p in lock["package"] if p["name"] == "leadforge")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert set(project["optional-dependencies"]) | {"all"} == set(pyproject["project"]["optional-dependencies"])
    assert set(project["dev-dependencies"]) == set(pyproject["dependency-groups"]) == {"dev", "release"}
