"""The fast ``release:`` reader agrees with the full (pydantic) config, or declines and lets it decide."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from leadforge.config import Config, load_config
from leadforge.errors import ConfigError
from leadforge.release.options import (
    DEFAULTS,
    TOP_LEVEL_KEYS,
    ReleaseOptions,
    load_options,
    options_from_settings,
)
from leadforge.release.settings import ReleaseSettings
from leadforge.visual.folders import ScreenshotDirs
from leadforge.visual.settings import VisualSettings

ROOT = Path(__file__).resolve().parents[2]

FULL = """\
version: 1
default_branch: trunk
review: {coverage: {threshold: 70}}
visual:
  baseline_dir: ui/baseline
release:
  tag_prefix: rel-
  unconventional: skip
  other_group: misc
  commit_parsers:
    - {message: "^feat", group: new}
    - {body: "(?i)security", group: misc}
    - {footer: "^Refs", skip: true}
    - {message: ".*", group: misc}
  groups:
    - {id: new, title: New}
    - {id: misc, title: Misc, visible: false}
  minor_types: [feat, feature]
  patch_types: []
  zero_breaking_bump: major
  zero_minor_bump: patch
  template: notes.j2
  changelog: HISTORY.md
  changelog_branch: changelog
  tasks_dir: tasks/done
  agent_patterns: ["(?i)robot"]
  upload_screenshots: no
  max_body_bytes: 2048
  skip_commit_files: [.skip-these]
"""

ACCEPTED = {
    "empty": "",
    "comments only": "# nothing yet\n",
    "other sections only": "version: 1\ndefault_branch: main\ntasks: {intake_label: ai}\n",
    "every key": FULL,
    "anchors and merge keys": "release:\n  commit_parsers: [{message: '.*', group: other}]\n"
    "  groups: [&g {id: other, title: Other}]\n  minor_types: &t [feat]\n  patch_types: *t\n",
    "yaml 1.1 booleans in bool fields": "release:\n  upload_screenshots: on\n",
}

DECLINED = {
    "a number where a string goes (YAML 1.2: 1e3 is a float)": "release:\n  tag_prefix: 1e3\n",
    "a quoted number-like string": "release:\n  tag_prefix: '0o17'\n",
    "a YAML 1.1 boolean where a string goes": "release:\n  other_group: off\n",
    "an unknown key": "release:\n  tag_prefixes: v\n",
    "an unknown top-level key": "relase:\n  tag_prefix: v\n",
    "a duplicate key": "release:\n  tag_prefix: v\n  tag_prefix: w\n",
    "a bad regex": "release:\n  commit_parsers:\n    - {message: '^feat(', group: feat}\n",
    "a parser without a group": "release:\n  commit_parsers:\n    - {message: '^feat'}\n",
    "a group nobody declared": "release:\n  commit_parsers:\n    - {message: '^feat', group: nope}\n",
    "duplicate group ids": "release:\n  groups: [{id: a, title: A}, {id: a, title: B}]\n  other_group: a\n",
    "an octal-looking integer": "release:\n  max_body_bytes: 010000\n",
    "too small a body limit": "release:\n  max_body_bytes: 10\n",
    "a string for a bool": "release:\n  upload_screenshots: 'yes'\n",
    "a tab": "release:\n\ttag_prefix: v\n",
    "a YAML directive": "%YAML 1.1\n---\nrelease: {}\n",
    "not a mapping": "- release\n",
    "version 2": "version: 2\n",
    "a float version": "version: 1.0\n",
    "a choice that does not exist": "release:\n  unconventional: drop\n",
    "invalid YAML": "release: [\n",
}


def _full(repo: Path) -> tuple[ReleaseOptions, ScreenshotDirs] | None:
    try:
        config = load_config(repo)
    except ConfigError:
        return None
    return options_from_settings(config.release), ScreenshotDirs(config.visual.baseline_dir, config.visual.releases_dir)


@pytest.mark.parametrize("text", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_a_plainly_valid_file_reads_the_same_both_ways(tmp_path: Path, text: str) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/leadforge.yml").write_text(text, encoding="utf-8")
    fast = load_options(tmp_path)
    assert fast is not None and fast == _full(tmp_path)


def test_every_key_is_read() -> None:
    assert {f.name for f in dataclasses.fields(ReleaseOptions)} <= set(FULL.replace(":", " ").split())


@pytest.mark.parametrize("text", DECLINED.values(), ids=DECLINED.keys())
def test_anything_else_is_left_to_the_full_loader(tmp_path: Path, text: str) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/leadforge.yml").write_text(text, encoding="utf-8")
    assert load_options(tmp_path) is None


def test_other_sections_are_not_validated_on_the_fast_path(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/leadforge.yml").write_text("review:\n  coverage: {min_percent: 80}\nrelease:\n  tag_prefix: r\n")
    fast = load_options(tmp_path)
    assert fast is not None and fast[0].tag_prefix == "r"  # release commands read their section...
    with pytest.raises(ConfigError, match=r"review\.coverage\.min_percent: unknown key"):
        load_config(tmp_path)  # ...the commands of the review area (and `config validate`) report the typo


def test_without_a_file_the_defaults_and_a_missing_explicit_file_is_the_full_loader_s_error(tmp_path: Path) -> None:
    assert load_options(tmp_path) == (DEFAULTS, ScreenshotDirs()) == _full(tmp_path)
    with pytest.raises(ConfigError, match=r"elsewhere\.yml: config file not found"):  # the full loader's words
        load_options(tmp_path, "elsewhere.yml")
    with pytest.raises(ConfigError, match=r"elsewhere\.yml: config file not found"):
        load_config(tmp_path, "elsewhere.yml")


def test_one_table_of_keys_and_defaults() -> None:
    assert [f.name for f in dataclasses.fields(ReleaseOptions)] == list(ReleaseSettings.model_fields)
    assert options_from_settings(ReleaseSettings()) == DEFAULTS
    assert set(Config.model_fields) == TOP_LEVEL_KEYS
    visual = VisualSettings()
    assert ScreenshotDirs() == ScreenshotDirs(visual.baseline_dir, visual.releases_dir)


@pytest.mark.parametrize("config", ["", "release:\n  tag_prefix: v\n  changelog: HISTORY.md\n"])
def test_release_notes_never_build_the_pydantic_config(git_repo, config: str) -> None:
    if config:
        git_repo.write(".github/leadforge.yml", config)
    git_repo.git("tag", "v1.0.0")
    git_repo.commit("feat: one")
    code = (
        "import sys; from leadforge.cli import main; code = main(['--repo', sys.argv[1], 'release', 'notes']); "
        "heavy = sorted(m for m in ('pydantic', 'leadforge.config', 'rich', 'github', 'markdown_it') if m in sys.modules); "
        "print(code, heavy, 'yaml' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(git_repo.path)], capture_output=True, text=True, cwd=ROOT)
    assert "one" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == f"0 [] {bool(config)}"  # yaml only when there is a file to read
