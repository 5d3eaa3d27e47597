"""A command that needs an extra that is not installed names the extra in one line (``leadforge.extras``)."""

from __future__ import annotations

import tomllib

import pytest

from leadforge import cli, extras
from leadforge.app import App
from tests.conftest import ROOT

ABSENT = "leadforge_test_module_that_is_not_installed"


@pytest.fixture
def absent_extra(monkeypatch: pytest.MonkeyPatch) -> str:
    """Pretend ``ABSENT`` is the module of the 'visual' extra: the lookups below are real, the module is missing."""
    monkeypatch.setitem(extras.EXTRA_OF_MODULE, ABSENT, ("visual", "absent-package"))
    return ABSENT


def test_every_mapped_module_belongs_to_an_extra_of_pyproject() -> None:
    optional = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for module, (extra, package) in extras.EXTRA_OF_MODULE.items():
        names = [req.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip().lower() for req in optional[extra]]
        assert package.lower() in names, (module, extra, package)
    # and the core dependencies hold none of them
    core = " ".join(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]).lower()
    for _extra, package in extras.EXTRA_OF_MODULE.values():
        assert package.lower() not in core


def test_need_names_the_extra_and_how_to_install_it(absent_extra: str) -> None:
    extras.need("leadforge visual diff", "json")  # installed: no error
    with pytest.raises(extras.MissingExtra) as caught:
        extras.need("leadforge visual diff", "json", absent_extra)
    message = str(caught.value)
    assert message.startswith("leadforge visual diff needs the 'visual' extra (absent-package is not installed): ")
    assert "pip install 'leadforge[visual]'" in message and "uv sync --locked --extra visual" in message
    assert "\n" not in message and caught.value.exit_code == 1


def test_run_handler_turns_an_import_of_a_missing_extra_into_one_line(
    absent_extra: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def handler(app: App) -> int:
        __import__(absent_extra)
        return 0

    assert cli.run_handler(handler, App(), {}, command="leadforge visual compare") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("leadforge: error: leadforge visual compare needs the 'visual' extra")


def test_a_missing_module_of_no_extra_is_still_a_bug(capsys: pytest.CaptureFixture[str]) -> None:
    def handler(app: App) -> int:
        __import__("leadforge_module_nobody_declared")
        return 0

    assert cli.run_handler(handler, App(), {}) == 3
    assert "Traceback" in capsys.readouterr().err


def test_an_installed_extra_that_fails_inside_is_a_bug_not_a_missing_extra() -> None:
    err = ModuleNotFoundError("No module named 'numpy.broken_part'", name="numpy.broken_part")
    assert extras.from_import_error(err, "leadforge visual diff") is None  # numpy itself is installed here


def test_the_visual_verbs_check_their_extra_before_any_work(
    absent_extra: str, monkeypatch: pytest.MonkeyPatch, tmp_path, run_cli
) -> None:
    from leadforge.visual import cli as visual_cli

    monkeypatch.setitem(visual_cli._MODULES, "diff", (absent_extra,))
    result = run_cli("visual", "diff", str(tmp_path / "a.png"), str(tmp_path / "b.png"), repo=tmp_path)
    assert result.code == 1
    assert (
        result.stderr.strip() == f"leadforge: error: leadforge visual diff needs the 'visual' extra (absent-package is "
        f"not installed): {extras.install_hint('visual')}"
    )
