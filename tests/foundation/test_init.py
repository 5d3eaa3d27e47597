from __future__ import annotations

from pathlib import Path

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
    assert list(release["jobs"]) == ["release"] and release["jobs"]["release"]["uses"] == "$/.github/workflows/reusable-release.yml"
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
