from __future__ import annotations

from pathlib import Path

import pytest

from leadforge.scaffold import SELF_INSTALL, template_files
from tests.harness import load_workflow


def test_scaffold_offers_the_adoptable_files() -> None:
    files = template_files()
    assert ".github/leadforge.yml" in files
    assert ".github/workflows/ci.yml" not in files  # LeadForge's own CI stays here


def test_init_creates_then_skips_and_never_overwrites(run_cli, tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "leadforge.yml").write_text("version: 1  # mine\n")
    first = run_cli("init", str(tmp_path), "--json")
    assert first.code == 0
    assert (tmp_path / ".github" / "leadforge.yml").read_text() == "version: 1  # mine\n"
    assert "skipped .github/leadforge.yml (already exists)" in first.stderr
    second = run_cli("init", str(tmp_path), "--json")
    assert '"created": []' in second.stdout


def test_init_dry_run_writes_nothing(run_cli, tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path), "--dry-run")
    assert result.code == 0 and "[dry-run] would create .github/leadforge.yml" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_init_workflows_install_the_released_package(run_cli, tmp_path: Path) -> None:
    from leadforge import __version__

    assert run_cli("init", str(tmp_path)).code == 0
    workflows = sorted((tmp_path / ".github" / "workflows").glob("*.yml"))
    assert workflows, "init copies the workflows"
    texts = [w.read_text() for w in workflows]
    assert all(SELF_INSTALL not in text for text in texts)
    # the workflows install through the copied install action, which installs this release from PyPI
    assert any("uses: $/.github/actions/install" in text for text in texts)
    action = (tmp_path / ".github" / "actions" / "install" / "action.yml").read_text()
    assert f'default: "{__version__}"' in action and (tmp_path / ".github" / "actions" / "install" / "install.sh").is_file()
    # LeadForge's own CI and release are not copied; the repository gets a release that only publishes
    assert not (tmp_path / ".github" / "workflows" / "ci.yml").exists()
    release = load_workflow(tmp_path / ".github" / "workflows" / "release.yml")
    assert list(release["jobs"]) == ["release"]
    assert release["jobs"]["release"]["uses"] == "$/.github/workflows/reusable-release.yml"
    # every workflow a copied caller calls was copied too
    for path in workflows:
        for job in load_workflow(path)["jobs"].values():
            if str(job.get("uses", "")).startswith("$/"):
                assert (tmp_path / job["uses"][2:]).is_file(), (path.name, job["uses"])


def test_init_into_a_missing_folder_is_an_error(run_cli, tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "nope"))
    assert result.code == 1 and "not a directory" in result.stderr


def test_init_writes_the_starter_config_not_leadforges_own(run_cli, tmp_path: Path) -> None:
    run_cli("init", str(tmp_path))
    text = (tmp_path / ".github" / "leadforge.yml").read_text()
    assert "leadforge.tasks" not in text and "dashboard" not in text
    assert run_cli("config", "validate", repo=tmp_path).code == 0


def test_init_where_a_file_blocks_a_folder_writes_nothing_and_says_which(run_cli, tmp_path: Path) -> None:
    (tmp_path / "k8s").write_text("not a folder\n")

    result = run_cli("init", str(tmp_path))

    assert result.code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{tmp_path / 'k8s'}: is not a folder" in lines[0] and "nothing was written" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k8s"]
    assert (tmp_path / "k8s").read_text() == "not a folder\n"


def test_init_never_replaces_a_symlink_even_a_dangling_one(run_cli, tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    link = tmp_path / ".github" / "leadforge.yml"
    link.symlink_to(tmp_path / "elsewhere.yml")  # dangling: exists() is False, but it is the user's

    result = run_cli("init", str(tmp_path))

    assert result.code == 0, result.stderr
    assert link.is_symlink() and not (tmp_path / "elsewhere.yml").exists()
    assert "skipped .github/leadforge.yml (already exists)" in result.stderr


def test_init_through_a_broken_folder_link_is_refused(run_cli, tmp_path: Path) -> None:
    (tmp_path / ".github").symlink_to(tmp_path / "gone")

    result = run_cli("init", str(tmp_path))

    assert result.code == 1 and "/.github: is not a folder" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".github"]


SHA = "4e1f0c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f"


def test_init_reusable_writes_the_callers_instead_of_the_workflows(run_cli, tmp_path: Path) -> None:
    from leadforge.scaffold import CALLERS_ROOT, PIPELINES, Pin, render_caller

    result = run_cli("init", str(tmp_path), "--reusable", "--ref", SHA, "--json")
    assert result.code == 0, result.stderr
    workflows = sorted(p.name for p in (tmp_path / ".github" / "workflows").iterdir())
    assert workflows == sorted(name for names in PIPELINES.values() for name in names)
    assert not (tmp_path / ".github" / "actions").exists()  # the callers install LeadForge from LeadForge's repository
    for name in workflows:
        text = (tmp_path / ".github" / "workflows" / name).read_text()
        assert text == render_caller((CALLERS_ROOT / name).read_text(), Pin(SHA, "leadforge init --ref"))
        assert "leadforge/leadforge/.github/workflows/reusable-" in text and f"@{SHA} # leadforge init --ref" in text
    # the rest of the adoption is written as usual: form, config, queue
    assert (tmp_path / ".github" / "ISSUE_TEMPLATE" / "ai-task.yml").is_file()
    assert (tmp_path / ".github" / "leadforge.yml").is_file()
    import json

    report = json.loads(result.stdout)
    assert report["reusable"] and report["pin"] == SHA


def test_init_reusable_pins_the_recorded_release_commit(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadforge import __version__, scaffold

    recorded = tmp_path / "RELEASE_COMMIT"
    recorded.write_text(SHA + "\n")
    monkeypatch.setattr(scaffold, "RELEASE_COMMIT_FILE", recorded)
    target = tmp_path / "repo"
    target.mkdir()
    result = run_cli("init", str(target), "--reusable", "--pipeline", "review")
    assert result.code == 0, result.stderr
    written = sorted(p.name for p in (target / ".github" / "workflows").iterdir())
    assert written == ["leadforge-review-post.yml", "leadforge-review.yml"]
    assert f"@{SHA} # v{__version__}" in (target / ".github" / "workflows" / "leadforge-review.yml").read_text()
    assert f"callers pin leadforge/leadforge@{SHA[:12]} (v{__version__})" in result.stderr + result.stdout


def test_init_reusable_needs_a_commit_it_can_pin(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadforge import scaffold

    monkeypatch.setattr(scaffold, "RELEASE_COMMIT_FILE", tmp_path / "absent")
    monkeypatch.setattr(scaffold, "release_commit", lambda: None)  # a source checkout: no recorded commit
    target = tmp_path / "repo"
    target.mkdir()
    for args, message in (
        (("--reusable",), "does not know its release commit: pass --ref"),
        (("--reusable", "--ref", "v1"), "--ref v1: give the full 40-character commit SHA"),
        (("--reusable", "--ref", SHA, "--pipeline", "nope"), "--pipeline nope: no such pipeline"),
        (("--ref", SHA), "add --reusable"),
    ):
        result = run_cli("init", str(target), *args)
        assert result.code == 1 and message in result.stderr, (args, result.stderr)
        assert list(target.iterdir()) == []  # nothing written
    dry = run_cli("init", str(target), "--reusable", "--ref", SHA, "--dry-run")
    assert dry.code == 0 and "[dry-run] would create .github/workflows/leadforge-tasks.yml" in dry.stderr
    assert list(target.iterdir()) == []


def test_release_commit_comes_from_the_package_or_a_git_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata
    import json

    from leadforge import scaffold

    recorded = tmp_path / "RELEASE_COMMIT"
    recorded.write_text("not a sha\n")
    monkeypatch.setattr(scaffold, "RELEASE_COMMIT_FILE", recorded)

    class Dist:
        def __init__(self, data: object) -> None:
            self.data = data

        def read_text(self, name: str) -> str | None:
            return json.dumps(self.data) if name == "direct_url.json" and self.data else None

    git_install = Dist({"url": "https://x", "vcs_info": {"vcs": "git", "commit_id": SHA}})
    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: git_install)
    assert scaffold.release_commit() == SHA  # pip records the commit of a git install
    editable = Dist({"url": "file:///x", "dir_info": {"editable": True}})
    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: editable)
    assert scaffold.release_commit() is None  # an editable checkout knows none
    recorded.write_text(SHA.upper().lower() + "\n")
    assert scaffold.release_commit() == SHA  # the release build's record wins


def test_the_readme_shows_the_caller_init_writes() -> None:
    """The one-file adoption in README.md is the tasks caller `leadforge init --reusable` writes (but the pin)."""
    import re

    from leadforge.scaffold import CALLERS_ROOT
    from tests.harness import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text()
    shown = re.search(r"```yaml\n# \.github/workflows/leadforge-tasks\.yml\n(.*?)```", readme, re.DOTALL)
    assert shown, "README.md lost its adoption example"
    template = (CALLERS_ROOT / "leadforge-tasks.yml").read_text()
    body = template.split("\n", 1)[1]  # the template's first line is its own comment
    assert shown.group(1) == body.replace("LEADFORGE_PIN", "<release commit SHA> # v0.1.0")
    assert readme.index("leadforge-tasks.yml") < readme.index("## Quick start") < readme.index("./setup.sh")


@pytest.mark.integration
def test_a_copied_workflow_runs_and_installs_the_released_package(run_cli, git_repo) -> None:
    """Copy mode end to end: the copied caller calls the copied reusable workflow ($/, the user's repository), whose
    copied install action installs this release (from PyPI on GitHub; the harness's uv stand-in here)."""
    from leadforge import __version__
    from tests.harness import Harness

    assert run_cli("init", str(git_repo.path)).code == 0
    git_repo.commit("chore: adopt LeadForge")
    harness = Harness(git_repo.path, root=git_repo.path.parent / "gh", workflows_dir=git_repo.path / ".github" / "workflows")
    result = harness.run("ai-task-sweep.yml", "schedule")
    assert result.ok, result.explain()
    assert result.ran == ["tasks/sweep"]
    install = result.job("tasks/sweep").step("Install LeadForge")
    assert install.steps[2].outputs["hash"] == "released"  # no LeadForge lock in the user's repository
    assert f"leadforge=={__version__}' skipped" in install.steps[-1].stdout
