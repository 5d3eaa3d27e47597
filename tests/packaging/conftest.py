"""Shared by the packaging tests: a sample queue repository and the uv that setup.sh installs."""

from __future__ import annotations

import pytest

from tests.conftest import Repo
from tests.tasks.conftest import add_profiles, add_task


@pytest.fixture
def sample_queue(git_repo: Repo) -> Repo:
    """A repository with agent profiles and a small queue: one task to assign, one that waits on its scope."""
    add_profiles(git_repo.path)
    add_task(git_repo.path, "task-1", issue=1, scope=("src/a/**",), type="docs", priority="P1")
    add_task(git_repo.path, "task-2", issue=2, scope=("src/a/b.py",), type="feature")
    git_repo.commit("chore: queue two tasks")
    return git_repo


@pytest.fixture(scope="session")
def uv() -> str:
    from leadforge.tools import tool_path

    path = tool_path("uv")
    if not path:
        pytest.skip("uv is not installed (./setup.sh installs it in .venv-tools/uv)")
    return path
