"""release.yml through the workflow harness (tests/harness): a tag push publishes the release."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Repo
from tests.fixtures.events import load_event
from tests.harness import Harness, load_workflow
from tests.workflows.pins import PINS

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def test_release_workflow_is_thin_pinned_and_least_privilege() -> None:
    data = load_workflow(WORKFLOW)
    assert data["permissions"] == {}
    assert list(data["jobs"]) == ["publish"]
    assert data["jobs"]["publish"]["permissions"] == {"contents": "write"}
    steps = data["jobs"]["publish"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert runs == ["python -m pip install .", 'leadforge release publish --tag "$TAG" --changelog']
    assert steps[-1]["env"]["TAG"] == "${{ github.ref_name }}"  # untrusted text only through env
    for line in WORKFLOW.read_text().splitlines():
        if "uses:" in line:
            action, _, rest = line.split("uses:", 1)[1].strip().partition("@")
            assert rest.split()[0] == PINS[action].sha, line


def _tag(repo: Repo, *messages: str, tag: str) -> None:
    for message in messages:
        repo.commit(message)
    repo.git("tag", "-a", "-m", tag, tag)


def _remote(harness: Harness, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=harness.remote, capture_output=True, text=True, check=True).stdout


@pytest.mark.integration
def test_tag_push_publishes_once_and_commits_the_changelog(git_repo: Repo, tmp_path: Path, github_double) -> None:
    if importlib.util.find_spec("leadforge.forge.github") is None:
        pytest.skip("the GitHub forge (leadforge.forge.github) is not built yet")
    _tag(git_repo, "feat: one", tag="v1.0.0")
    _tag(git_repo, "feat(ui): two (#3)", "fix!: three", tag="v1.1.0")
    harness = Harness(git_repo.path, root=tmp_path / "gh", api_double=github_double)
    push = load_event("push.tag", ref="refs/tags/v1.1.0")
    result = harness.run("release.yml", "push", push, ref="refs/tags/v1.1.0")
    assert result.ok, result.explain()
    release = github_double.release_by_tag("v1.1.0")
    assert release is not None and not release["prerelease"]
    body = release["body"]
    assert body.index("### ⚠ Breaking changes") < body.index("### Features") < body.index("### Bug Fixes")
    assert f"{github_double.server_url}/{github_double.repository}/pull/3" in body
    assert "## Release" in result.summary and "two" in result.summary
    changelog = _remote(harness, "show", "main:CHANGELOG.md")
    assert "## [v1.1.0]" in changelog and "three" in changelog
    head = _remote(harness, "rev-parse", "main")
    again = harness.run("release.yml", "push", push, ref="refs/tags/v1.1.0")
    assert again.ok, again.explain()
    assert len([r for r in github_double.releases.values() if r["tag"] == "v1.1.0"]) == 1
    assert _remote(harness, "rev-parse", "main") == head  # the changelog entry is already there


def test_floating_and_other_tags_do_not_trigger(git_repo: Repo, tmp_path: Path) -> None:
    harness = Harness(git_repo.path, root=tmp_path / "gh")
    for ref in ("refs/tags/v1", "refs/tags/v1.2", "refs/tags/nightly", "refs/heads/main"):
        result = harness.run("release.yml", "push", load_event("push.tag", ref=ref), ref=ref)
        assert not result.triggered, ref
    pre = harness.run("release.yml", "push", load_event("push.tag", ref="refs/tags/v2.0.0-rc.1"), ref="refs/tags/v2.0.0-rc.1",
                      jobs=[])
    assert pre.triggered


def _png(path: Path, box: tuple[int, int, int, int] | None = None) -> None:
    from PIL import Image, ImageDraw

    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGBA", (40, 30), (255, 255, 255, 255))
    if box:
        ImageDraw.Draw(image).rectangle(box, fill=(200, 20, 20, 255))
    image.save(path)


@pytest.mark.integration
def test_tag_push_with_screenshots_uploads_them_and_reruns_cleanly(git_repo: Repo, tmp_path: Path, github_double) -> None:
    if importlib.util.find_spec("leadforge.forge.github") is None or importlib.util.find_spec("leadforge.visual.release") is None:
        pytest.skip("needs the GitHub forge and the visual area")
    _png(git_repo.path / "screenshots/releases/v1.0.0/home-1280x800.png")
    _png(git_repo.path / "screenshots/baseline/home-1280x800.png")
    _tag(git_repo, "feat: one", tag="v1.0.0")
    _png(git_repo.path / "screenshots/baseline/home-1280x800.png", (0, 0, 9, 9))
    _tag(git_repo, "feat(ui): restyle home", tag="v1.1.0")
    harness = Harness(git_repo.path, root=tmp_path / "gh", api_double=github_double)
    push = load_event("push.tag", ref="refs/tags/v1.1.0")
    first = harness.run("release.yml", "push", push, ref="refs/tags/v1.1.0")
    assert first.ok, first.explain()
    release = github_double.release_by_tag("v1.1.0")
    assert release is not None and "<details>" in release["body"]
    names = sorted(github_double.assets[a]["name"] for a in release["assets"])
    assert names == ["v1.0.0-home-1280x800.png", "v1.1.0-diffs-home-1280x800.png", "v1.1.0-home-1280x800.png"]
    files = _remote(harness, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert "screenshots/releases/v1.1.0/home-1280x800.png" in files and "VISUAL_CHANGELOG.md" in files
    head = _remote(harness, "rev-parse", "main")
    again = harness.run("release.yml", "push", push, ref="refs/tags/v1.1.0")
    assert again.ok, again.explain()
    assert _remote(harness, "rev-parse", "main") == head
    release = github_double.release_by_tag("v1.1.0")
    assert len(release["assets"]) == 3  # type: ignore[index]
