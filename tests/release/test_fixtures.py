"""Golden tests over fixture histories, and the cross-check against git-cliff (the peer).

Set UPDATE_GOLDEN=1 to rewrite fixtures/<name>/expected/ after a deliberate change (review the diff!).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.release import cliff
from tests.release.histories import FIXTURES, NAMES, build, clean_env, release_tags

FINAL = r"^v\d+\.\d+\.\d+$"
ANY_SEMVER = r"^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$"


@pytest.fixture(scope="module")
def histories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("histories")
    return {name: build(name, root / name) for name in NAMES}


def _cases() -> list[tuple[str, str]]:
    cases = []
    for name in NAMES:
        expected = FIXTURES / name / "expected"
        tags = sorted(p.name[: -len(".md")] for p in expected.glob("*.md")) if expected.is_dir() else []
        cases += [(name, tag) for tag in tags]
    return cases


def test_every_fixture_tag_has_a_golden_file(histories: dict[str, Path]) -> None:
    for name, repo in histories.items():
        for tag in release_tags(repo):
            golden = FIXTURES / name / "expected" / f"{tag}.md"
            if os.environ.get("UPDATE_GOLDEN"):
                continue
            assert golden.is_file(), f"missing golden notes {golden} (run with UPDATE_GOLDEN=1 and review)"


@pytest.mark.parametrize("name", NAMES)
def test_notes_match_golden_files(histories: dict[str, Path], run_cli, name: str) -> None:
    repo = histories[name]
    for tag in release_tags(repo):
        result = run_cli("release", "notes", "--tag", tag, repo=repo)
        assert result.code == 0, result.stderr
        golden = FIXTURES / name / "expected" / f"{tag}.md"
        if os.environ.get("UPDATE_GOLDEN"):
            golden.parent.mkdir(exist_ok=True)
            golden.write_text(result.stdout, encoding="utf-8")
        assert result.stdout == golden.read_text(encoding="utf-8"), f"{name} {tag}"


def _subjects(repo: Path) -> dict[str, str]:
    out = subprocess.run(
        ["git", "log", "--all", "--encoding=UTF-8", "--format=%H%x00%s"], cwd=repo, capture_output=True, check=True
    ).stdout
    pairs = (line.split(b"\0", 1) for line in out.splitlines())
    return {subject.decode("utf-8", "replace"): sha.decode() for sha, subject in pairs}


def _ours(run_cli, repo: Path, tag: str) -> dict[str, set[str]]:
    result = run_cli("release", "notes", "--tag", tag, "--json", repo=repo)
    assert result.code == 0, result.stderr
    groups: dict[str, set[str]] = {}
    for group in json.loads(result.stdout)["groups"]:
        shas = {c["sha"] for c in group["commits"] if c["type"] is not None}  # git-cliff drops the others
        if shas:
            groups[group["title"]] = shas
    return groups


@pytest.mark.integration
@pytest.mark.parametrize("name", NAMES)
def test_commits_per_type_equal_git_cliff_context(histories: dict[str, Path], run_cli, tmp_path: Path, name: str) -> None:
    """For every fixture range: the conventional commits in each group are exactly git-cliff's
    (conventional preset), except the revert pairs we cancel inside the range (git-cliff keeps them)
    and the commits that only maintain a skip list other than .git-blame-ignore-revs (git-cliff drops
    those only for that file; both tools skip the commits the lists name)."""
    repo = histories[name]
    config = cliff.preset(tmp_path / "preset")
    env = clean_env(tmp_path)
    finals = cliff.releases(repo, config, FINAL, env)
    every = cliff.releases(repo, config, ANY_SEMVER, env)
    subjects = _subjects(repo)
    declared = json.loads((FIXTURES / name / "expected.json").read_text(encoding="utf-8"))
    cancelled = {subjects[s] for s in declared["cancelled_subjects"] + declared.get("skipped_subjects", [])}
    assert len(cancelled) == len(declared["cancelled_subjects"]) + len(declared.get("skipped_subjects", []))
    # git-cliff (libgit2) reads no message from a commit that is not UTF-8 and drops it; we keep it.
    unreadable = {subjects[s] for s in declared.get("peer_unreadable_subjects", [])}
    assert len(unreadable) == len(declared.get("peer_unreadable_subjects", []))
    for tag in release_tags(repo):
        peer = (every if "-" in tag else finals)[tag]
        expected = {title: shas - cancelled for title, shas in peer.items() if shas - cancelled}
        ours = {title: shas - unreadable for title, shas in _ours(run_cli, repo, tag).items() if shas - unreadable}
        assert ours == expected, f"{name} {tag}"
        if unreadable:
            assert unreadable <= {sha for shas in _ours(run_cli, repo, tag).values() for sha in shas}
        shown = {sha for shas in _ours(run_cli, repo, tag).values() for sha in shas}
        assert not (shown & cancelled)
