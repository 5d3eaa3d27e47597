from __future__ import annotations

from pathlib import Path

from leadforge.scaffold import SELF_INSTALL, template_files


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
    run_cli("init", str(tmp_path))
    for workflow in (tmp_path / ".github" / "workflows").glob("*.yml"):
        assert SELF_INSTALL not in workflow.read_text()


def test_init_into_a_missing_folder_is_an_error(run_cli, tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "nope"))
    assert result.code == 1 and "not a directory" in result.stderr


def test_init_writes_the_starter_config_not_leadforges_own(run_cli, tmp_path: Path) -> None:
    run_cli("init", str(tmp_path))
    text = (tmp_path / ".github" / "leadforge.yml").read_text()
    assert "leadforge.tasks" not in text and "dashboard" not in text
    assert run_cli("config", "validate", repo=tmp_path).code == 0
