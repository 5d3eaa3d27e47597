"""The checks that keep the code tidy: `.ci/run` runs them before the tests, `.pre-commit-config.yaml` runs the
same commands for contributors, and mypy's strict modules really get every flag `mypy --strict` turns on."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PATH_ARGS = {"."}  # what .ci/run passes where pre-commit passes the changed files
PRE_COMMIT_ONLY = {"--force-exclude"}  # files passed by name still honour pyproject's excludes


def _ci_steps() -> list[str]:
    """The commands .ci/run runs after ./setup.sh, in order (the checks' loop items, then the others)."""
    text = (ROOT / ".ci/run").read_text()
    checks = re.search(r"^for check in (.+); do$", text, re.MULTILINE)
    assert checks, ".ci/run: no 'for check in ...; do' loop of checks"
    steps = shlex.split(checks.group(1))
    after = text[checks.end() :]
    steps += [line.strip() for line in after.splitlines() if line.strip().startswith(".venv/bin/")]
    return steps


def _hooks() -> dict[str, dict[str, object]]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


def _readme_test_command() -> str:
    text = (ROOT / "README.md").read_text()
    return next(line.strip() for line in text.splitlines() if line.strip().startswith(".venv/bin/python -m pytest"))


def test_ci_runs_the_checks_before_the_readme_test_command() -> None:
    steps = _ci_steps()
    tools = [shlex.split(step)[0:2] for step in steps]
    assert steps[-1] == _readme_test_command()
    assert [".venv/bin/ruff", "check"] in tools and [".venv/bin/ruff", "format"] in tools and [".venv/bin/mypy"] in tools
    assert all(step != _readme_test_command() for step in steps[:-1])


def test_pre_commit_runs_the_same_commands_as_ci() -> None:
    checks = {tuple(a for a in shlex.split(step) if a not in PATH_ARGS) for step in _ci_steps()[:-1]}
    entries = {tuple(a for a in shlex.split(str(h["entry"])) if a not in PRE_COMMIT_ONLY) for h in _hooks().values()}
    assert checks <= entries, f"checks of .ci/run without a pre-commit hook: {sorted(checks - entries)}"
    assert all(h["language"] == "system" for h in _hooks().values())  # the locked tools in .venv, no second copy
    assert _hooks()["mypy"]["pass_filenames"] is False  # the whole configured tree, as in CI


def test_zizmor_hook_covers_every_workflow_and_action() -> None:
    pattern = re.compile(str(_hooks()["zizmor"]["files"]))
    files = [*(ROOT / ".github/workflows").glob("*.yml"), *(ROOT / ".github/actions").glob("*/action.yml"), ROOT / "action.yml"]
    assert files and all(pattern.search(p.relative_to(ROOT).as_posix()) for p in files)
    assert not pattern.search("docs/workflows.md") and not pattern.search(".github/ISSUE_TEMPLATE/ai-task.yml")


def _strict_flags() -> list[str]:
    """The flags `mypy --strict` turns on, as this mypy's --help lists them."""
    done = subprocess.run([str(VENV_BIN / "mypy"), "--help"], capture_output=True, text=True, check=True)
    listed = re.search(r"--strict\s+Strict mode; enables the following\s+flags:(.*?)\n\s{2}--", done.stdout, re.DOTALL)
    assert listed, "mypy --help no longer lists what --strict enables"
    return [f.strip() for f in re.sub(r"-\s*\n\s*", "-", listed.group(1)).replace("\n", " ").split(",")]


@pytest.mark.skipif(not (VENV_BIN / "mypy").exists(), reason="mypy is a dev dependency: run ./setup.sh")
def test_the_strict_modules_get_every_flag_of_mypy_strict() -> None:
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    strict = next(o for o in mypy["overrides"] if "leadforge.tasks.dispatch" in o["module"])
    flags = _strict_flags()
    assert len(flags) >= 10
    for flag in flags:
        name = flag.removeprefix("--").removeprefix("no-").replace("-", "_")
        wanted = not flag.startswith("--no-")
        assert strict.get(name, mypy.get(name)) is wanted, f"{flag}: not set for the strict modules in pyproject.toml"


def _scratch_repo(tmp_path: Path, files: dict[str, str]) -> Path:
    """A git repository with LeadForge's check configuration, the dev tools of .venv, and ``files`` staged."""
    repo = tmp_path / "repo"
    repo.mkdir(parents=True)
    for name in (".pre-commit-config.yaml", "pyproject.toml"):
        shutil.copy(ROOT / name, repo / name)
    (repo / ".venv").symlink_to(ROOT / ".venv")
    for folder in ("scripts/leadforge", "tests", "benchmarks"):  # the folders mypy's configuration names
        (repo / folder).mkdir(parents=True)
        (repo / folder / "__init__.py").write_text("")
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    return repo


def _pre_commit(repo: Path, tmp_path: Path, hook: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    return subprocess.run(
        [str(VENV_BIN / "pre-commit"), "run", hook, "--all-files", "--color=never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


BAD = {
    "ruff-check": ("scripts/leadforge/bad.py", "import os\n", "F401"),
    "ruff-format": ("scripts/leadforge/bad.py", "x = {  'a':1 }\n", "would be reformatted"),
    "mypy": ("scripts/leadforge/bad.py", 'count: int = "three"\n', "Incompatible types in assignment"),
    "zizmor": (
        ".github/workflows/bad.yml",
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n",
        "unpinned",
    ),
}
GOOD = {"scripts/leadforge/good.py": "COUNT: int = 3\n\n\ndef twice(value: int) -> int:\n    return value * 2\n"}


@pytest.mark.integration
@pytest.mark.skipif(not (VENV_BIN / "pre-commit").exists(), reason="pre-commit is a dev dependency: run ./setup.sh")
@pytest.mark.parametrize("hook", sorted(BAD))
def test_each_hook_stops_a_commit_that_ci_would_fail(hook: str, tmp_path: Path) -> None:
    name, text, finding = BAD[hook]
    bad = _pre_commit(_scratch_repo(tmp_path / "bad", {name: text}), tmp_path, hook)
    assert bad.returncode != 0 and finding in bad.stdout, bad.stdout + bad.stderr
    if hook != "zizmor":
        good = _pre_commit(_scratch_repo(tmp_path / "good", GOOD), tmp_path, hook)
        assert good.returncode == 0, good.stdout + good.stderr
