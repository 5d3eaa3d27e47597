"""LeadForge's composite action (action.yml) through the workflow harness, used as a repository that adopts it
would: ``uses: leadforge/leadforge@<sha>`` resolves, in the harness, to this checkout (``Harness(repositories=)``).

Its steps run for real: the shared install action (.github/actions/install: setup-python, setup-uv, the cache
keyed on uv.lock, ``uv sync --locked`` from the action's own commit, or a released version), then the command,
or ``docker run`` of LeadForge's image. uv and docker are the harness's stand-ins (tests/harness/shims.py).
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path

import pytest

from leadforge import __version__
from tests.conftest import Repo
from tests.fixtures.events import load_event
from tests.harness import PROJECT_ROOT, Harness
from tests.workflows.checks import check_all
from tests.workflows.pins import uses

SHA = "89abcdef0123456789abcdef0123456789abcdef"
ACTION = f"leadforge/leadforge@{SHA} # v1"
PUSH = load_event("push", ref="refs/heads/main")


def _steps(*steps: str) -> str:
    body = "".join(textwrap.indent(textwrap.dedent(s).strip("\n"), "      ") + "\n" for s in steps)
    return (
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    permissions:\n      contents: read\n"
        f"    steps:\n      - uses: {uses('actions/checkout')}\n" + body
    )


@pytest.fixture
def repo(git_repo: Repo) -> Repo:
    git_repo.commit("feat: one")
    git_repo.git("tag", "-a", "-m", "v1.0.0", "v1.0.0")
    git_repo.commit(
        "feat: two", {"notes/my notes.md.j2": "Notes for {{ version }}\n", "sub/.github/leadforge.yml": "version: 1\n"}
    )
    return git_repo


def _run(repo: Repo, tmp_path: Path, text: str, **options):
    folder = tmp_path / "workflows"
    folder.mkdir(exist_ok=True)
    (folder / "w.yml").write_text(text, encoding="utf-8")
    harness = Harness(repo.path, root=tmp_path / "gh", workflows_dir=folder)
    return harness, harness.run("w.yml", "push", PUSH, **options)


def test_the_action_is_a_clean_pinned_composite_action() -> None:
    doc = load_workflow_like(PROJECT_ROOT / "action.yml")
    assert doc["runs"]["using"] == "composite"
    assert set(doc["inputs"]) >= {"command", "args", "version", "extras", "image", "working-directory", "token"}
    assert check_all(PROJECT_ROOT / "action.yml", "action.yml") == []
    assert check_all(PROJECT_ROOT / ".github/actions/install/action.yml", "install/action.yml") == []
    # every output a leadforge command writes is an output of the action
    import re

    written = set()
    for path in (PROJECT_ROOT / "scripts" / "leadforge").rglob("*.py"):
        written |= set(re.findall(r'set_output\("([a-z-]+)"', path.read_text(encoding="utf-8")))
    assert written and written <= set(doc["outputs"]), sorted(written - set(doc["outputs"]))
    # inputs reach the scripts only through env:
    for step in doc["runs"]["steps"]:
        assert "inputs." not in str(step.get("run", ""))


def load_workflow_like(path: Path) -> dict:
    from tests.harness.runner import parse_yaml

    return parse_yaml(path.read_text(encoding="utf-8"))


def test_installs_from_its_own_lock_and_runs_the_command(repo: Repo, tmp_path: Path) -> None:
    harness, result = _run(
        repo,
        tmp_path,
        _steps(f"""
        - id: next
          uses: {ACTION}
          with:
            command: release next-version
            extras: scan
        - env:
            NEXT: ${{{{ steps.next.outputs.next-version }}}}
            BUMP: ${{{{ steps.next.outputs.bump }}}}
            VERSION: ${{{{ steps.next.outputs.version }}}}
          run: echo "$NEXT $BUMP $VERSION"
        - run: command -v leadforge && command -v python
    """),
    )
    assert result.ok, result.explain()
    job = result.job("a")
    action = job.step("next")
    assert [s.name for s in action.steps] == ["Install LeadForge", "Run leadforge"]
    install = action.steps[0]
    assert [s.id or s.name for s in install.steps] == ["python", "Set up uv", "lock", "Restore the uv cache", "install"]
    lock = (PROJECT_ROOT / "uv.lock").read_bytes()
    root = harness.root / "_actions" / "leadforge" / "leadforge" / SHA
    assert install.steps[2].outputs == {"root": str(root), "hash": hashlib.sha256(lock).hexdigest()}
    (cache,) = result.uses_of("actions/cache")
    assert cache.with_["key"] == f"leadforge-uv-Linux-3.11-{hashlib.sha256(lock).hexdigest()}-scan-"
    assert result.uses_of("astral-sh/setup-uv")[0].with_["version"] == "0.13.9"
    assert (
        "skipped: leadforge" in install.steps[4].stdout and f"Installed leadforge {__version__} (scan)" in install.steps[4].stdout
    )
    assert job.steps[2].stdout.strip() == f"v1.1.0 minor {__version__}"
    leadforge, python = job.steps[3].stdout.split()
    assert leadforge == f"{job.workspace.parent}/temp/leadforge/bin/leadforge"  # only leadforge is linked on PATH
    assert not python.startswith(str(job.workspace.parent))  # the job's own python stays first
    assert action.steps[1].env["GITHUB_TOKEN"] == harness.secrets["GITHUB_TOKEN"]  # token: defaults to github.token


def test_args_are_one_per_line_and_the_working_directory_is_the_repository(repo: Repo, tmp_path: Path) -> None:
    _, result = _run(
        repo,
        tmp_path,
        _steps(f"""
        - id: notes
          uses: {ACTION}
          with:
            command: release notes --tag v1.0.0
            args: |
              --template
              notes/my notes.md.j2
        - id: sub
          uses: {ACTION}
          with:
            command: config validate
            args: --json
            working-directory: sub
        - id: nowhere
          continue-on-error: true
          uses: {ACTION}
          with:
            command: config validate
            working-directory: nowhere
    """),
    )
    job = result.job("a")
    assert job.step("notes").outcome == "success", result.explain()
    assert job.step("notes").stdout.strip().endswith("Notes for v1.0.0")
    report = json.loads(job.step("sub").steps[1].stdout)
    assert report["path"] == str(job.workspace / "sub" / ".github" / "leadforge.yml") and report["exists"]
    assert job.step("nowhere").outcome == "failure"
    assert any("working-directory: nowhere does not exist" in a.message for a in result.errors())


def test_a_released_version_or_bad_inputs(repo: Repo, tmp_path: Path) -> None:
    _, result = _run(
        repo,
        tmp_path,
        _steps(f"""
        - id: released
          uses: {ACTION}
          with:
            version: {__version__}
            extras: visual, scan
        - run: leadforge --version
        - id: extras
          continue-on-error: true
          uses: {ACTION}
          with:
            extras: "scan;rm -rf /"
        - id: version
          continue-on-error: true
          uses: {ACTION}
          with:
            version: latest
        - id: missing
          continue-on-error: true
          uses: {ACTION}
          with:
            version: 0.0.1
    """),
    )
    job = result.job("a")
    released = job.step("released").steps[0].steps[-1]
    assert released.outcome == "success" and "'uv pip install --python " in released.stdout
    assert f" leadforge[visual,scan]=={__version__}' skipped" in released.stdout
    assert job.steps[2].stdout.strip() == f"leadforge {__version__}"
    messages = [a.message for a in result.errors()]
    assert any("extras: 'scan;rm' is not an extra name" in m for m in messages)
    assert any("version: 'latest' is not a release version" in m for m in messages)
    assert job.step("missing").outcome == "failure" and "nothing can be downloaded here" in job.step("missing").stderr


def test_image_mode_runs_the_command_in_leadforges_image(repo: Repo, tmp_path: Path) -> None:
    version = next(
        line.split('"')[1] for line in (PROJECT_ROOT / "pyproject.toml").read_text().splitlines() if line.startswith("version = ")
    )
    digest = "ghcr.io/leadforge/leadforge@sha256:" + "c" * 64
    harness, result = _run(
        repo,
        tmp_path,
        _steps(f"""
        - id: next
          uses: {ACTION}
          with:
            command: release next-version
            image: default
        - id: visual
          uses: {ACTION}
          with:
            command: config validate
            extras: visual
            image: default
        - id: pinned
          uses: {ACTION}
          with:
            command: config validate
            image: {digest}
        - run: echo "${{{{ steps.next.outputs.next-version }}}} ${{{{ steps.next.outputs.image }}}}"
    """),
    )
    assert result.ok, result.explain()
    job = result.job("a")
    assert job.step("next").steps[0].outcome == "skipped"  # nothing is installed
    assert job.steps[4].stdout.strip() == f"v1.1.0 ghcr.io/leadforge/leadforge:{version}"  # outputs come back from the container
    runs = harness.docker_runs
    assert [r["image"] for r in runs] == [
        f"ghcr.io/leadforge/leadforge:{version}",
        f"ghcr.io/leadforge/leadforge:{version}-visual",
        digest,
    ]
    first = runs[0]
    assert first["entrypoint"] == "leadforge" and first["args"] == ["release", "next-version"]
    assert first["workdir"] == str(job.workspace) and str(job.workspace) in first["volumes"]
    assert {"GITHUB_EVENT_PATH", "GITHUB_OUTPUT", "GITHUB_TOKEN", "GITHUB_REPOSITORY", "RUNNER_TEMP", "HOME"} <= set(first["env"])
    assert first["user"].count(":") == 1 and "--rm" in first["flags"]
