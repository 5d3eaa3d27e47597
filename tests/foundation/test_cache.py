"""The on-disk cache of slow facts: validated config sections and tool versions, keyed so a change is a miss."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from leadforge import cache, config_cache
from leadforge.app import App
from leadforge.cli import AREAS, _area_modules
from leadforge.config_file import DEFAULT_CONFIG_PATH
from leadforge.errors import ConfigError


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("LEADFORGE_CACHE_DIR", str(folder))
    return folder


def _app(repo: Path) -> App:
    return App(repo=repo, env=dict(os.environ))


def test_an_entry_answers_only_its_exact_key(cache_dir: Path) -> None:
    cache.put("tool-version", "kubectl:/usr/bin/kubectl:1:2", "v5.5.0")
    assert cache.get("tool-version", "kubectl:/usr/bin/kubectl:1:2") == "v5.5.0"
    assert cache.get("tool-version", "kubectl:/usr/bin/kubectl:1:3") is None
    (entry,) = cache_dir.iterdir()
    for broken in (b"{not an entry", cache.FORMAT + b"\xff\x00", cache.FORMAT, b""):
        entry.write_bytes(broken)
        assert cache.get("tool-version", "kubectl:/usr/bin/kubectl:1:2") is None  # a broken entry is a miss


def test_the_cache_can_be_turned_off(tmp_path: Path) -> None:
    env = {"LEADFORGE_CACHE_DIR": "off", "HOME": str(tmp_path)}
    cache.put("config", "k", {"a": 1}, env)
    assert cache.get("config", "k", env) is None
    assert not (tmp_path / ".cache").exists()
    assert cache.directory({"XDG_CACHE_HOME": str(tmp_path / "x")}) == tmp_path / "x" / "leadforge"


def test_a_validated_config_is_read_back_and_a_changed_one_validated_again(tmp_path: Path, cache_dir: Path) -> None:
    (tmp_path / ".github").mkdir()
    config = tmp_path / ".github" / "leadforge.yml"
    config.write_text("deploy:\n  overlays_dir: deploy/overlays\n")
    assert config_cache.section(_app(tmp_path), "deploy")["overlays_dir"] == "deploy/overlays"
    assert len(list(cache_dir.iterdir())) == 1

    config.write_text("deploy:\n  overlays_dir: elsewhere\n")
    assert config_cache.section(_app(tmp_path), "deploy")["overlays_dir"] == "elsewhere"

    config.write_text("deploy:\n  overlay_dir: typo\n")  # never valid, so never cached: the same error every time
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"deploy\.overlay_dir: unknown key"):
            config_cache.section(_app(tmp_path), "deploy")


def test_a_cached_config_needs_no_pydantic(tmp_path: Path, cache_dir: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "leadforge.yml").write_text("deploy:\n  environments: [qa]\n")
    code = (
        "import sys, os\nfrom leadforge.app import App\nfrom leadforge import config_cache\n"
        f"data = config_cache.section(App(repo={str(tmp_path)!r}, env=dict(os.environ)), 'deploy')\n"
        "print(data['environments'], 'pydantic' in sys.modules)"
    )
    env = {**os.environ, "LEADFORGE_CACHE_DIR": str(cache_dir)}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert first.split() == ["['qa']", "True"]
    assert second.split() == ["['qa']", "False"]


def test_the_default_config_path_is_defined_once() -> None:
    package = Path(config_cache.__file__).parent
    defining = sorted(
        p.relative_to(package).as_posix() for p in package.rglob("*.py") if "DEFAULT_CONFIG_PATH =" in p.read_text()
    )
    assert defining == ["config_file.py"] and config_cache.DEFAULT_CONFIG_PATH is DEFAULT_CONFIG_PATH


def test_a_tools_version_is_asked_once_per_build_of_the_binary(tmp_path: Path, cache_dir: Path) -> None:
    from leadforge.deploy import kustomize

    calls = tmp_path / "calls"
    tool = tmp_path / "bin" / "kubectl"
    tool.parent.mkdir()
    tool.write_text(f'#!/bin/sh\necho x >> {calls}\necho \'{{"kustomizeVersion": "v5.5.0"}}\'\n')
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    for _ in range(2):
        kustomize._VERSIONS.clear()  # a new process
        assert kustomize._version_of("kubectl", str(tool)) == "v5.5.0"
    assert calls.read_text().count("x") == 1
    tool.write_text(tool.read_text().replace("v5.5.0", "v5.6.0"))  # an upgrade: another size and mtime
    kustomize._VERSIONS.clear()
    assert kustomize._version_of("kubectl", str(tool)) == "v5.6.0"
    assert calls.read_text().count("x") == 2
    held = b"".join(p.read_bytes() for p in cache_dir.iterdir())  # an entry per build of the binary
    assert b"v5.5.0" in held and b"v5.6.0" in held


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["deploy", "render", "--env", "dev"], ("leadforge.deploy.cli",)),
        (["--repo", "x", "--json", "deploy", "render"], ("leadforge.deploy.cli",)),
        (["--config=c.yml", "scan"], ("leadforge.scan.cli",)),
        (["config", "validate"], AREAS),  # registered by basics_cli
        (["--help"], AREAS),
        ([], AREAS),
        (None, AREAS),
    ],
)
def test_only_the_named_area_is_registered(argv: list[str] | None, expected: tuple[str, ...]) -> None:
    assert _area_modules(argv) == expected
