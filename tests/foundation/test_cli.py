from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from leadforge import __version__, cli
from leadforge.app import App
from leadforge.errors import ConfigError
from leadforge.forge import choose_forge


def test_version(run_cli) -> None:
    result = run_cli("--version")
    assert result.code == 0 and result.stdout.strip() == f"leadforge {__version__}"


def test_every_area_is_listed_in_help(run_cli) -> None:
    result = run_cli("--help")
    for area in ("task", "review", "scan", "visual", "release", "deploy", "metrics", "init", "demo", "config"):
        assert f"    {area}" in result.stdout


def test_area_without_verb_shows_its_help_and_exits_2(run_cli) -> None:
    result = run_cli("config")
    assert result.code == 2 and "validate" in result.stderr


def test_expected_error_is_one_line_and_exit_1(run_cli, tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "leadforge.yml").write_text("version: 1\nbogus: 1\n")
    result = run_cli("config", "validate", repo=tmp_path)
    assert result.code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "leadforge.yml:2: bogus: unknown key" in result.stderr


def test_global_options_work_after_the_verb(run_cli, tmp_path: Path) -> None:
    result = run_cli("config", "validate", "--json", repo=tmp_path)
    assert result.code == 0 and '"valid": true' in result.stdout


def test_surprise_prints_traceback_and_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    def broken(app: App) -> int:
        raise KeyError("boom")

    assert cli.run_handler(broken, App(), {}) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError: 'boom'" in err


def test_expected_error_maps_to_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    def bad(app: App) -> int:
        raise ConfigError("cfg.yml: x: wrong")

    assert cli.run_handler(bad, App(), {}) == 1
    assert capsys.readouterr().err == "leadforge: error: cfg.yml: x: wrong\n"


@pytest.mark.parametrize(
    ("kind", "env", "expected"),
    [
        (None, {}, "local"),
        (None, {"GITHUB_TOKEN": "t"}, "local"),
        (None, {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "o/r"}, "github"),
        ("local", {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "o/r"}, "local"),
        ("github", {}, "github"),
    ],
)
def test_forge_choice(kind: str | None, env: dict[str, str], expected: str) -> None:
    assert choose_forge(kind, env) == expected


def test_github_forge_without_token_is_a_clear_error(run_cli, tmp_path: Path) -> None:
    app = App(repo=tmp_path, forge_kind="github", env={"GITHUB_REPOSITORY": "o/r"})
    with pytest.raises(ConfigError, match="GITHUB_TOKEN is not set"):
        _ = app.forge


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\nfrom leadforge import cli\ncli.build_parser()\n"
        "heavy = ('pydantic', 'github', 'playwright', 'numpy', 'PIL', 'jinja2', 'ruamel', 'yaml')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_progress_prints_one_line_per_step_in_logs() -> None:
    import io

    from leadforge.app import Output

    err = io.StringIO()
    out = Output(stderr=err)
    with out.progress(2, "capturing") as bar:
        bar.advance("home")
        bar.advance()
    assert err.getvalue() == "[1/2] capturing: home\n[2/2] capturing\n"


def test_a_missing_repo_folder_is_named_not_blamed_on_a_file_inside_it(run_cli, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-repo"
    result = run_cli("deploy", "render", "--env", "dev", repo=missing)
    assert result.code == 1
    assert result.stderr.strip().splitlines() == [
        f"leadforge: error: --repo {missing}: no such folder; give the repository's path (default: .)"
    ]
    assert not missing.exists()
