"""The core install (no extras, no dev tools, from uv.lock) runs the core commands and names the extra for the rest.

A real venv, made by uv from the lock and the uv cache (``--offline``: setup.sh filled the cache), so a heavy
import that creeps into the core shows here as a failed command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, Repo

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXTRA_MODULES = ("playwright", "numpy", "PIL", "kubernetes_validate", "detect_secrets")


@pytest.fixture(scope="module")
def core_venv(uv: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("core") / "venv"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        [uv, "sync", "--locked", "--no-dev", "--offline", "--python", sys.executable, "--project", str(ROOT)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if done.returncode != 0 and ("offline" in done.stderr.lower() or "network connectivity is disabled" in done.stderr.lower()):
        pytest.skip(f"the uv cache lacks a locked package (run ./setup.sh once online): {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, done.stderr
    return venv


def run(venv: Path, *argv: str, repo: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    return subprocess.run(
        [str(venv / "bin" / "leadforge"), "--repo", str(repo), *argv], capture_output=True, text=True, env=env, timeout=120
    )


def test_the_core_install_has_none_of_the_extras(core_venv: Path) -> None:
    probe = "import importlib.util, json, sys; print(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m)]))"
    done = subprocess.run([str(core_venv / "bin" / "python"), "-c", probe, *EXTRA_MODULES], capture_output=True, text=True)
    assert json.loads(done.stdout) == []
    assert subprocess.run([str(core_venv / "bin" / "python"), "-c", "import pytest"], capture_output=True).returncode != 0


def test_core_commands_work_without_extras(core_venv: Path, sample_queue: Repo, run_cli) -> None:
    assert run(core_venv, "--help", repo=sample_queue.path).returncode == 0
    dispatch = run(core_venv, "task", "dispatch", "--dry-run", "--json", repo=sample_queue.path)
    assert dispatch.returncode == 0, dispatch.stderr
    plan = json.loads(dispatch.stdout)
    assert plan["assigned"] == [{"task": "task-1", "agent": "claude", "branch": "ai/task-1-title-of-task-1"}]
    # the same decision as the full install's
    assert plan == json.loads(run_cli("task", "dispatch", "--dry-run", "--json", repo=sample_queue.path).stdout)
    sample_queue.commit("feat(ui): a signup page")
    notes = run(core_venv, "release", "notes", "--json", repo=sample_queue.path)
    assert notes.returncode == 0, notes.stderr
    assert "a signup page" in notes.stdout
    metrics = run(core_venv, "metrics", "--json", repo=sample_queue.path)
    assert metrics.returncode == 0, metrics.stderr
    assert isinstance(json.loads(metrics.stdout), dict)
    assert run(core_venv, "config", "validate", repo=sample_queue.path).returncode == 0


@pytest.mark.parametrize(
    ("argv", "extra"),
    [
        (("visual", "diff", "a.png", "b.png"), "visual"),
        (("visual", "capture"), "visual"),
        (("deploy", "validate", "--all"), "deploy"),
    ],
)
def test_a_command_of_a_missing_extra_says_which_in_one_line(
    core_venv: Path, git_repo: Repo, argv: tuple[str, ...], extra: str
) -> None:
    done = run(core_venv, *argv, repo=git_repo.path)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"leadforge: error: leadforge {' '.join(argv[:2])} needs the '{extra}' extra (")
    assert f"pip install 'leadforge[{extra}]'" in done.stderr


def test_the_secrets_scan_names_the_scan_extra(core_venv: Path, git_repo: Repo) -> None:
    git_repo.commit("chore: a file", {"app.py": "print('hi')\n"})
    done = run(core_venv, "scan", "--json", repo=git_repo.path)
    assert "the detect-secrets scan needs the 'scan' extra (detect-secrets is not installed)" in done.stderr


def test_the_demo_skips_the_stages_of_missing_extras_and_says_why(core_venv: Path, tmp_path: Path) -> None:
    done = run(core_venv, "demo", "--out", str(tmp_path / "report"), "--json", repo=tmp_path)
    assert done.returncode == 0, done.stderr
    stages = {s["stage"]: s["status"] for s in json.loads(done.stdout)["stages"]}
    assert stages == {
        "foundation": "ok",
        "tasks": "ok",
        "review": "skipped",
        "visual": "skipped",
        "release": "ok",
        "deploy": "skipped",
        "metrics": "ok",
    }
    for stage, extra in (("review", "scan"), ("visual", "visual"), ("deploy", "deploy")):
        assert f"demo: skipped: the {stage} stage needs the '{extra}' extra" in done.stderr
