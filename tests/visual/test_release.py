"""Release screenshots: stored per tag, and the changes the release notes render (issue 6's contract)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
from PIL import Image

from leadforge.visual.images import load_rgba
from leadforge.visual.release import VisualChange, release_changes
from tests.visual.reference import text_image


def put(repo: Path, name: str, text: str) -> None:
    path = repo / "screenshots" / "baseline" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(text_image(120, 60, text), "RGBA").save(path)


def test_first_release_lists_every_page_as_new(tmp_path: Path) -> None:
    put(tmp_path, "home-120x60.png", "Home")
    put(tmp_path, "about-120x60.png", "About")
    changes = release_changes(tmp_path, "v1.0.0", None)
    assert changes == [
        VisualChange("about", "120x60", None, "screenshots/releases/v1.0.0/about-120x60.png", None, None),
        VisualChange("home", "120x60", None, "screenshots/releases/v1.0.0/home-120x60.png", None, None),
    ]
    assert (tmp_path / "screenshots/releases/v1.0.0/home-120x60.png").is_file()
    with __import__("pytest").raises(dataclasses.FrozenInstanceError):
        changes[0].page = "x"  # type: ignore[misc]  # the assignment a frozen record refuses: what this checks


def test_changes_since_the_previous_release(tmp_path: Path) -> None:
    put(tmp_path, "home-120x60.png", "Home")
    put(tmp_path, "about-120x60.png", "About")
    put(tmp_path, "blog-120x60.png", "Blog")
    release_changes(tmp_path, "v1.0.0", None)
    put(tmp_path, "home-120x60.png", "Home 2")
    put(tmp_path, "pricing-120x60.png", "Pricing")
    (tmp_path / "screenshots/baseline/about-120x60.png").unlink()
    changes = release_changes(tmp_path, "v1.1.0", "v1.0.0")
    by_page = {c.page: c for c in changes}
    assert sorted(by_page) == ["about", "home", "pricing"]  # blog is unchanged: left out
    assert by_page["about"].after is None and by_page["about"].before == "screenshots/releases/v1.0.0/about-120x60.png"
    assert by_page["pricing"].before is None
    home = by_page["home"]
    assert home.before == "screenshots/releases/v1.0.0/home-120x60.png"
    assert home.after == "screenshots/releases/v1.1.0/home-120x60.png"
    assert home.diff == "screenshots/releases/v1.1.0/diffs/home-120x60.png"
    assert home.mismatch_ratio is not None and 0 < home.mismatch_ratio < 0.5
    diff = load_rgba(tmp_path / home.diff)
    assert diff.shape == (60, 120, 4) and np.any(np.all(diff[..., :3] == (255, 0, 0), axis=2))
    # a re-run gives the same answer and keeps the stored files
    stamp = (tmp_path / home.diff).stat().st_mtime_ns
    assert release_changes(tmp_path, "v1.1.0", "v1.0.0") == changes
    assert (tmp_path / home.diff).stat().st_mtime_ns == stamp


def test_no_screenshots_means_no_changes(tmp_path: Path) -> None:
    assert release_changes(tmp_path, "v1.0.0", None) == []


def test_release_area_reads_our_records(tmp_path: Path) -> None:
    from leadforge.release.collect import visual_changes

    put(tmp_path, "home-120x60.png", "Home")
    records = visual_changes(tmp_path, "v2.0.0", None)
    assert records[0] == {
        "page": "home",
        "viewport": "120x60",
        "before": None,
        "after": "screenshots/releases/v2.0.0/home-120x60.png",
        "diff": None,
        "mismatch_ratio": None,
    }


def test_release_command_stores_and_commits(run_cli, git_repo) -> None:
    put(git_repo.path, "home-120x60.png", "Home")
    git_repo.commit("feat: home page")
    first = run_cli("visual", "release", "--tag", "v1.0.0", "--commit", "--json", repo=git_repo.path)
    assert first.code == 0, first.stderr
    put(git_repo.path, "home-120x60.png", "Home v2")
    git_repo.commit("feat: new home")
    second = run_cli("visual", "release", "--tag", "v1.1.0", "--commit", "--json", repo=git_repo.path)
    data = json.loads(second.stdout)
    assert data["previous"] == "v1.0.0"
    assert [c["page"] for c in data["changes"]] == ["home"] and data["changes"][0]["diff"]
    assert git_repo.git("log", "-1", "--format=%s") == "chore(visual): screenshots of release v1.1.0"
    assert "screenshots/releases/v1.1.0/diffs/home-120x60.png" in git_repo.git("show", "--name-only", "--format=", "HEAD")
    bad = run_cli("visual", "release", "--tag", "../evil", repo=git_repo.path)
    assert bad.code == 1 and "release tag" in bad.stderr


def test_a_diff_stored_against_another_previous_release_is_replaced(tmp_path: Path) -> None:
    # `visual release` may have compared v1.1.0 with another release than the notes do: the diff
    # image must always show the comparison asked for, not whichever ran first
    put(tmp_path, "home-120x60.png", "Home")
    release_changes(tmp_path, "v1.0.0", None)
    put(tmp_path, "home-120x60.png", "Home page, longer")
    release_changes(tmp_path, "v1.0.1", "v1.0.0")
    put(tmp_path, "home-120x60.png", "Home page 3")
    against_101 = release_changes(tmp_path, "v1.1.0", "v1.0.1")[0]
    assert against_101.diff is not None
    diff_path = tmp_path / against_101.diff
    against_100 = release_changes(tmp_path, "v1.1.0", "v1.0.0")[0]
    assert against_100.diff == against_101.diff
    before = load_rgba(tmp_path / "screenshots/releases/v1.0.0/home-120x60.png")
    after = load_rgba(tmp_path / "screenshots/releases/v1.1.0/home-120x60.png")
    from leadforge.visual.diff import diff_images

    _, expected = diff_images(before, after)
    assert expected is not None
    assert np.array_equal(load_rgba(diff_path), expected)


def test_default_previous_follows_semver_not_the_digits_in_the_name(run_cli, git_repo) -> None:
    put(git_repo.path, "home-120x60.png", "Home")
    git_repo.commit("feat: home page")
    for tag in ("v1.0.0-rc.1", "v1.0.0", "v1.10.0-beta.1", "v1"):
        assert run_cli("visual", "release", "--tag", tag, repo=git_repo.path).code == 0
    result = run_cli("visual", "release", "--tag", "v1.0.1", "--json", repo=git_repo.path)
    assert result.code == 0, result.stderr
    # v1.0.0-rc.1 has more numbers than v1.0.0 and v1 has fewer: neither is the release before v1.0.1
    assert json.loads(result.stdout)["previous"] == "v1.0.0"
    pre = run_cli("visual", "release", "--tag", "v1.10.0-rc.1", "--json", repo=git_repo.path)
    assert json.loads(pre.stdout)["previous"] == "v1.10.0-beta.1"


def test_a_previous_release_that_was_never_stored_is_one_line(run_cli, git_repo) -> None:
    put(git_repo.path, "home-120x60.png", "Home")
    result = run_cli("visual", "release", "--tag", "v1.1.0", "--previous", "v0.9.0", repo=git_repo.path)
    assert result.code == 1 and "--previous v0.9.0: no stored release" in result.stderr
    assert not (git_repo.path / "screenshots" / "releases" / "v1.1.0").exists()  # nothing stored
