"""`leadforge serve` on the command line: the missing extra, lazy imports, option errors."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from leadforge.serve.cli import SERVE_MODULES


def test_without_the_serve_extra_it_says_which_extra_to_install(git_repo, run_cli, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a))

    result = run_cli("serve", repo=git_repo.path)

    assert result.code == 1
    assert result.stderr == (
        "leadforge: error: leadforge serve needs the serve extra: pip install 'leadforge[serve]' (missing: uvicorn)\n"
    )


def test_the_cli_does_not_import_the_server_libraries():
    code = f"import sys, leadforge.cli as c; c.build_parser(); print([m for m in {SERVE_MODULES!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--refresh", "-1"], "--refresh -1: must be 0 (webhooks only) or more seconds"),
        (["--port", "70000"], "--port 70000: must be 0-65535"),
    ],
)
def test_bad_options_are_one_line_errors(git_repo, run_cli, args, message):
    pytest.importorskip("uvicorn")
    result = run_cli("serve", *args, repo=git_repo.path)
    assert (result.code, result.stderr) == (1, f"leadforge: error: {message}\n")


def test_an_empty_folder_without_a_clone_url_is_refused(tmp_path, run_cli):
    pytest.importorskip("uvicorn")
    result = run_cli("serve", repo=tmp_path / "nothing-here")
    assert result.code == 1
    assert "no git checkout there; give a checkout, or --clone URL to clone into it" in result.stderr


def test_a_token_goes_to_git_as_a_header_through_the_environment():
    from leadforge.serve.checkout import auth_env

    assert auth_env("") == {}
    assert auth_env("ghs_abc") == {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraheader",
        "GIT_CONFIG_VALUE_0": "AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX2FiYw==",  # base64 of x-access-token:ghs_abc
    }
