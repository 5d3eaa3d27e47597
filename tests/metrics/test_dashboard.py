"""`leadforge dashboard build`: the board, charts and visual changes, checked as HTML and in real Chromium."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from leadforge.metrics.dashboard import Links, board, repo_base_url
from leadforge.metrics.visualchangelog import Entry, newest_entry, render_entry
from leadforge.tasks.taskfile import Task
from tests.metrics import scenario

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

ROW = (
    '| <img src="screenshots/releases/v1.2.0/home-before.png" alt="home before" width="320"> '
    '| <img src="screenshots/releases/v1.2.0/home.png" alt="home after" width="320" onerror="alert(1)"> |'
)
VISUAL = f"""# Visual changelog

## v1.2.0 - 2026-11-20

### Visual changes

<details>
<summary>home · 1280x720 · 3.10% of pixels changed</summary>

| Before | After |
| --- | --- |
{ROW}

</details>

<script>document.title = "owned"</script>

## v1.1.0 - 2026-11-01

Old entry.
"""


def _png(path: Path, colour: tuple[int, int, int]) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 40), colour).save(path)


@pytest.fixture
def site(git_repo, run_cli, tmp_path: Path) -> Path:
    scenario.build(git_repo)
    git_repo.write("VISUAL_CHANGELOG.md", VISUAL)
    _png(git_repo.path / "screenshots/releases/v1.2.0/home-before.png", (200, 30, 30))
    _png(git_repo.path / "screenshots/releases/v1.2.0/home.png", (30, 30, 200))
    out = tmp_path / "site"
    result = run_cli(
        "dashboard", "build", "--out", str(out), "--json", repo=git_repo.path, env={"GITHUB_REPOSITORY": "demo/shop"}
    )
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["index"] == str(out / "index.html")
    return out


def test_site_has_every_task_links_and_copied_screenshots(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    for task in scenario.tasks():
        assert f'id="task-{task.id}"' in html
    assert 'href="https://github.com/demo/shop/pull/11"' in html and 'href="https://github.com/demo/shop/issues/3"' in html
    assert (site / "visual/screenshots/releases/v1.2.0/home.png").is_file()
    assert "<script" not in html and "onerror" not in html and "owned" not in html
    assert "Old entry" not in html  # only the newest release
    assert json.loads((site / "metrics.json").read_text())["period"]["label"] == "all time"


def test_rebuild_is_idempotent_and_removes_files_it_no_longer_writes(site: Path, git_repo, run_cli) -> None:
    before = (site / "index.html").read_bytes()
    (git_repo.path / "VISUAL_CHANGELOG.md").unlink()
    result = run_cli("dashboard", "build", "--out", str(site), repo=git_repo.path, env={"GITHUB_REPOSITORY": "demo/shop"})
    assert result.code == 0, result.stderr
    assert not (site / "visual/screenshots/releases/v1.2.0/home.png").exists()
    assert "No visual changes recorded yet" in (site / "index.html").read_text()
    git_repo.write("VISUAL_CHANGELOG.md", VISUAL)
    run_cli("dashboard", "build", "--out", str(site), repo=git_repo.path, env={"GITHUB_REPOSITORY": "demo/shop"})
    assert (site / "index.html").read_bytes() == before


def test_board_marks_blocked_tasks_and_spells_out_cycles() -> None:
    tasks = [
        Task("a", "A", state="pending", depends_on=("b",)),
        Task("b", "B", state="pending", depends_on=("a",)),
        Task("c", "C", state="pending", depends_on=("ghost",)),
        Task("d", "D", state="pending", depends_on=("e",)),
        Task("e", "E", state="in-progress"),
        *[Task(f"z{i}", "Z", state="completed", completed_at=f"2026-01-{i + 1:02d}T00:00:00Z") for i in range(5)],
    ]
    columns = {c["state"]: c for c in board(tasks, Links(), completed_limit=2)["columns"]}
    cards = {c["id"]: c for c in columns["pending"]["cards"]}
    assert cards["a"]["blocked"].startswith("dependency cycle: a → b → a") or "b → a → b" in cards["a"]["blocked"]
    assert cards["c"]["blocked"] == "unknown dependency: ghost"
    assert cards["d"]["blocked"] == "" and cards["d"]["waiting_on"] == ["e"]
    assert [c["id"] for c in columns["completed"]["cards"]] == ["z4", "z3"]  # newest first
    assert [c["id"] for c in columns["completed"]["more"]] == ["z2", "z1", "z0"]


@pytest.mark.parametrize(
    ("configured", "repository", "remote", "expected"),
    [
        ("https://ghe.example/o/r/", "", None, "https://ghe.example/o/r"),
        ("", "o/r", None, "https://github.com/o/r"),
        ("", "", "git@github.com:o/r.git", "https://github.com/o/r"),
        ("", "", "/srv/git/r.git", ""),
    ],
)
def test_repository_links(configured, repository, remote, expected) -> None:
    assert repo_base_url(configured, "https://github.com", repository, remote) == expected


def test_newest_visual_entry_is_sanitized_and_tolerates_absence(tmp_path: Path) -> None:
    assert newest_entry("# Visual changelog\n\nNothing yet.\n") is None
    entry = newest_entry(VISUAL)
    assert entry is not None and entry.title == "v1.2.0 - 2026-11-20"
    rendered = render_entry(
        Entry("x", '<a href="javascript:alert(1)">x</a> <img src="https://cdn.example/a.png" alt="remote">'),
        tmp_path,
        changelog_path="VISUAL_CHANGELOG.md",
    )
    assert "javascript" not in rendered.html and "cdn.example" not in rendered.html
    assert "[remote: image not available]" in rendered.html and rendered.images == {}


@pytest.mark.integration
def test_dashboard_in_chromium_has_no_errors_shows_every_task_and_draws_charts(site: Path) -> None:
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    import numpy as np
    from PIL import Image

    from leadforge.visual.capture import open_browser
    from leadforge.visual.settings import BrowserSettings

    problems: list[str] = []
    # the visual area's launch: its headless Chromium flags (Playwright adds --no-sandbox itself)
    with open_browser(BrowserSettings(executable=CHROMIUM)) as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
        page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
        page.goto((site / "index.html").as_uri())
        page.wait_for_load_state("load")
        shown = set(page.eval_on_selector_all("[data-task]", "els => els.map(e => e.dataset.task)"))
        assert shown == {t.id for t in scenario.tasks()}
        assert page.locator(".column[data-state=pending] [data-task]").count() == 1
        bars = page.eval_on_selector_all("svg.chart rect.bar", "els => els.filter(e => e.getBBox().width > 0).length")
        assert bars >= 4
        assert page.locator("svg.chart").count() == 4
        assert page.locator("h1").count() == 1 and page.locator("h2").count() == 3
        images = page.eval_on_selector_all(".visual-entry img", "els => els.map(e => [e.alt, e.naturalWidth])")
        assert sorted(images) == [["home after", 64], ["home before", 64]]
        assert page.title() != "owned"
        shot = page.screenshot(full_page=True)
    assert problems == []
    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"))
    assert pixels.std() > 10 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50


def test_sample_dashboard_is_byte_identical_on_every_build(run_cli, tmp_path: Path) -> None:
    from leadforge.metrics.sample import sample_tasks

    pages = []
    for name in ("one", "two"):
        result = run_cli("dashboard", "build", "--sample", "--out", str(tmp_path / name), repo=tmp_path)
        assert result.code == 0, result.stderr
        pages.append((tmp_path / name / "index.html").read_text(encoding="utf-8"))
    assert pages[0] == pages[1]
    assert all(f'id="task-{t.id}"' in pages[0] for t in sample_tasks())
    assert "unknown dependency: payments-v2" in pages[0]


def test_forecast_starts_at_the_head_commit_so_rebuilds_of_one_commit_match(git_repo, tmp_path: Path) -> None:
    from leadforge.app import App
    from leadforge.metrics.dashboard import _forecast_origin

    git_repo.commit("chore: later", {"x.txt": "x\n"}, date="2026-02-03T04:05:06+02:00")
    assert _forecast_origin(App(repo=git_repo.path, env={})) == "2026-02-03T02:05:06Z"
    assert _forecast_origin(App(repo=git_repo.path, env={"LEADFORGE_NOW": "2026-05-01T00:00:00Z"})) == "2026-05-01T00:00:00Z"
    plain = tmp_path / "not-a-repo"
    plain.mkdir()
    assert _forecast_origin(App(repo=plain, env={"LEADFORGE_NOW": "2026-05-01T00:00:00Z"})) == "2026-05-01T00:00:00Z"
    assert _forecast_origin(App(repo=plain, env={})).endswith("Z")  # the clock, outside git
